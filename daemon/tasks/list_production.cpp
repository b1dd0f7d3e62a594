#include "daemon/tasks/list_production.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/lists/list_files.h"
#include "adapters/scheduler/duty_writer.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/list_store.h"
#include "adapters/storage/outbox_store.h"
#include "workflows/date.h"
#include "workflows/lists.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

struct Produced {
  ListFileRecord file;
  bool delivered = true;  // sent to the department (the zip's contents are not, alone)
};

ListFileRecord record_of(const std::string& kind, const fs::path& path) {
  const FileDigest d = file_digest(path);
  return {kind, path.string(), path.filename().string(), d.sha256, d.size};
}

// "2026-12-01 08:00", China time.
std::string china_minute(TimePoint t) {
  const Date day = china_date(t);
  const auto since = std::chrono::duration_cast<std::chrono::minutes>(t - china_time(day));
  char hm[8];
  std::snprintf(hm, sizeof hm, "%02d:%02d", int(since.count() / 60), int(since.count() % 60));
  return format_date(day) + " " + hm;
}

std::string json_of(const std::vector<std::pair<std::string, std::string>>& params) {
  boost::json::object o;
  for (const auto& [k, v] : params) o[k] = v;
  return boost::json::serialize(o);
}

std::vector<const Person*> clerks_of(const Config& c, const std::string& department) {
  std::vector<const Person*> out;
  for (const Person& p : c.people) {
    if (p.role == Role::kDepartmentClerk && p.scope == department) out.push_back(&p);
  }
  return out;
}

// The files of the list, written under `folder`.
std::vector<Produced> write_files(const DepartmentList& list, const std::string& period,
                                  const fs::path& folder, const ListDocument& doc,
                                  const ListContent& content) {
  const std::string stem = list.department_name + "-" + period;
  std::vector<Produced> out;
  const fs::path xlsx = folder / (stem + ".xlsx");
  write_list_xlsx(xlsx, doc);
  out.push_back({record_of("xlsx", xlsx)});
  if (list.delivery.csv) {
    const fs::path csv = folder / (stem + ".csv");
    write_list_csv(csv, content);
    out.push_back({record_of("csv", csv)});
  }
  return out;
}

}  // namespace

std::pair<std::string, std::string> list_duty_subject(const std::string& subject) {
  const auto slash = subject.rfind('/');
  if (slash == std::string::npos) return {subject, ""};
  return {subject.substr(0, slash), subject.substr(slash + 1)};
}

