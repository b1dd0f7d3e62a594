#include "adapters/storage/alert_store.h"

#include <algorithm>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Kept;
using storage_detail::Prepared;

constexpr const char* kColumns =
    "SELECT id, feed, department, period, run_id, rule, rule_label, id_number, name,"
    " village_code, township_code, detail, created_at, status, case_id, reason, closed_by,"
    " closed_at, stage, assigned_department FROM alerts ";

struct AlertRow {
  long long id = 0, run_id = 0, created_at = 0, case_id = 0, closed_at = 0;
  soci::indicator run_ind = soci::i_null, case_ind = soci::i_null, closed_ind = soci::i_null;
  std::string feed, department, period, rule, label, id_number, name, village, township, detail,
      status, reason, closed_by, stage, assigned_department;

  void bind(Prepared& p) {
    p, into(id), into(feed), into(department), into(period), into(run_id, run_ind), into(rule),
        into(label), into(id_number), into(name), into(village), into(township), into(detail),
        into(created_at), into(status), into(case_id, case_ind), into(reason), into(closed_by),
        into(closed_at, closed_ind), into(stage), into(assigned_department);
  }
  AlertRecord record() const {
    AlertRecord r;
    r.id = id;
    NewAlertRecord& a = r.alert;
    a.feed = feed;
    a.department = department;
    a.period = period;
    if (run_ind == soci::i_ok) a.run_id = run_id;
    a.rule = rule;
    a.rule_label = label;
    a.id_number = id_number;
    a.name = name;
    a.village_code = village;
    a.township_code = township;
    a.detail = detail;
    a.created_at = from_epoch(created_at);
    r.status = status;
    if (case_ind == soci::i_ok) r.case_id = case_id;
    r.reason = reason;
    r.closed_by = closed_by;
    if (closed_ind == soci::i_ok) r.closed_at = from_epoch(closed_at);
    r.stage = stage;
    r.assigned_department = assigned_department;
    return r;
  }
};

}  // namespace

// The writes of a case's alert (adapters/scheduler/case_alerts.h), run by the case hook on
// case writes: kept prepared (prepared.h).
struct InsertCaseAlert {
  std::string feed, department, period, rule, label, id_number, name, village, township, detail,
      stage;
  long long case_id = 0, created = 0, id = 0;
  static std::string sql() {
    return "INSERT INTO alerts (feed, department, period, rule, rule_label, id_number, name,"
           " village_code, township_code, detail, status, case_id, stage, created_at) VALUES"
           " (:feed, :department, :period, :rule, :label, :id_number, :name, :village,"
           " :township, :detail, 'case_opened', :case_id, :stage, :created)"
           " ON CONFLICT (feed, period, id_number, rule) DO NOTHING RETURNING id";
  }
  void bind(Prepared& p) {
    p, use(feed), use(department), use(period), use(rule), use(label), use(id_number), use(name),
        use(village), use(township), use(detail), use(case_id), use(stage), use(created), into(id);
  }
};

struct AlertIdByKey {
  std::string feed, period, id_number, rule;
  long long id = 0;
  static std::string sql() {
    return "SELECT id FROM alerts WHERE feed = :feed AND period = :period"
           " AND id_number = :id_number AND rule = :rule";
  }
  void bind(Prepared& p) { p, use(feed), use(period), use(id_number), use(rule), into(id); }
};

struct MoveAlertStage {
  std::string after, dep, why, who, before;
  int ends = 0;
  long long when = 0, id = 0;
  static std::string sql() {
    // The loop's end (closed, dismissed) is the alert's closing: who and when.
    return "UPDATE alerts SET stage = :after, assigned_department = :dep,"
           " reason = CASE WHEN :ends1 = 1 THEN :why ELSE reason END,"
           " closed_by = CASE WHEN :ends2 = 1 THEN :who ELSE closed_by END,"
           " closed_at = CASE WHEN :ends3 = 1 THEN :at ELSE closed_at END"
           " WHERE id = :id AND stage = :before";
  }
  void bind(Prepared& p) {
    p, use(after), use(dep), use(ends), use(why), use(ends), use(who), use(ends), use(when),
        use(id), use(before);
  }
};

