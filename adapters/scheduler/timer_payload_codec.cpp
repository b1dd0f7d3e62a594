#include "adapters/scheduler/timer_payload_codec.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "adapters/text/json_text.h"

namespace fangfan {
namespace {

namespace json = boost::json;

constexpr std::string_view kOpenEvaluation = "open_evaluation";
constexpr std::string_view kFeedDue = "feed_due";
constexpr std::string_view kListDue = "list_due";
constexpr std::string_view kReportDue = "report_due";

std::string_view notice_name(DutyNoticeKind kind) {
  switch (kind) {
    case DutyNoticeKind::kTask:
      return "task";
    case DutyNoticeKind::kReminder:
      return "reminder";
    case DutyNoticeKind::kOverdue:
      return "overdue";
  }
  return "reminder";
}

std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

void append_number(std::string& out, std::int64_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, std::size_t(end - digits));
}

// {"notice":"<notice>","<name>":"<value>","period":"<period>"}
void append_named_period(std::string& out, std::string_view notice, std::string_view name,
                         std::string_view value, std::string_view period) {
  out += R"({"notice":")";
  out += notice;
  out += R"(",")";
  out += name;
  out += R"(":)";
  append_json_string(out, value);
  out += R"(,"period":)";
  append_json_string(out, period);
  out += '}';
}

}  // namespace

void append_timer_payload(std::string& out, const DutyNotice& n, std::int64_t duty_id) {
  out += R"({"notice":")";
  out += notice_name(n.notice);
  out += R"(","due_date":)";
  append_json_string(out, n.due_date);
  out += R"(,"roles":[)";
  for (std::size_t i = 0; i < n.roles.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, n.roles[i]);
  }
  out += R"(],"duty_id":)";
  append_number(out, duty_id);
  if (n.level > 0) {  // absent in timers stored before it was carried
    out += R"(,"level":)";
    append_number(out, n.level);
  }
  out += '}';
}

std::string encode_timer_payload(const TimerPayload& payload) {
  std::string out;
  if (const auto* open = std::get_if<OpenEvaluation>(&payload)) {
    out += R"({"notice":")";
    out += kOpenEvaluation;
    out += R"(","year":)";
    append_number(out, open->year);
    out += '}';
  } else if (const auto* feed = std::get_if<FeedDue>(&payload)) {
    append_named_period(out, kFeedDue, "feed", feed->feed, feed->period);
  } else if (const auto* list = std::get_if<ListDue>(&payload)) {
    append_named_period(out, kListDue, "list", list->list, list->period);
  } else if (const auto* report = std::get_if<ReportDue>(&payload)) {
    append_named_period(out, kReportDue, "schedule", report->schedule, report->period);
  } else {
    const auto& notice = std::get<DutyNotice>(payload);
    append_timer_payload(out, notice, notice.duty_id);
  }
  return out;
}

std::variant<TimerPayload, std::string> decode_timer_payload(std::string_view text) {
  // A payload is a few small nodes: parsed into a stack arena, not an allocation each (every
  // fired timer decodes its payload).
  unsigned char arena_bytes[1024];
  json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, &arena);
  if (ec || !v.is_object())
    return std::string("定时提醒的内容无法读取 (timer payload is not JSON)");
  const json::object& o = v.as_object();
  const std::string notice = string_of(o, "notice");
  if (notice == kOpenEvaluation) {
    const json::value* year = o.if_contains("year");
    if (year == nullptr || !year->is_int64()) {
      return std::string("定时提醒缺少年份 (open_evaluation timer without a year)");
    }
    return TimerPayload{OpenEvaluation{int(year->as_int64())}};
  }
  if (notice == kFeedDue) {
    FeedDue due{string_of(o, "feed"), string_of(o, "period")};
    if (due.feed.empty() || due.period.empty()) {
      return std::string("定时提醒缺少供数名称或期次 (feed_due timer without a feed or period)");
    }
    return TimerPayload{std::move(due)};
  }
  if (notice == kListDue) {
    ListDue due{string_of(o, "list"), string_of(o, "period")};
    if (due.list.empty() || due.period.empty()) {
      return std::string("定时提醒缺少名单名称或期次 (list_due timer without a list or period)");
    }
    return TimerPayload{std::move(due)};
  }
  if (notice == kReportDue) {
    ReportDue due{string_of(o, "schedule"), string_of(o, "period")};
    if (due.schedule.empty() || due.period.empty()) {
      return std::string(
          "定时提醒缺少月报安排或期次 (report_due timer without a schedule or period)");
    }
    return TimerPayload{std::move(due)};
  }
  DutyNotice n;
  if (notice == "task") {
    n.notice = DutyNoticeKind::kTask;
  } else if (notice == "reminder") {
    n.notice = DutyNoticeKind::kReminder;
  } else if (notice == "overdue") {
    n.notice = DutyNoticeKind::kOverdue;
  } else {
    return std::string("定时提醒的种类未知 (unknown timer notice \"" + notice + "\")");
  }
  if (const json::value* id = o.if_contains("duty_id"); id != nullptr && id->is_int64()) {
    n.duty_id = id->as_int64();
  }
  n.due_date = string_of(o, "due_date");
  if (const json::value* level = o.if_contains("level"); level != nullptr && level->is_int64()) {
    n.level = int(level->as_int64());
  }
  if (const json::value* roles = o.if_contains("roles"); roles != nullptr && roles->is_array()) {
    for (const json::value& r : roles->as_array()) {
      if (r.is_string()) n.roles.emplace_back(r.as_string());
    }
  }
  return TimerPayload{std::move(n)};
}

}  // namespace fangfan