ListProduction produce_department_list(soci::session& session, const Config& config,
                                       const WorkingDayCalendar& calendar, const DutyRecord& duty,
                                       TimePoint now) {
  ListProduction out;
  std::tie(out.list, out.period) = list_duty_subject(duty.subject);
  auto close_list_duty = [&] {
    if (close_duty(session, duty.id, now)) cancel_duty_timers(session, duty);
  };
  const DepartmentList* list = config.rules.lists.find(out.list);
  const std::optional<Date> day = parse_date(out.period);
  if (list == nullptr || !day) {
    // A list removed from the configuration since its period fell due: nothing to send.
    WriteTransaction tx(session);
    if (cancel_duty(session, duty.id, now)) cancel_duty_timers(session, duty);
    tx.commit();
    out.status = "not_configured";
    return out;
  }
  if (find_department_list(session, out.list, out.period)) {
    WriteTransaction tx(session);
    close_list_duty();
    tx.commit();
    out.status = "already_produced";
    return out;
  }

  // -- load and decide (outside the transaction: reading only)
  const std::vector<ListCase> cases = load_list_cases(session, config);
  const ListContent content = build_list(*list, cases, *day);
  std::vector<StoredListRow> previous_rows;
  std::string previous_period;
  if (auto previous = previous_department_list(session, out.list, out.period)) {
    previous_rows = department_list_rows(session, previous->id);
    previous_period = previous->period;
  }
  const std::vector<ListChange> changes =
      list_changes(previous_rows, content, [&](const std::string& household) {
        const std::optional<CaseSnapshot> latest = latest_household_case(session, household);
        return left_list_reason(latest ? &*latest : nullptr);
      });

  // -- the files (overwritten with the same content when produced again after a crash)
  ListDocument doc;
  doc.county_name = config.county.name;
  doc.department_name = list->department_name;
  doc.list_name = list->name;
  doc.period = out.period;
  doc.generated_at = china_minute(now);
  doc.content = &content;
  doc.changes = &changes;
  doc.previous_period = previous_period;
  doc.data_sha256 = list_data_sha256(content);
  const fs::path folder = config.files_dir / "lists" / out.list / out.period;
  std::vector<Produced> files = write_files(*list, out.period, folder, doc, content);
  std::string password;
  if (list->delivery.encrypt) {
    password = make_list_password();
    std::vector<fs::path> inside;
    for (Produced& f : files) {
      inside.emplace_back(f.file.path);
      f.delivered = false;
    }
    const fs::path zip = folder / (list->department_name + "-" + out.period + ".zip");
    write_encrypted_zip(zip, inside, password);
    files.push_back({record_of("zip", zip)});
  }

  // -- one transaction: the list, its messages and duties
  WriteTransaction tx(session);
  if (find_department_list(session, out.list, out.period)) {  // produced meanwhile
    close_list_duty();
    tx.commit();
    out.status = "already_produced";
    return out;
  }
  NewDepartmentList record;
  record.list = out.list;
  record.department = list->department;
  record.period = out.period;
  record.previous_period = previous_period;
  record.produced_at = now;
  record.rows = std::int64_t(content.rows.size());
  record.households = content.households;
  record.persons = content.persons;
  record.monitored = content.monitored;
  record.instant = content.instant;
  record.rolled_back = content.rolled_back;
  record.changes = std::int64_t(changes.size());
  record.data_sha256 = doc.data_sha256;
  for (const Produced& f : files) record.files.push_back(f.file);
  out.list_id = insert_department_list(session, record, content);

  // The department's answer, due in working days from now (a calendar gap: told, no duty).
  std::string answer_by;
  CalendarResult<OpenDuty> feedback =
      plan_feedback_duty(*list, out.period, now, config.county.code, calendar);
  if (feedback) {
    const OpenDuty& open = feedback.value();
    answer_by = open.timers.empty() ? format_date(china_date(open.duty.due_at))
                                    : open.timers.front().notice.due_date;
    out.timers = scheduler_detail::apply_open_duty(session, open);
  } else {
    scheduler_detail::report_calendar_gap(session, config, feedback.error(), now);
  }

  auto queue = [&](const std::string& dedupe, const std::string& channel,
                   const std::string& recipient, const std::string& person, const std::string& type,
                   const std::string& body) {
    NewOutboxMessage m;
    m.dedupe_key = dedupe;
    m.channel = channel;
    m.recipient = recipient;
    m.message_type = type;
    m.body = body;
    m.created_at = now;
    m.next_attempt_at = now;
    m.person = person;
    EnqueueResult r = enqueue_outbox(session, m);
    if (r.inserted) out.outbox_ids.push_back(r.id);
  };
  const std::vector<const Person*> clerks = clerks_of(config, list->department);
  for (const Produced& f : files) {
    out.files.push_back(f.file.path);
    if (!f.delivered) continue;
    const std::string body = json_of({{"list", out.list},
                                      {"department", list->department},
                                      {"department_name", list->department_name},
                                      {"period", out.period},
                                      {"households", std::to_string(content.households)},
                                      {"rows", std::to_string(content.rows.size())},
                                      {"answer_by", answer_by},
                                      {"attachment_path", f.file.path},
                                      {"attachment_name", f.file.name},
                                      {"attachment_sha256", f.file.sha256},
                                      {"attachment_size", std::to_string(f.file.size)}});
    auto send = [&](const std::string& channel, const std::string& recipient,
                    const std::string& person) {
      queue("list:" + out.list + ":" + out.period + ":" + channel + ":" + recipient + ":" +
                f.file.name,
            channel, recipient, person, "department_list", body);
    };
    const ListDelivery& d = list->delivery;
    if (!d.folder.empty()) send("list_folder", d.folder, "");
    if (!d.robot_group.empty()) send("wechat_robot", d.robot_group, "");
    if (d.app_to_clerks) {
      for (const Person* p : clerks) send("wechat_app", p->wechat, p->name + "@" + p->scope);
    }
    if (!d.http_url.empty()) send("list_http", out.list, "");
  }
  if (!password.empty()) {
    const std::string body = json_of({{"list", out.list},
                                      {"department", list->department},
                                      {"department_name", list->department_name},
                                      {"period", out.period},
                                      {"password", password}});
    for (const Person* p : clerks) {
      const std::string person = p->name + "@" + p->scope;
      const std::string channel = p->channels.empty() ? "file" : p->channels.front();
      queue("list_password:" + out.list + ":" + out.period + ":" + person, channel,
            address_for(*p, channel), person, "list_password", body);
    }
  }
  close_list_duty();
  tx.commit();
  out.status = "produced";
  out.rows = int(content.rows.size());
  out.households = content.households;
  out.changes = int(changes.size());
  return out;
}

}  // namespace fangfan