struct AppendAlertHistory {
  long long alert = 0, at = 0, id = 0;
  std::string actor, event, details;
  static std::string sql() {
    return "INSERT INTO alert_history (alert_id, at, actor, event, details)"
           " VALUES (:alert, :at, :actor, :event, :details) RETURNING id";
  }
  void bind(Prepared& p) { p, use(alert), use(at), use(actor), use(event), use(details), into(id); }
};

InsertedAlert insert_alert(soci::session& session, const NewAlertRecord& a) {
  return guarded("保存预警线索失败 (saving an alert failed)", [&] {
    const long long run = a.run_id.value_or(0), created = to_epoch(a.created_at);
    soci::indicator run_ind = a.run_id ? soci::i_ok : soci::i_null;
    long long id = 0;
    soci::statement insert =
        (session.prepare << "INSERT INTO alerts (feed, department, period, run_id, rule,"
                            " rule_label, id_number, name, village_code, township_code, detail,"
                            " status, created_at) VALUES (:feed, :department, :period, :run,"
                            " :rule, :label, :id_number, :name, :village, :township, :detail,"
                            " 'open', :created)"
                            " ON CONFLICT (feed, period, id_number, rule) DO NOTHING RETURNING id",
         use(a.feed), use(a.department), use(a.period), use(run, run_ind), use(a.rule),
         use(a.rule_label), use(a.id_number), use(a.name), use(a.village_code),
         use(a.township_code), use(a.detail), use(created), into(id));
    InsertedAlert result;
    result.inserted = insert.execute(true);
    if (!result.inserted) {
      session << "SELECT id FROM alerts WHERE feed = :feed AND period = :period"
                 " AND id_number = :id_number AND rule = :rule",
          use(a.feed), use(a.period), use(a.id_number), use(a.rule), into(id);
    }
    result.id = id;
    return result;
  });
}

std::optional<AlertRecord> load_alert(soci::session& session, std::int64_t alert_id) {
  return guarded("读取预警线索失败 (loading an alert failed)", [&]() -> std::optional<AlertRecord> {
    const long long id = alert_id;
    AlertRow row;
    Prepared p = (session.prepare << std::string(kColumns) + "WHERE id = :id");
    row.bind(p);
    p, use(id);
    return fetch_one(p, row);
  });
}

AlertPage list_alerts(soci::session& session, const AlertFilter& filter) {
  return guarded("读取预警线索失败 (listing alerts failed)", [&] {
    const std::string prefix = filter.township_prefix.value_or(""),
                      status = filter.status.value_or(""), feed = filter.feed.value_or(""),
                      stage = filter.stage.value_or(""),
                      department = filter.department.value_or("");
    const int prefix_length = static_cast<int>(prefix.size());
    const int any_status = filter.status ? 0 : 1, any_feed = filter.feed ? 0 : 1,
              any_stage = filter.stage ? 0 : 1, any_department = filter.department ? 0 : 1;
    const int limit = std::clamp(filter.limit, 1, 1000);
    const long long offset = std::max<std::int64_t>(0, filter.offset);
    // substr, not LIKE: a code is a prefix of the codes below it, and '_' would be a wildcard.
    // The department is bound twice under two names (one position each on both backends).
    const std::string where =
        "WHERE substr(township_code, 1, :n) = :prefix"
        " AND (:any_status = 1 OR status = :status) AND (:any_feed = 1 OR feed = :feed)"
        " AND (:any_stage = 1 OR stage = :stage)"
        " AND (:any_department = 1 OR department = :department"
        " OR assigned_department = :assigned) ";
    AlertPage page;
    long long total = 0;
    session << "SELECT COUNT(*) FROM alerts " + where, use(prefix_length), use(prefix),
        use(any_status), use(status), use(any_feed), use(feed), use(any_stage), use(stage),
        use(any_department), use(department), use(department), into(total);
    page.total = total;
    AlertRow row;
    Prepared p = (session.prepare << std::string(kColumns) + where +
                                         "ORDER BY id DESC LIMIT :limit OFFSET :offset");
    row.bind(p);
    p, use(prefix_length), use(prefix), use(any_status), use(status), use(any_feed), use(feed),
        use(any_stage), use(stage), use(any_department), use(department), use(department),
        use(limit), use(offset);
    page.alerts = fetch_all(p, row);
    return page;
  });
}

