#include "workflows/message_templates.h"

#include <algorithm>
#include <array>

#include "workflows/id_number.h"

namespace fangfan {
namespace {

using P = std::string_view;

// Params per type, as contracts.md lists them (all values are strings; household names, ID and
// phone numbers already masked, staff names such as `officer` not).
constexpr std::array<P, 7> kStep = {"case_id", "household",  "village", "township",
                                    "step",    "step_label", "due_date"};
constexpr std::array<P, 9> kStepLate = {"case_id",  "household",    "village",
                                        "township", "step",         "step_label",
                                        "due_date", "days_overdue", "rung"};
constexpr std::array<P, 9> kMonthly = {"case_id",  "household", "village",  "township", "month",
                                       "recorded", "required",  "due_date", "officer"};
constexpr std::array<P, 11> kMonthlyLate = {"case_id", "household",    "village",  "township",
                                            "month",   "recorded",     "required", "due_date",
                                            "officer", "days_overdue", "rung"};
constexpr std::array<P, 6> kEvaluation = {"case_id",  "household", "village",
                                          "township", "year",      "due_date"};
constexpr std::array<P, 8> kEvaluationLate = {"case_id", "household", "village",      "township",
                                              "year",    "due_date",  "days_overdue", "rung"};
// campaign is the code ("screening_2023"); campaign_label its name, what people read.
constexpr std::array<P, 7> kCampaign = {"campaign",      "milestone", "milestone_label", "township",
                                        "township_name", "due_date",  "campaign_label"};
constexpr std::array<P, 9> kCampaignLate = {"campaign",     "milestone",     "milestone_label",
                                            "township",     "township_name", "due_date",
                                            "days_overdue", "rung",          "campaign_label"};
constexpr std::array<P, 7> kFeedMissing = {
    "feed", "department", "department_name", "period", "due_date", "days_overdue", "rung"};
constexpr std::array<P, 11> kDepartmentList = {
    "list",           "department", "department_name", "period",          "households",
    "rows",           "answer_by",  "attachment_path", "attachment_name", "attachment_sha256",
    "attachment_size"};
constexpr std::array<P, 5> kListPassword = {"list", "department", "department_name", "period",
                                            "password"};
constexpr std::array<P, 8> kMonthlyReport = {
    "schedule",        "county_name",       "period",         "reports", "attachment_path",
    "attachment_name", "attachment_sha256", "attachment_size"};
constexpr std::array<P, 5> kFeedback = {"list", "department", "department_name", "period",
                                        "due_date"};
constexpr std::array<P, 7> kFeedbackLate = {
    "list", "department", "department_name", "period", "due_date", "days_overdue", "rung"};
constexpr std::array<P, 7> kAlertNew = {"alert_id", "department",    "rule_label", "summary",
                                        "township", "township_name", "due_date"};
constexpr std::array<P, 4> kAlert = {"alert_id", "township", "township_name", "due_date"};
constexpr std::array<P, 6> kAlertLate = {"alert_id", "township",     "township_name",
                                         "due_date", "days_overdue", "rung"};
constexpr std::array<P, 7> kAssignment = {"case_id", "household", "village", "township",
                                          "missing", "officer",   "due_date"};
constexpr std::array<P, 9> kAssignmentLate = {"case_id",  "household",    "village",
                                              "township", "missing",      "officer",
                                              "due_date", "days_overdue", "rung"};
constexpr std::array<P, 9> kCaseAlert = {"alert_id",   "case_id",  "household",
                                         "village",    "township", "township_name",
                                         "rule_label", "summary",  "due_date"};
constexpr std::array<P, 8> kAlertStep = {"case_id",  "household",     "village",    "township",
                                         "alert_id", "township_name", "step_label", "due_date"};
constexpr std::array<P, 10> kAlertStepLate = {
    "case_id",       "household",  "village",  "township",     "alert_id",
    "township_name", "step_label", "due_date", "days_overdue", "rung"};
constexpr std::array<P, 4> kNotice = {"case_id", "household", "village", "text"};
constexpr std::array<P, 2> kCalendar = {"year", "text"};
constexpr std::array<P, 5> kDead = {"outbox_id", "channel", "recipient_masked", "message_type",
                                    "error"};
constexpr std::array<P, 2> kDigest = {"count", "items"};

// 【防返贫监测】 heads every message as the program's, the way county notices are headed.
const std::array<MessageTypeInfo, 33> kTypes = {{
    {"step_reminder", kStep,
     "【防返贫监测】{village}{household}户（案件{case_id}）的“{step_label}”将于{due_date}到期，"
     "请按时办理。"},
    {"step_overdue", kStepLate,
     "【防返贫监测】{village}{household}户（案件{case_id}）的“{step_label}”已于{due_date}到期，"
     "现已逾期{days_overdue}天（第{rung}级督办），请尽快办理。"},
    {"visit_reminder", kMonthly,
     "【防返贫监测】{month}{village}{household}户应走访{required}次，已记录{recorded}次，"
     "请于{due_date}前完成（帮扶责任人：{officer}）。"},
    {"visit_overdue", kMonthlyLate,
     "【防返贫监测】{month}{village}{household}户应走访{required}次，仅记录{recorded}次，"
     "已于{due_date}到期并逾期{days_overdue}天（第{rung}级督办，帮扶责任人：{officer}）。"},
    {"monitoring_reminder", kMonthly,
     "【防返贫监测】{month}{village}{household}户应动态监测{required}次，已记录{recorded}次，"
     "请于{due_date}前完成（责任人：{officer}）。"},
    {"monitoring_overdue", kMonthlyLate,
     "【防返贫监测】{month}{village}{household}户应动态监测{required}次，仅记录{recorded}次，"
     "已于{due_date}到期并逾期{days_overdue}天（第{rung}级督办，责任人：{officer}）。"},
    {"evaluation_task", kEvaluation,
     "【防返贫监测】请于{due_date}前完成{village}{household}户（案件{case_id}）的{year}年度评估。"},
    {"evaluation_overdue", kEvaluationLate,
     "【防返贫监测】{village}{household}户（案件{case_id}）的{year}年度评估已于{due_date}到期，"
     "现已逾期{days_overdue}天（第{rung}级督办），请尽快完成。"},
    {"campaign_reminder", kCampaign,
     "【防返贫监测】{township_name}：{campaign_label}的“{milestone_label}”将于{due_date}到期，"
     "请按时完成。"},
    {"campaign_overdue", kCampaignLate,
     "【防返贫监测】{township_name}：{campaign_label}的“{milestone_label}”已于{due_date}到期，"
     "现已逾期{days_overdue}天（第{rung}级督办），请尽快完成。"},
    {"feed_missing", kFeedMissing,
     "【防返贫监测】{department_name}{period}期的数据应于{due_date}报送，至今未收到"
     "（第{rung}级督办），请尽快报送。"},
    {"alert_new", kAlertNew,
     "【防返贫监测】{township_name}：收到部门预警线索{alert_id}（{rule_label}）：{summary}"
     "请于{due_date}前入户核实，纳入监测或说明理由。"},
    {"alert_reminder", kAlert,
     "【防返贫监测】{township_name}：部门预警线索{alert_id}应于{due_date}前核实完毕，"
     "请入户核实后纳入监测或说明理由。"},
    {"alert_overdue", kAlertLate,
     "【防返贫监测】{township_name}：部门预警线索{alert_id}已于{due_date}到期未核实，"
     "现已逾期{days_overdue}天（第{rung}级督办），请尽快核实。"},
    {"assignment_task", kAssignment,
     "【防返贫监测】{village}{household}户（案件{case_id}）已纳入帮扶，请于{due_date}前{missing}"
     "（第一时间安排帮扶责任人）。"},
    {"assignment_reminder", kAssignment,
     "【防返贫监测】{village}{household}户（案件{case_id}）尚未{missing}，将于{due_date}到期，"
     "请按时办理。"},
    {"assignment_overdue", kAssignmentLate,
     "【防返贫监测】{village}{household}户（案件{case_id}）尚未{missing}，已于{due_date}到期，"
     "现已逾期{days_overdue}天（第{rung}级督办），请尽快办理。"},
    {"alert_case_new", kCaseAlert,
     "【防返贫监测】{township_name}：{village}{household}户（案件{case_id}）预警{alert_id}"
     "（{rule_label}）：{summary}请于{due_date}前完成初审。"},
    {"major_event", kCaseAlert,
     "【防返贫监测】{township_name}：{village}{household}户（案件{case_id}）报告重大变故，预警"
     "{alert_id}（{rule_label}）：{summary}请立即核实并协调帮扶，初审于{due_date}前完成。"},
    {"alert_step_task", kAlertStep,
     "【防返贫监测】{township_name}{village}{household}户（案件{case_id}）预警{alert_id}已转"
     "“{step_label}”，请于{due_date}前办理。"},
    {"alert_step_reminder", kAlertStep,
     "【防返贫监测】{township_name}{village}{household}户（案件{case_id}）预警{alert_id}的"
     "“{step_label}”将于{due_date}到期，请按时办理。"},
    {"alert_step_overdue", kAlertStepLate,
     "【防返贫监测】{township_name}{village}{household}户（案件{case_id}）预警{alert_id}的"
     "“{step_label}”已于{due_date}到期，现已逾期{days_overdue}天（第{rung}级督办），请尽快办理。"},
    {"written_notice", kNotice,
     "【防返贫监测】{village}{household}户（案件{case_id}）书面告知：{text}"},
    {"department_evidence", kNotice, "【防返贫监测】{village}{household}户（案件{case_id}）{text}"},
    {"support_only_household", kNotice,
     "【防返贫监测】{village}{household}户（案件{case_id}）{text}"},
    {"department_list", kDepartmentList,
     "【防返贫监测】{department_name}{period}防返贫监测帮扶名单（{households}户，{rows}行）："
     "{attachment_name}，请于{answer_by}前反馈落实情况。"},
    {"list_password", kListPassword,
     "【防返贫监测】{department_name}{period}名单压缩包密码：{password}（请勿转发）"},
    {"feedback_reminder", kFeedback,
     "【防返贫监测】{department_name}：{period}防返贫监测帮扶名单的落实情况应于{due_date}前反馈，"
     "请按时反馈。"},
    {"feedback_overdue", kFeedbackLate,
     "【防返贫监测】{department_name}：{period}防返贫监测帮扶名单的落实情况应于{due_date}前反馈，"
     "至今未收到，已逾期{days_overdue}天（第{rung}级督办），请尽快反馈。"},
    {"monthly_report", kMonthlyReport,
     "【防返贫监测】{county_name}{period}防返贫监测月报（{reports}）：{attachment_name}，"
     "请查收。"},
    {"calendar_missing", kCalendar,
     "【防返贫监测】系统提醒：缺少{year}年的工作日历，到期日无法计算。{text}"},
    {"dead_letter", kDead,
     "【防返贫监测】系统提醒：消息{outbox_id}（{message_type}，经{channel}发给{recipient_masked}）"
     "未能送达，已停止发送。原因：{error}。请用 fangfanctl outbox 查看并处理。"},
    {"digest", kDigest, "【防返贫监测】您有{count}条提醒：\n{items}"},
}};

// One piece of a template: literal text, or a placeholder name.
struct Piece {
  bool placeholder = false;
  std::string text;
};

// Splits a template; nullopt plus a sentence on an unclosed or stray brace.
std::optional<std::string> parse(std::string_view text, std::vector<Piece>& out) {
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        return "模板中的“{”没有对应的“}” (a '{' is never closed; write {{ for a literal brace)";
      }
      if (!literal.empty()) out.push_back({false, std::move(literal)});
      literal.clear();
      out.push_back({true, std::string(text.substr(i + 1, close - i - 1))});
      i = close;
    } else if (c == '}') {
      return "模板中有多余的“}” (a '}' without '{'; write }} for a literal brace)";
    } else {
      literal += c;
    }
  }
  if (!literal.empty()) out.push_back({false, std::move(literal)});
  return std::nullopt;
}