bool mark_alert_case_opened(soci::session& session, std::int64_t alert_id, std::int64_t case_id,
                            std::string_view actor, TimePoint at) {
  return guarded("记录预警线索已立案失败 (marking an alert case_opened failed)", [&] {
    const long long id = alert_id, c = case_id, when = to_epoch(at);
    const std::string who(actor);
    soci::statement st =
        (session.prepare << "UPDATE alerts SET status = 'case_opened', case_id = :case_id,"
                            " closed_by = :actor, closed_at = :at WHERE id = :id"
                            " AND status = 'open'",
         use(c), use(who), use(when), use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

bool dismiss_alert(soci::session& session, std::int64_t alert_id, std::string_view reason,
                   std::string_view actor, TimePoint at) {
  return guarded("记录预警线索已排除失败 (dismissing an alert failed)", [&] {
    const long long id = alert_id, when = to_epoch(at);
    const std::string why(reason), who(actor);
    soci::statement st =
        (session.prepare << "UPDATE alerts SET status = 'dismissed', reason = :reason,"
                            " closed_by = :actor, closed_at = :at WHERE id = :id"
                            " AND status = 'open'",
         use(why), use(who), use(when), use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

InsertedAlert insert_case_alert(soci::session& session, const NewAlertRecord& a,
                                std::int64_t case_id, std::string_view stage) {
  return guarded("保存预警失败 (saving a case alert failed)", [&] {
    Kept<InsertCaseAlert> q(session);
    q->feed = a.feed;
    q->department = a.department;
    q->period = a.period;
    q->rule = a.rule;
    q->label = a.rule_label;
    q->id_number = a.id_number;
    q->name = a.name;
    q->village = a.village_code;
    q->township = a.township_code;
    q->detail = a.detail;
    q->case_id = case_id;
    q->stage = std::string(stage);
    q->created = to_epoch(a.created_at);
    InsertedAlert result;
    result.inserted = q.execute();
    if (result.inserted) {
      result.id = q->id;
      return result;
    }
    Kept<AlertIdByKey> k(session);
    k->feed = a.feed;
    k->period = a.period;
    k->id_number = a.id_number;
    k->rule = a.rule;
    k.execute();
    result.id = k->id;
    return result;
  });
}

bool move_alert_stage(soci::session& session, std::int64_t alert_id, std::string_view from,
                      std::string_view to, std::string_view department, std::string_view reason,
                      std::string_view actor, TimePoint at) {
  return guarded("记录预警办理环节失败 (recording an alert's step failed)", [&] {
    Kept<MoveAlertStage> q(session);
    q->id = alert_id;
    q->when = to_epoch(at);
    q->before = std::string(from);
    q->after = std::string(to);
    q->dep = std::string(department);
    q->why = std::string(reason);
    q->who = std::string(actor);
    q->ends = (q->after == "closed" || q->after == "dismissed") ? 1 : 0;
    q.execute();
    return q.affected_rows() == 1;
  });
}

std::int64_t append_alert_history(soci::session& session, const AlertHistoryRecord& e) {
  return guarded("保存预警线索历史失败 (saving alert history failed)", [&] {
    Kept<AppendAlertHistory> q(session);
    q->alert = e.alert_id;
    q->at = to_epoch(e.at);
    q->actor = e.actor;
    q->event = e.event;
    q->details = e.details;
    q.execute();
    return static_cast<std::int64_t>(q->id);
  });
}

std::vector<AlertHistoryRecord> alert_history(soci::session& session, std::int64_t alert_id) {
  return guarded("读取预警线索历史失败 (loading alert history failed)", [&] {
    const long long alert = alert_id;
    long long id = 0, for_alert = 0, at = 0;
    std::string actor, event, details;
    std::vector<AlertHistoryRecord> out;
    soci::statement st =
        (session.prepare << "SELECT id, alert_id, at, actor, event, details FROM alert_history"
                            " WHERE alert_id = :alert ORDER BY id",
         use(alert), into(id), into(for_alert), into(at), into(actor), into(event), into(details));
    st.execute();
    while (st.fetch()) out.push_back({id, for_alert, from_epoch(at), actor, event, details});
    return out;
  });
}

}  // namespace fangfan