std::string join_params(const MessageTypeInfo& info) {
  std::string names;
  for (auto p : info.params) {
    if (!names.empty()) names += ", ";
    names += p;
  }
  return names.empty() ? "（无）" : names;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::span<const MessageTypeInfo> message_types() { return kTypes; }

const MessageTypeInfo* find_message_type(std::string_view type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::optional<std::string> template_problem(std::string_view type, std::string_view text) {
  const MessageTypeInfo* info = find_message_type(type);
  if (!info) {
    std::string known;
    for (const auto& t : kTypes) {
      if (!known.empty()) known += ", ";
      known += t.type;
    }
    return "'" + std::string(type) + "' is not a message type fangfan sends (" + known + ")";
  }
  if (text.empty()) return "must not be empty";
  std::vector<Piece> pieces;
  if (auto problem = parse(text, pieces)) return problem;
  for (const auto& p : pieces) {
    if (!p.placeholder) continue;
    if (std::find(info->params.begin(), info->params.end(), p.text) == info->params.end()) {
      return "{" + p.text + "} is not a param of " + std::string(type) + " (" + join_params(*info) +
             ")";
    }
  }
  return std::nullopt;
}

std::string render_message(std::string_view type, const std::map<std::string, std::string>& params,
                           const MessageTemplates& templates) {
  const MessageTypeInfo* info = find_message_type(type);
  if (!info) {
    std::string out = "【防返贫监测】" + std::string(type) + "：";
    bool first = true;
    for (const auto& [k, v] : params) {
      if (!first) out += "，";
      out += k + "=" + v;
      first = false;
    }
    return out;
  }
  std::string_view text = info->default_template;
  if (auto it = templates.overrides.find(type); it != templates.overrides.end()) text = it->second;
  std::vector<Piece> pieces;
  if (parse(text, pieces)) {
    // Overrides are validated at load; only a broken built-in could get here.
    pieces.clear();
    parse(info->default_template, pieces);
  }
  std::string out;
  for (const auto& p : pieces) {
    if (!p.placeholder) {
      out += p.text;
    } else if (auto it = params.find(p.text); it != params.end()) {
      out += it->second;
    } else {
      out += "{" + p.text + "}";
    }
  }
  return out;
}

bool is_digestible(std::string_view type) {
  return ends_with(type, "_reminder") || ends_with(type, "_overdue") || type == "evaluation_task";
}

std::map<std::string, std::string> digest_params(const std::vector<std::string>& texts) {
  constexpr std::string_view kHead = "【防返贫监测】";
  std::string items;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string_view t = texts[i];
    if (t.substr(0, kHead.size()) == kHead) t.remove_prefix(kHead.size());  // said once above
    if (!items.empty()) items += "\n";
    items += std::to_string(i + 1) + ". " + std::string(t);
  }
  return {{"count", std::to_string(texts.size())}, {"items", items}};
}

bool contains_unmasked_identifiers(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    const std::size_t digits = j - i;
    const bool x_after = j < text.size() && (text[j] == 'X' || text[j] == 'x');
    if (digits == 18 || (digits == 17 && x_after)) return true;
    if (digits == 11 && text[i] == '1' && text[i + 1] >= '3' && text[i + 1] <= '9') return true;
    i = j;
  }
  return false;
}

std::string mask_recipient(std::string_view recipient) {
  const bool digits =
      !recipient.empty() && std::all_of(recipient.begin(), recipient.end(),
                                        [](char c) { return is_digit(c) || c == '+'; });
  if (digits) return mask_phone(recipient);
  if (auto at = recipient.find('@'); at != std::string_view::npos) {
    return mask_name(recipient.substr(0, at)) + std::string(recipient.substr(at));
  }
  if (contains_unmasked_identifiers(recipient)) return mask_phone(recipient);
  return std::string(recipient);
}

std::string mask_staff_recipient(std::string_view recipient) {
  const bool digits =
      !recipient.empty() && std::all_of(recipient.begin(), recipient.end(),
                                        [](char c) { return is_digit(c) || c == '+'; });
  if (digits || contains_unmasked_identifiers(recipient)) return mask_phone(recipient);
  return std::string(recipient);
}

}  // namespace fangfan
