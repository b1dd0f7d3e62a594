#include "adapters/config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/adapters/config_text.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using test::errors_of;
using test::example_text;
using test::kConfigDir;
using test::line_of;

TEST(Config, ExampleIsValidAndComplete) {
  auto r = load_config(kConfigDir / "example.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  EXPECT_EQ(c.county.code, "379901");
  EXPECT_EQ(c.townships.size(), 3u);
  EXPECT_GE(c.villages.size(), 3u);
  EXPECT_GE(c.departments.size(), 8u);
  EXPECT_EQ(c.rules.eligibility.monitoring_line_yuan, 6500);
  EXPECT_EQ(c.rules.eligibility.exclusions.size(), 4u);
  ASSERT_NE(c.rules.find_kind("monitored_formerly_poor"), nullptr);
  EXPECT_EQ(c.rules.find_kind("monitored_formerly_poor")->steps,
            (std::vector<std::string>{"household_verification", "county_review"}));
  EXPECT_EQ(c.rules.deadlines.at("county_review").period, 3);
  EXPECT_EQ(c.rules.deadlines.at("village_publicity").unit, DayUnit::kCalendarDays);
  ASSERT_EQ(c.rules.deadlines.at("household_verification").escalation.size(), 3u);
  EXPECT_EQ(c.rules.deadlines.at("household_verification").escalation[1].to_role, "township_head");
  EXPECT_EQ(c.rules.visits.per_month, 2);
  EXPECT_EQ(c.rules.visits.reminder_day, 20);
  // The feed schedules (the list schedules follow them: config_lists_test.cpp).
  EXPECT_EQ(std::count_if(c.rules.schedules.begin(), c.rules.schedules.end(),
                          [](const Schedule& s) { return s.kind == "feed"; }),
            4);
  EXPECT_EQ(c.rules.schedules[3].months, (std::vector<int>{3, 9}));
}

TEST(Config, RelativePathsResolveAgainstTheFilesFolder) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  const fs::path dir = fs::absolute(kConfigDir).lexically_normal();
  EXPECT_EQ(c.storage_url, "sqlite3://" + (dir / "state/fangfan.db").string());
  EXPECT_EQ(c.calendar_dir, dir / "calendar");
  EXPECT_EQ(c.channels.file.path, dir / "state/messages.jsonl");
}

struct BadCase {
  const char* name;
  const char* find;      // text of the example to replace (first occurrence)
  const char* replace;   // replacement; the error's line is where this lands
  const char* marker;    // text whose line the error names (defaults to `replace`)
  const char* expected;  // "KEY: MESSAGE" after "FILE:LINE: "
};
// gtest names a failing case by this instead of its bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ConfigBadFile : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigBadFile, NamesFileLineAndKey) {
  const BadCase& c = GetParam();
  std::string text = example_text();
  auto pos = text.find(c.find);
  ASSERT_NE(pos, std::string::npos) << c.find;
  text.replace(pos, std::string(c.find).size(), c.replace);
  const fs::path file = kConfigDir / "bad.toml";
  auto errors = errors_of(load_config_text(text, file));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  const int line = line_of(text, c.marker ? c.marker : c.replace);
  EXPECT_EQ(errors[0].to_string(), file.string() + ":" + std::to_string(line) + ": " + c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigBadFile,
    ::testing::Values(
        BadCase{"unknown_top_level_key", "[county]\n", "colour = \"red\"\n[county]\n", nullptr,
                "colour: unknown key (not a setting fangfan knows)"},
        BadCase{
            "elimination_kind_unknown", "kinds = [\"unstable\", \"marginal\", \"sudden\"]",
            "kinds = [\"unstable\", \"poor\"]", nullptr,
            "rules.elimination.kinds: 'poor' is not a configured case kind ([[rules.case_kinds]] "
            "code)"},
        BadCase{"elimination_evidence_unknown", "evidence = \"evaluation_or_monitoring\"",
                "evidence = \"feelings\"", nullptr,
                "rules.elimination.evidence: must be \"evaluation\", \"monitoring\" or "
                "\"evaluation_or_monitoring\", got 'feelings'"},
        BadCase{"elimination_months_out_of_range", "monitoring_months = 6", "monitoring_months = 0",
                nullptr,
                "rules.elimination.monitoring_months: must be a positive number (1 to 24 months), "
                "got 0"},
        BadCase{"unknown_nested_key", "reminder_day = 20\n",
                "reminder_day = 20\nreminder_hour = 9\n", "reminder_hour",
                "rules.visits.reminder_hour: unknown key (not a setting fangfan knows)"},
        BadCase{"wrong_type", "per_month = 2\n", "per_month = \"two\"\n", nullptr,
                "rules.visits.per_month: must be a whole number, got a string"},
        BadCase{"phone_not_mainland_mobile", "phone = \"13900000011\"", "phone = \"0539-1234567\"",
                nullptr,
                "people[3 郑海峰].phone: '053*****4567' is not a mainland mobile number (11 digits "
                "starting 13-19)"},
        BadCase{"deadline_not_positive", "period = 3\n", "period = -3\n", nullptr,
                "rules.deadlines.county_review.period: deadline must be a positive number of days, "
                "got -3"},
        BadCase{"deadline_zero", "period = 3\n", "period = 0\n", nullptr,
                "rules.deadlines.county_review.period: deadline must be a positive number of days, "
                "got 0"},
        BadCase{
            "township_referenced_not_defined", "township = \"379901003\"",
            "township = \"379901009\"", nullptr,
            "villages[5 南山村].township: township '379901009' is referenced but not defined under "
            "[[townships]]"},
        BadCase{"unknown_role", "role = \"auditor\"", "role = \"boss\"", nullptr,
                "people[17 何审].role: 'boss' is not a role (county_admin, county_office, "
                "township_head, township_clerk, village_officer, assistance_officer, "
                "department_clerk, auditor)"},
        BadCase{
            "scope_not_defined", "scope = \"379901003001\"\nphone = \"13900000301\"",
            "scope = \"379901003999\"\nphone = \"13900000301\"", "scope = \"379901003999\"",
            "people[11 韩立新].scope: '379901003999' is neither this county, a defined township or "
            "village, nor a department"},
        BadCase{"escalation_to_unknown_role", "to = \"county_admin\" }", "to = \"mayor\" }",
                nullptr, "rules.deadlines.county_review.escalation[2].to: is not a role: 'mayor'"},
        BadCase{"bad_unit", "unit = \"working_days\"", "unit = \"weeks\"", nullptr,
                "rules.deadlines.household_verification.unit: must be \"working_days\" or "
                "\"calendar_days\", got 'weeks'"},
        BadCase{"publicity_in_working_days",
                "unit = \"calendar_days\"\nremind_before_working_days = 0\nescalation = [\n"
                "  { after_working_days = 1, to = \"village_officer\" },\n  { after",
                "unit = \"working_days\"\nremind_before_working_days = 0\nescalation = [\n"
                "  { after_working_days = 1, to = \"village_officer\" },\n  { after",
                nullptr,
                "rules.deadlines.village_publicity.unit: a publicity period counts calendar days "
                "(公示期按自然日计算): use \"calendar_days\""},
        BadCase{"storage_scheme", "url = \"sqlite3://state/fangfan.db\"", "url = \"mysql://x\"",
                nullptr, "storage.url: must start with sqlite3:// or postgresql://"},
        BadCase{"missing_required", "name = \"示例县\"\n", "", "[county]",
                "county.name: is required but missing"},
        BadCase{"not_toml", "[county]\n", "[county\n", nullptr,
                "not valid TOML: Error while parsing table header: expected ']', saw '\\n'"},
        BadCase{"schedule_unknown_department", "department = \"education\"",
                "department = \"culture\"", nullptr,
                "rules.schedules[4 education_feed].department: department 'culture' is not defined "
                "under "
                "[[departments]]"},
        BadCase{"steps_out_of_order", "steps = [\"household_verification\", \"county_review\"]",
                "steps = [\"county_review\", \"household_verification\"]", nullptr,
                "rules.case_kinds[5 脱贫监测户].steps: "
                "监测对象类型“monitored_formerly_poor”的认定步骤顺序不对或有重复："
                "应按入户核实、民主评议、县级审核比对、村级公示的顺序"},
        BadCase{"log_level", "level = \"info\"", "level = \"loud\"", nullptr,
                "log.level: must be one of trace, debug, info, warn, error, critical, off"},
        // -- api
        BadCase{"api_socket_empty", "listen = \"127.0.0.1:8470\"\n",
                "listen = \"127.0.0.1:8470\"\nsocket = \"\"\n", "socket = \"\"",
                "api.socket: must be a file path, e.g. state/fangfan.sock"},
        BadCase{
            "api_socket_too_long", "listen = \"127.0.0.1:8470\"\n",
            "listen = \"127.0.0.1:8470\"\nsocket = \"/run/"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"\n",
            "socket = \"/run/",
            "api.socket: path /run/"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock is longer than a Unix socket allows (107 "
            "bytes)"},
        // -- gateways
        BadCase{"gateway_secret_missing", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_app]\nenabled = true\n"
                "corp_id = \"ww1\"\nagent_id = 1000002\n",
                "[channels.wechat_app]",
                "channels.wechat_app.corp_secret: is required but missing (give corp_secret, "
                "corp_secret_file or corp_secret_env)"},
        BadCase{"gateway_secret_given_twice", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_app]\n"
                "corp_secret = \"s\"\ncorp_secret_env = \"FANGFAN_SECRET\"\n",
                "corp_secret = ",
                "channels.wechat_app.corp_secret: is given more than once: use one of "
                "corp_secret, corp_secret_file, corp_secret_env"},
        BadCase{"gateway_secret_env_unset", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.sms_aliyun]\n"
                "access_key_secret_env = \"FANGFAN_TEST_SURELY_UNSET\"\n",
                "access_key_secret_env",
                "channels.sms_aliyun.access_key_secret_env: the environment variable "
                "FANGFAN_TEST_SURELY_UNSET is not set"},
        BadCase{"gateway_robot_format", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_robot]\nformat = \"html\"\n",
                "format = ", "channels.wechat_robot.format: must be \"text\" or \"markdown\""},
        BadCase{"gateway_robot_mention", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_robot]\n"
                "groups = [{ name = \"t\", key = \"k\", mentioned_mobiles = [\"110\"] }]\n",
                "groups = ",
                "channels.wechat_robot.groups[1 t].mentioned_mobiles: each entry must be \"@all\" "
                "or an 11-digit mobile"},
        BadCase{"gateway_template_without_code", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.sms_tencent]\n"
                "templates = { step_overdue = { params = [\"household\"] } }\n",
                "templates = ",
                "channels.sms_tencent.templates.step_overdue.code: is required but missing"},
        BadCase{"gateway_url_not_http", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.webhook]\nurl = \"ftp://x\"\n",
                "url = \"ftp", "channels.webhook.url: must be an http:// or https:// address"},
        BadCase{"gateway_http_in_flight", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.http]\nmax_in_flight = 0\n",
                "max_in_flight",
                "channels.http.max_in_flight: must be a whole number from 1 to 1000"},
        // -- delivery
        BadCase{"delivery_unknown_key", "max_attempts = 8\n", "max_attempts = 8\nretries = 3\n",
                "retries", "delivery.retries: unknown key (not a setting fangfan knows)"},
        BadCase{"delivery_attempts_zero", "max_attempts = 8\n", "max_attempts = 0\n", nullptr,
                "delivery.max_attempts: must be between 1 and 100 attempts, got 0"},
        BadCase{"delivery_backoff_cap_below_initial", "backoff_max_seconds = 3600",
                "backoff_max_seconds = 10", nullptr,
                "delivery.backoff_max_seconds: must not be less than backoff_initial_seconds (30)"},
        BadCase{"delivery_give_up_zero", "give_up_after_hours = 24", "give_up_after_hours = 0",
                nullptr, "delivery.give_up_after_hours: must be between 1 and 720 hours, got 0"},
        BadCase{"delivery_jitter", "backoff_jitter = 0.2", "backoff_jitter = 1.5", nullptr,
                "delivery.backoff_jitter: must be between 0 and 1 (a share of the delay)"},
        BadCase{"delivery_quiet_hours_malformed", "sms_aliyun = \"21:00-08:00\"",
                "sms_aliyun = \"9pm-8am\"", nullptr,
                "delivery.quiet_hours.sms_aliyun: must be \"HH:MM-HH:MM\" in China time (e.g. "
                "\"21:00-08:00\") or \"\" for none, got '9pm-8am'"},
        BadCase{"delivery_quiet_hours_unknown_channel", "sms_tencent = \"21:00-08:00\"",
                "sms_tencent = \"21:00-08:00\"\npager = \"21:00-08:00\"", "pager",
                "delivery.quiet_hours.pager: 'pager' is not a channel fangfan knows (file, "
                "wechat_robot, wechat_app, sms_aliyun, sms_tencent, webhook)"},
        BadCase{"delivery_pacing_negative", "wechat_robot = 15", "wechat_robot = -1", nullptr,
                "delivery.per_recipient_per_minute.wechat_robot: must be between 0 (no limit) "
                "and 10000 messages a minute, got -1"},
        BadCase{"template_unknown_type", "[templates]\n",
                "[templates]\nweather_report = \"{village}\"\n", "weather_report",
                "templates.weather_report: 'weather_report' is not a message type fangfan sends "
                "(step_reminder, step_overdue, visit_reminder, visit_overdue, "
                "monitoring_reminder, monitoring_overdue, evaluation_task, evaluation_overdue, "
                "campaign_reminder, campaign_overdue, feed_missing, alert_new, alert_reminder, "
                "alert_overdue, assignment_task, assignment_reminder, assignment_overdue, "
                "alert_case_new, major_event, alert_step_task, alert_step_reminder, "
                "alert_step_overdue, written_notice, department_evidence, support_only_household, "
                "department_list, "
                "list_password, feedback_reminder, feedback_overdue, monthly_report, "
                "calendar_missing, "
                "dead_letter, digest)"},
        BadCase{"template_unknown_placeholder", "[templates]\n",
                "[templates]\nstep_reminder = \"{household} {mobile}\"\n", "step_reminder =",
                "templates.step_reminder: {mobile} is not a param of step_reminder (case_id, "
                "household, village, township, step, step_label, due_date)"},
        BadCase{"template_unclosed_brace", "[templates]\n", "[templates]\ndigest = \"{count\"\n",
                "digest =",
                "templates.digest: 模板中的“{”没有对应的“}” (a '{' is never closed; write {{ for a "
                "literal brace)"},
        // -- recurring work (config_work.cpp)
        BadCase{"evaluation_opens_not_q4", "opens = \"11-01\"", "opens = \"03-01\"", nullptr,
                "rules.evaluation.opens: the risk evaluation opens in the fourth quarter (October "
                "to December)"},
        BadCase{"evaluation_opens_malformed", "opens = \"11-01\"", "opens = \"Nov 1\"", nullptr,
                "rules.evaluation.opens: must be a month and day like \"10-08\", got 'Nov 1'"},
        BadCase{"evaluation_unit", "unit = \"working_days\"\nremind_before_working_days = 5",
                "unit = \"weeks\"\nremind_before_working_days = 5", "unit = \"weeks\"",
                "rules.evaluation.unit: must be \"working_days\" or \"calendar_days\", got "
                "'weeks'"},
        BadCase{"evaluation_owner_not_a_role", "owner = \"county_office\"", "owner = \"mayor\"",
                nullptr, "rules.evaluation.owner: 'mayor' is not a role"},
        BadCase{
            "campaign_unknown_key", "starts = 2023-04-01\n",
            "starts = 2023-04-01\nends = 2023-06-30\n", "ends = 2023",
            "rules.campaigns[1 screening_2023].ends: unknown key (not a setting fangfan knows)"},
        BadCase{"milestone_not_a_date", "due = 2023-05-10", "due = \"May 10\"", nullptr,
                "rules.campaigns[1 screening_2023].milestones[2 training].due: must be a date like "
                "2023-04-30"},
        BadCase{"milestone_out_of_order", "due = 2023-05-31", "due = 2023-05-01", nullptr,
                "rules.campaigns[1 screening_2023].milestones[3 screening].due: milestones must be "
                "listed in the order "
                "they fall due"},
        BadCase{"milestone_before_start", "due = 2023-04-30", "due = 2023-03-30", nullptr,
                "rules.campaigns[1 screening_2023].milestones[1 plan].due: is before the campaign "
                "starts "
                "(2023-04-01)"},
        BadCase{"milestone_defined_twice", "name = \"training\"\n", "name = \"plan\" \n", nullptr,
                "rules.campaigns[1 screening_2023].milestones[2 plan].name: milestone 'plan' is "
                "defined twice in "
                "this campaign"},
        // -- issue 16: files --check-config used to call valid
        // A scope of "" is a prefix of every code; each role's scope is checked by level.
        BadCase{"person_scope_empty", "scope = \"379901001001\"\nphone = \"13900000101\"",
                "scope = \"\"\nphone = \"13900000101\"", "scope = \"\"",
                "people[9 蒋国庆].scope: must not be empty: an empty scope is a prefix of every "
                "code, so village_officer would receive the notices of every household"},
        BadCase{"village_officer_scope_township",
                "scope = \"379901001001\"\nphone = \"13900000101\"",
                "scope = \"379901001\"\nphone = \"13900000101\"", nullptr,
                "people[9 蒋国庆].scope: role village_officer needs the code of a village of "
                "[[villages]] as its scope, got '379901001'"},
        BadCase{"township_clerk_scope_village", "scope = \"379901001\"\nphone = \"13900000012\"",
                "scope = \"379901001001\"\nphone = \"13900000012\"", nullptr,
                "people[4 王丽].scope: role township_clerk needs the code of a township of "
                "[[townships]] as its scope, got '379901001001'"},
        BadCase{"county_office_scope_township", "scope = \"379901\"\nphone = \"13900000002\"",
                "scope = \"379901001\"\nphone = \"13900000002\"", nullptr,
                "people[2 吴秀兰].scope: role county_office needs the county code 379901 as its "
                "scope, got '379901001'"},
        BadCase{"assistance_officer_scope_county",
                "scope = \"379901001001\"\nphone = \"13900000102\"",
                "scope = \"379901\"\nphone = \"13900000102\"", nullptr,
                "people[12 杨帆].scope: role assistance_officer needs the code of a township or "
                "village as its scope, got '379901'"},
        BadCase{"department_clerk_scope_village",
                "scope = \"medical_insurance\"\nphone = \"13900000401\"",
                "scope = \"379901001001\"\nphone = \"13900000401\"", nullptr,
                "people[15 尤明].scope: role department_clerk needs a department code of "
                "[[departments]] or the county code as its scope, got '379901001001'"},
        BadCase{"village_township_empty", "township = \"379901003\"", "township = \"\"", nullptr,
                "villages[5 南山村].township: must not be empty: name the township of "
                "[[townships]] it belongs to"},
        // Integer keys have ranges; a huge value is refused, never narrowed.
        BadCase{"remind_before_huge", "remind_before_working_days = 1\n",
                "remind_before_working_days = 0x7fffffffffffffff\n", "0x7fff",
                "rules.deadlines.household_verification.remind_before_working_days: must be from "
                "0 to 60 working days, got 9223372036854775807"},
        BadCase{"deadline_period_huge", "period = 3\n", "period = 100000\n", nullptr,
                "rules.deadlines.county_review.period: must be from 1 to 366 days, got 100000"},
        BadCase{"escalation_after_huge", "{ after_working_days = 2, to = \"county_admin\" }",
                "{ after_working_days = 4294967298, to = \"county_admin\" }", nullptr,
                "rules.deadlines.county_review.escalation[2].after_working_days: must be from 0 "
                "to 250 working days, got 4294967298"},
        BadCase{"per_month_huge", "per_month = 2\n", "per_month = 5000000000\n", nullptr,
                "rules.visits.per_month: must be from 1 to 31 times a month, got 5000000000"},
        BadCase{"eligibility_year", "year = 2024 ", "year = 20240 ", nullptr,
                "rules.eligibility.year: must be from 2000 to 2100, got 20240"},
        // The standard as data (issue 14 items 3, 4): every new key checked.
        BadCase{"eligibility_province", "province = \"山东省\"\nyear",
                "province = \"河北省\"\nyear", nullptr,
                "rules.eligibility.province: is '河北省' but the county is in '山东省' ([county] "
                "province): a county applies its own province's line"},
        BadCase{
            "eligibility_comparison", "comparison = \"below\"", "comparison = \"<=\"", nullptr,
            "rules.eligibility.comparison: must be \"below\" (低于, <) or \"not_above\" (不高于, "
            "≤), got '<='"},
        BadCase{"eligibility_join", "join = \"all\"", "join = \"or\"", nullptr,
                "rules.eligibility.join: must be \"all\" (line AND a condition) or \"any\" (OR), "
                "got 'or'"},
        BadCase{"eligibility_condition", "conditions = [\"rigid_expense\", \"income_drop\"]",
                "conditions = [\"rigid_expense\", \"big_car\"]", nullptr,
                "rules.eligibility.conditions: 'big_car' is not a condition (rigid_expense, "
                "income_drop, rigid_expense_over_income, basic_needs_unmet)"},
        BadCase{"instant_kind_unknown", "case_kinds = [\"instant\"]", "case_kinds = [\"quick\"]",
                nullptr,
                "rules.eligibility.instant.case_kinds: 'quick' is not a case kind of "
                "[[rules.case_kinds]]"},
        BadCase{
            "shared_window_wrong_step", "shared_window = \"household_verification\"",
            "shared_window = \"county_review\"", nullptr,
            "rules.deadlines.democratic_review.shared_window: 步骤“democratic_review”不能与"
            "“county_review”共用期限：只有民主评议可与入户核实共用、乡镇审核可与风险消除民主评议"
            "共用（a step shares only the window of the step right before it）"},
        BadCase{"days_of_month_narrowed", "days_of_month = [5]", "days_of_month = [4294967301]",
                nullptr,
                "rules.schedules[1 medical_insurance_feed].days_of_month[1]: must be from 1 to 28 "
                "(a day of the month), got 4294967301"},
        BadCase{"months_out_of_range", "months = [3, 9]", "months = [3, 13]", nullptr,
                "rules.schedules[4 education_feed].months[2]: must be from 1 to 12 (a month), got "
                "13"},
        BadCase{"shutdown_timeout_huge", "shutdown_timeout_seconds = 10",
                "shutdown_timeout_seconds = 99999999", nullptr,
                "daemon.shutdown_timeout_seconds: must be from 1 to 3600 seconds, got 99999999"},
        BadCase{"evaluation_remind_huge", "remind_before_working_days = 5\nowner",
                "remind_before_working_days = 500\nowner", "remind_before_working_days = 500",
                "rules.evaluation.remind_before_working_days: must be from 0 to 60 working days, "
                "got 500"},
        BadCase{"milestone_remind_negative", "due = 2023-04-30\nremind_before_working_days = 2\n",
                "due = 2023-04-30\nremind_before_working_days = -2\n", "= -2",
                "rules.campaigns[1 screening_2023].milestones[1 plan].remind_before_working_days: "
                "must be from 0 to 60 working days, got -2"},
        BadCase{"wechat_app_agent_id_huge", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_app]\nenabled = true\n"
                "corp_id = \"ww1\"\ncorp_secret = \"s\"\nagent_id = 99999999999\n",
                "agent_id",
                "channels.wechat_app.agent_id: must be from 1 to 2147483647 (the application's "
                "AgentId), got 99999999999"},
        // Lists that must not be empty.
        BadCase{"days_of_month_empty", "days_of_month = [5]", "days_of_month = []", nullptr,
                "rules.schedules[1 medical_insurance_feed].days_of_month: must not be empty"},
        // SMS templates: a type fangfan sends, params that message has.
        BadCase{"sms_template_unknown_type", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.sms_tencent]\n"
                "templates = { weather = { code = \"1\", params = [] } }\n",
                "templates = ",
                "channels.sms_tencent.templates.weather: 'weather' is not a message type fangfan "
                "sends (step_reminder, step_overdue, visit_reminder, visit_overdue, "
                "monitoring_reminder, monitoring_overdue, evaluation_task, evaluation_overdue, "
                "campaign_reminder, campaign_overdue, feed_missing, alert_new, alert_reminder, "
                "alert_overdue, assignment_task, assignment_reminder, assignment_overdue, "
                "alert_case_new, major_event, alert_step_task, alert_step_reminder, "
                "alert_step_overdue, written_notice, department_evidence, support_only_household, "
                "department_list, "
                "list_password, feedback_reminder, feedback_overdue, monthly_report, "
                "calendar_missing, "
                "dead_letter, digest)"},
        BadCase{"sms_template_unknown_param", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.sms_aliyun]\n"
                "templates = { step_overdue = { code = \"SMS_1\", params = [\"village\", "
                "\"mobile\"] } }\n",
                "templates = ",
                "channels.sms_aliyun.templates.step_overdue.params: 'mobile' is not a param of "
                "step_overdue (case_id, household, village, township, step, step_label, "
                "due_date, days_overdue, rung)"},
        // WeChat Work robot: one group per scope.
        BadCase{"robot_two_groups_one_scope", "path = \"state/messages.jsonl\"\n",
                "path = \"state/messages.jsonl\"\n[channels.wechat_robot]\ngroups = [\n"
                "  { name = \"a\", scope = \"379901001\", key = \"k1\" },\n"
                "  { name = \"b\", scope = \"379901001\", key = \"k2\" },\n]\n",
                "{ name = \"b\"",
                "channels.wechat_robot.groups[2 b].scope: group 'a' already has scope 379901001: "
                "messages for it would never reach this group"}),
    [](const auto& info) { return std::string(info.param.name); });

// The example with `edits` applied in turn (each replaces the first occurrence of its text) and
// `append` at the end.
std::string edited(const std::vector<std::pair<std::string, std::string>>& edits,
                   const std::string& append = "") {
  std::string text = example_text();
  for (const auto& [from, to] : edits) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  return text + append;
}

// `channels = ["file"]` of the person with `phone` becomes `channels`.
std::pair<std::string, std::string> person_on(const std::string& phone,
                                              const std::string& channels) {
  return {"phone = \"" + phone + "\"\nchannels = [\"file\"]",
          "phone = \"" + phone + "\"\nchannels = " + channels};
}

const char* kTencent =
    "\n[channels.sms_tencent]\nenabled = true\nsecret_id = \"AKID1\"\nsecret_key = \"k\"\n"
    "sdk_app_id = \"1400000001\"\nsign_name = \"示例县\"\n";

TEST(ConfigReach, SmsPersonWithoutATemplateForATypeTheyAreSentIsAnError) {
  // 朱晓东 (assistance officer of 西河村) is sent visits and monitoring notices, and digests.
  const std::string text =
      edited({person_on("13900000202", "[\"sms_tencent\"]")},
             std::string(kTencent) +
                 "templates = { visit_overdue = { code = \"1\", params = [\"village\"] } }\n");
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  EXPECT_EQ(errors[0].to_string(),
            (kConfigDir / "bad.toml").string() + ":" +
                std::to_string(line_of(text, "channels = [\"sms_tencent\"]")) +
                ": people[13 朱晓东].channels: 朱晓东 will be sent department_evidence, digest, "
                "monitoring_overdue, monitoring_reminder, visit_reminder on sms_tencent, but "
                "[channels.sms_tencent] "
                "templates has no template for them (the provider would refuse each)");

  // With every one of them it loads.
  const std::string complete = edited(
      {person_on("13900000202", "[\"sms_tencent\"]")},
      std::string(kTencent) +
          "templates = { visit_overdue = { code = \"1\" }, visit_reminder = { code = "
          "\"2\" }, monitoring_overdue = { code = \"3\" }, monitoring_reminder = { code = "
          "\"4\" }, digest = { code = \"5\", params = [\"count\"] }, department_evidence = { "
          "code = \"6\" } }\n");
  for (const auto& e : errors_of(load_config_text(complete, kConfigDir / "x.toml"))) {
    ADD_FAILURE() << e.to_string();
  }
}

TEST(ConfigReach, FallbackAndCampaignNoticesCountAsSent) {
  // 冯志强 heads 西河镇; without 杏花村's village and assistance officers (the example has them
  // since issue 14), the village officers' notices of 杏花村 fall back to him. A campaign still
  // to come sends milestone reminders to the clerks.
  const std::string nobody_in_xinghua_1 =
      "[[people]]\nname = \"严国华\"\nrole = \"village_officer\"\nscope = \"379901002002\"\n";
  const std::string nobody_in_xinghua_2 =
      "[[people]]\nname = \"华丽萍\"\nrole = \"assistance_officer\"\nscope = "
      "\"379901002002\"\n";
  std::string text =
      edited({person_on("13900000021", "[\"sms_tencent\"]"),
              {"due = 2023-06-10", "due = 2099-06-10"},
              {nobody_in_xinghua_1,
               "[[people]]\nname = \"严国华\"\nrole = \"auditor\"\nscope = \"379901\"\n"},
              {nobody_in_xinghua_2,
               "[[people]]\nname = \"华丽萍\"\nrole = \"auditor\"\nscope = \"379901\"\n"}},
             std::string(kTencent) + "templates = { digest = { code = \"5\" } }\n");
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  EXPECT_EQ(errors[0].key, "people[5 冯志强].channels");
  EXPECT_EQ(errors[0].message,
            // alert_step_overdue: the alert loop's township review climbs to the township head;
            // assignment_overdue: the registration duty's second rung (1 working day late).
            "冯志强 will be sent alert_overdue, alert_step_overdue, assignment_overdue, "
            "campaign_overdue, monitoring_overdue, monitoring_reminder, "
            "step_overdue, step_reminder, visit_overdue, visit_reminder on sms_tencent, but "
            "[channels.sms_tencent] templates has no template for them (the provider would "
            "refuse each)");

  // A clerk on SMS is sent the campaign's reminders while it is still to come.
  text = edited(
      {person_on("13900000012", "[\"sms_tencent\"]"), {"due = 2023-06-10", "due = 2099-06-10"}},
      std::string(kTencent) + "templates = { digest = { code = \"5\" } }\n");
  errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  EXPECT_NE(errors[0].message.find("campaign_reminder"), std::string::npos) << errors[0].message;
  // Once the campaign is over it sends nothing (the caller's clock says which day it is). The
  // example's yearly Q4 screening never is over: made a one-off of 2024 here, it is.
  text = edited({person_on("13900000012", "[\"sms_tencent\"]"),
                 {"yearly = true\nstarts = \"10-01\"", "starts = 2024-10-01"},
                 {"due = \"12-31\"", "due = 2024-12-31"}},
                std::string(kTencent) + "templates = { digest = { code = \"5\" } }\n");
  errors = errors_of(load_config_text(
      text, kConfigDir / "bad.toml",
      {.today = Date{std::chrono::year{2025} / std::chrono::month{1} / std::chrono::day{1}}}));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  EXPECT_EQ(errors[0].message.find("campaign_reminder"), std::string::npos) << errors[0].message;
}

TEST(ConfigReach, RobotPersonWhosePlaceHasNoGroupIsAnError) {
  const std::string robot =
      "\n[channels.wechat_robot]\nenabled = true\ngroups = [\n"
      "  { name = \"东岭镇工作群\", scope = \"379901001\", key = \"k1\" },\n]\n";
  // 蒋国庆 is a village officer of 东岭村: the township's group is not his village's.
  const std::string text = edited({person_on("13900000101", "[\"wechat_robot\"]")}, robot);
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  EXPECT_EQ(errors[0].to_string(),
            (kConfigDir / "bad.toml").string() + ":" +
                std::to_string(line_of(text, "channels = [\"wechat_robot\"]")) +
                ": people[9 蒋国庆].channels: no group of [channels.wechat_robot] has scope "
                "379901001001 (or is named 蒋国庆@379901001001): no message could reach 蒋国庆 "
                "there");
  // The township's clerk is reached through the township's group.
  const std::string clerk = edited({person_on("13900000012", "[\"wechat_robot\"]")}, robot);
  for (const auto& e : errors_of(load_config_text(clerk, kConfigDir / "x.toml"))) {
    ADD_FAILURE() << e.to_string();
  }
}

TEST(Config, ListsThatMustHaveItems) {
  // A campaign without milestones, a county without townships.
  std::string text = example_text() +
                     "\n[[rules.campaigns]]\nname = \"empty\"\nlabel = \"x\"\nstarts = "
                     "2099-01-01\nmilestones = []\n";
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 1u) << (errors.empty() ? "no error" : errors[0].to_string());
  // The example's campaigns are the 2023 screening and the yearly Q4 screening: this is the third.
  EXPECT_EQ(errors[0].to_string(), (kConfigDir / "bad.toml").string() + ":" +
                                       std::to_string(line_of(text, "milestones = []")) +
                                       ": rules.campaigns[3 empty].milestones: must not be empty");

  text = example_text();
  const auto begin = text.find("[[townships]]");
  const auto end = text.find("# ── Villages");
  text.replace(begin, end - begin, "");
  text = "townships = []\n" + text;  // a top-level key: before the first [table]
  errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].to_string(), (kConfigDir / "bad.toml").string() + ":" +
                                       std::to_string(line_of(text, "townships = []")) +
                                       ": townships: must not be empty");
}

TEST(Config, EmptyPlaceCodesAreErrors) {
  // "" would be a prefix of every code; the township and village codes would then pass as
  // anything.
  std::string text = example_text();
  text.replace(text.find("code = \"379901\""), 15, "code = \"\"");
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].key, "county.code");
  EXPECT_EQ(errors[0].message, "a county code has 6 digits, got ''");

  text = example_text();
  text.replace(text.find("code = \"379901003\""), 18, "code = \"\"");
  errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].key, "townships[3 南山乡].code");
  EXPECT_NE(errors[0].message.find("a township code has 9 digits"), std::string::npos);
}

TEST(Config, DeliveryAndTemplatesFromTheExample) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  EXPECT_EQ(c.delivery.max_attempts, 8);
  EXPECT_EQ(c.delivery.backoff.max, std::chrono::seconds(3600));
  EXPECT_EQ(c.delivery.digest_window, std::chrono::seconds(300));
  EXPECT_EQ(c.delivery.give_up_after, std::chrono::hours(24));
  ASSERT_NE(c.delivery.quiet_for("sms_aliyun"), nullptr);
  EXPECT_EQ(c.delivery.quiet_for("sms_aliyun")->start, std::chrono::hours(21));
  EXPECT_EQ(c.delivery.per_minute_for("wechat_robot"), 15);
  ASSERT_EQ(c.templates.overrides.count("visit_overdue"), 1u);
  EXPECT_NE(
      render_message("visit_overdue", {{"officer", "张*"}}, c.templates).find("帮扶责任人张*"),
      std::string::npos);
}

TEST(Config, RecurringWorkFromTheExample) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const ProgramRules& rules = std::get<std::shared_ptr<const Config>>(r)->rules;
  EXPECT_TRUE(rules.evaluation.enabled);
  EXPECT_EQ(rules.evaluation.open_month, 11);
  EXPECT_EQ(rules.evaluation.open_day, 1);
  EXPECT_EQ(rules.evaluation.deadline.period, 30);
  EXPECT_EQ(rules.evaluation.deadline.remind_before_working_days, 5);
  EXPECT_EQ(rules.evaluation.owner_role, "county_office");
  ASSERT_EQ(rules.evaluation.deadline.escalation.size(), 2u);
  EXPECT_EQ(rules.evaluation.deadline.escalation[1].to_role, "county_admin");
  ASSERT_EQ(rules.campaigns.size(), 2u);
  // [000] "每年第四季度集中开展一次全面排查": yearly, from 10-01, due the quarter's last day.
  const Campaign& q4 = rules.campaigns[1];
  EXPECT_EQ(q4.name, "q4_screening");
  EXPECT_TRUE(q4.yearly);
  EXPECT_EQ(q4.start_year, 0);
  EXPECT_EQ(q4.start_month * 100 + q4.start_day, 1001);
  ASSERT_EQ(q4.milestones.size(), 1u);
  EXPECT_EQ(q4.milestones[0].month * 100 + q4.milestones[0].day, 1231);
  EXPECT_EQ(q4.milestones[0].remind_before_working_days, 5);
  const Campaign& c = rules.campaigns[0];
  EXPECT_EQ(c.name, "screening_2023");
  EXPECT_EQ(c.start_year * 10000 + c.start_month * 100 + c.start_day, 20230401);
  std::vector<std::string> dues;
  for (const auto& m : c.milestones) {
    dues.push_back(m.name + "@" + std::to_string(m.year * 10000 + m.month * 100 + m.day));
  }
  EXPECT_EQ(dues,
            (std::vector<std::string>{"plan@20230430", "training@20230510", "screening@20230531",
                                      "entry@20230605", "report@20230610"}));
}

// Issue 14 item 1: [rules.elimination] (the kinds that may exit, the evidence a proposal needs).
TEST(Config, EliminationRuleFromTheExample) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const ExitRules& x = std::get<std::shared_ptr<const Config>>(r)->rules.elimination;
  EXPECT_TRUE(x.enabled);
  EXPECT_EQ(x.kinds, (std::vector<std::string>{"unstable", "marginal", "sudden"}));
  EXPECT_EQ(x.evidence, ExitEvidence::kEvaluationOrMonitoring);
  EXPECT_EQ(x.monitoring_months, 6);
  EXPECT_EQ(x.evaluation_max_age_years, 1);
}

TEST(Config, DeliveryQuietHoursCanBeSwitchedOffPerChannel) {
  std::string text = example_text();
  text.replace(text.find("sms_tencent = \"21:00-08:00\""), 27, "sms_tencent = \"\"");
  auto r = load_config_text(text, kConfigDir / "x.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  EXPECT_EQ(c.delivery.quiet_for("sms_tencent"), nullptr);
  EXPECT_NE(c.delivery.quiet_for("sms_aliyun"), nullptr);
}

TEST(Config, WithoutReadingSecretsTheirFilesAndVariablesAreNotNeeded) {
  // fangfanctl's load: the daemon's EnvironmentFile and secret files are not there for it.
  std::string text = example_text() +
                     "\n[channels.sms_aliyun]\nenabled = true\naccess_key_id = \"id\"\n"
                     "access_key_secret_file = \"/nonexistent/aliyun\"\nsign_name = \"县\"\n"
                     "templates = { step_overdue = { code = \"SMS_1\", params = [\"village\"] } }\n"
                     "[channels.wechat_app]\nenabled = true\ncorp_id = \"ww1\"\nagent_id = 1\n"
                     "corp_secret_env = \"FANGFAN_TEST_SURELY_UNSET\"\n";
  EXPECT_EQ(errors_of(load_config_text(text, kConfigDir / "x.toml")).size(), 2u);
  auto r = load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false});
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  EXPECT_EQ(c.channels.sms_aliyun.access_key_secret, "");
  // The form is still checked: a missing secret is an error either way.
  text.replace(text.rfind("corp_secret_env"), 15, "corp_secret_xxx");
  EXPECT_FALSE(
      errors_of(load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false})).empty());
}

TEST(Config, TheExamplesGatewaySectionsWorkUncommented) {
  // The README tells a county to uncomment them: they must be valid as they stand (enabled),
  // with their secrets left to the daemon (files and variables not read here).
  std::string text = example_text();
  const std::size_t begin = text.find("# -- gateways");
  const std::size_t end = text.find("# -- end gateways");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::istringstream block(text.substr(begin, end - begin));
  const std::regex toml_line(R"(^# (\[|[a-z_]+ = |  \{|    [a-z_]+ = |\]))");
  std::string uncommented;
  int lines = 0;
  for (std::string line; std::getline(block, line);) {
    if (std::regex_search(line, toml_line)) {
      line = line.substr(2);
      if (line == "enabled = false") line = "enabled = true";
      ++lines;
    }
    uncommented += line + "\n";
  }
  EXPECT_GT(lines, 30);
  text.replace(begin, end - begin, uncommented);
  auto r = load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false});
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const ChannelsConfig& ch = std::get<std::shared_ptr<const Config>>(r)->channels;
  EXPECT_TRUE(ch.wechat_robot.enabled);
  ASSERT_EQ(ch.wechat_robot.groups.size(), 1u);
  EXPECT_EQ(ch.wechat_robot.groups[0].scope, "379901001");
  EXPECT_TRUE(ch.wechat_app.enabled);
  EXPECT_EQ(ch.wechat_app.agent_id, 1000002);
  EXPECT_EQ(ch.sms_aliyun.templates.count("step_overdue"), 1u);
  EXPECT_EQ(ch.sms_tencent.templates.count("visit_overdue"), 1u);
  EXPECT_TRUE(ch.webhook.enabled);
}

// -- department feeds: [[feeds]], a feed schedule's `feed`, [rules.alerts]

TEST(Config, FeedsAndAlertRulesFromTheExample) {
  auto r = load_config(kConfigDir / "example.toml");
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  const fs::path dir = fs::absolute(kConfigDir).lexically_normal();
  const FeedsConfig& feeds = c.rules.feeds;
  ASSERT_EQ(feeds.sources.size(), 4u);
  // Every feed schedule runs a feed of its own department.
  for (const Schedule& s : c.rules.schedules) {
    if (s.kind != "feed") {
      EXPECT_EQ(s.feed, "") << s.name;
      continue;
    }
    const FeedSource* f = feeds.find(s.feed);
    ASSERT_NE(f, nullptr) << s.name;
    EXPECT_EQ(f->department, s.department);
  }
  const FeedSource* civil = feeds.find("civil_affairs");
  ASSERT_NE(civil, nullptr);
  EXPECT_EQ(civil->kind, FeedSourceKind::kFolder);
  EXPECT_EQ(civil->folder, (dir / "state/feeds/civil_affairs").string());
  EXPECT_EQ(civil->processed_folder, (dir / "state/feeds/civil_affairs/processed").string());
  EXPECT_EQ(civil->file_pattern, "civil_affairs-{period}.*");
  EXPECT_EQ(civil->settle_seconds, 30);
  EXPECT_EQ(civil->poll_minutes, 10);
  EXPECT_EQ(civil->columns.at("id_number"), "身份证号");
  EXPECT_EQ(civil->columns.at("category"), "救助类别");
  ASSERT_EQ(civil->rules.size(), 1u);
  EXPECT_EQ(civil->rules[0].conditions.at(0).one_of,
            (std::vector<std::string>{"低保", "特困", "临时救助"}));
  ASSERT_EQ(civil->escalation.size(), 2u);
  EXPECT_EQ(civil->escalation[1].to_role, "county_office");
  EXPECT_EQ(civil->escalation[1].after_working_days, 3);

  const FeedSource* medical = feeds.find("medical_insurance");
  ASSERT_NE(medical, nullptr);
  ASSERT_EQ(medical->rules.size(), 2u);
  EXPECT_EQ(medical->rules[0].conditions.at(0).at_least, 20000);
  EXPECT_EQ(medical->rules[1].conditions.at(0).share_of_income_at_least, 0.5);
  EXPECT_EQ(medical->rules[1].conditions.at(0).field, "out_of_pocket_amount");

  EXPECT_EQ(feeds.alerts.deadline.period, 5);
  EXPECT_EQ(feeds.alerts.deadline.unit, DayUnit::kWorkingDays);
  EXPECT_EQ(feeds.alerts.deadline.remind_before_working_days, 1);
  EXPECT_EQ(feeds.alerts.owner_role, "township_clerk");
  EXPECT_EQ(feeds.alerts.deadline.escalation.size(), 3u);
}

// [rules.alerts]: every key optional, defaults from workflows/feed_rules.h.
TEST(Config, AlertRulesKeysAreOptional) {
  const std::string find =
      "period = 5\nunit = \"working_days\"\nremind_before_working_days = 1\n"
      "owner = \"township_clerk\"\n";
  struct Case {
    std::string replace;
    int period;
    DayUnit unit;
    int remind;
    std::string owner;
  };
  const Case cases[] = {
      {"", 5, DayUnit::kWorkingDays, 1, "township_clerk"},
      {"period = 10\nunit = \"calendar_days\"\n", 10, DayUnit::kCalendarDays, 1, "township_clerk"},
      {"remind_before_working_days = 0\nowner = \"township_head\"\n", 5, DayUnit::kWorkingDays, 0,
       "township_head"},
  };
  for (const Case& c : cases) {
    std::string text = example_text();
    text.replace(text.find(find), find.size(), c.replace);
    auto r = load_config_text(text, kConfigDir / "alerts.toml");
    for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
    const AlertRules& a = std::get<std::shared_ptr<const Config>>(r)->rules.feeds.alerts;
    EXPECT_EQ(a.deadline.period, c.period) << c.replace;
    EXPECT_EQ(a.deadline.unit, c.unit) << c.replace;
    EXPECT_EQ(a.deadline.remind_before_working_days, c.remind) << c.replace;
    EXPECT_EQ(a.owner_role, c.owner) << c.replace;
    EXPECT_EQ(a.deadline.escalation.size(), 3u);
  }
}

// Each sample file's header has every column its feed maps (the newcomer's first drop works).
TEST(Config, SampleFilesCarryTheirFeedsHeaders) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const Config& c = *std::get<std::shared_ptr<const Config>>(r);
  for (const char* feed : {"civil_affairs", "medical_insurance"}) {
    std::ifstream in(kConfigDir / "samples" / (std::string(feed) + "-2026-12.csv"));
    ASSERT_TRUE(in) << feed;
    std::string header;
    std::getline(in, header);
    for (const auto& [field, name] : c.rules.feeds.find(feed)->columns) {
      EXPECT_NE(header.find(name), std::string::npos) << feed << " " << field;
    }
    int rows = 0;
    for (std::string line; std::getline(in, line);) ++rows;
    EXPECT_EQ(rows, 10) << feed;
  }
}

TEST(Config, FeedOverHttpReadsItsTokenLikeTheGateways) {
  const fs::path dir = fs::temp_directory_path() / "fangfan-config-feed-token";
  fs::create_directories(dir);
  { std::ofstream(dir / "edu.token") << "s3cret-token\n"; }
  std::string text = example_text();
  const std::string find =
      "source = \"folder\"\nfolder = \"state/feeds/education\"\n"
      "file_pattern = \"education-{period}.*\"\n";
  text.replace(text.find(find), find.size(),
               "source = \"http\"\nurl = \"https://edu.example/export?month={period}\"\n"
               "token_file = \"" +
                   (dir / "edu.token").string() + "\"\ntoken_header = \"X-Token\"\nattempts = 5\n");
  const fs::path file = kConfigDir / "feed-token.toml";  // the example's calendar folder
  auto r = load_config_text(text, file);
  for (const auto& e : errors_of(r)) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const FeedSource* edu = std::get<std::shared_ptr<const Config>>(r)->rules.feeds.find("education");
  ASSERT_NE(edu, nullptr);
  EXPECT_EQ(edu->kind, FeedSourceKind::kHttp);
  EXPECT_EQ(edu->url, "https://edu.example/export?month={period}");
  EXPECT_EQ(edu->token, "s3cret-token");
  EXPECT_EQ(edu->token_header, "X-Token");
  EXPECT_EQ(edu->attempts, 5);
  // fangfanctl reads no secrets: the file is not needed then.
  fs::remove(dir / "edu.token");
  auto ctl = load_config_text(text, file, LoadOptions{false, std::nullopt});
  for (const auto& e : errors_of(ctl)) ADD_FAILURE() << e.to_string();
  auto daemon = errors_of(load_config_text(text, file));
  ASSERT_EQ(daemon.size(), 1u);
  EXPECT_NE(daemon[0].to_string().find("feeds[4 education].token_file: cannot read the secret "
                                       "file"),
            std::string::npos)
      << daemon[0].to_string();
  fs::remove_all(dir);
}

// A change to the example and every error it must give: "KEY: MESSAGE" at the line of its
// marker (the first occurrence after the replacement is applied).
struct FeedBadCase {
  const char* name;
  const char* find;
  const char* replace;
  std::vector<std::pair<std::string, std::string>> expected;  // marker, "KEY: MESSAGE"
};
void PrintTo(const FeedBadCase& c, std::ostream* os) { *os << c.name; }

class ConfigFeedErrors : public ::testing::TestWithParam<FeedBadCase> {};

TEST_P(ConfigFeedErrors, NameFileLineAndKey) {
  const FeedBadCase& c = GetParam();
  std::string text = example_text();
  auto pos = text.find(c.find);
  ASSERT_NE(pos, std::string::npos) << c.find;
  text.replace(pos, std::string(c.find).size(), c.replace);
  const fs::path file = kConfigDir / "bad.toml";
  std::vector<std::string> got;
  for (const auto& e : errors_of(load_config_text(text, file))) got.push_back(e.to_string());
  std::vector<std::string> want;
  for (const auto& [marker, message] : c.expected) {
    want.push_back(file.string() + ":" + std::to_string(line_of(text, marker)) + ": " + message);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

const char* const kEduSchedule = "department = \"education\"\nfeed = \"education\"\n";
const char* const kEduFeed = "[[feeds]]\nname = \"education\"";
const char* const kEduSource =
    "source = \"folder\"\nfolder = \"state/feeds/education\"\n"
    "file_pattern = \"education-{period}.*\"\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigFeedErrors,
    ::testing::Values(
        FeedBadCase{"schedule_without_feed",
                    kEduSchedule,
                    "department = \"education\"\n",
                    {{"[[rules.schedules]]\nname = \"education_feed\"",
                      "rules.schedules[4 education_feed].feed: is required for kind = \"feed\": "
                      "name the [[feeds]] source this schedule runs"},
                     {kEduFeed,
                      "feeds[4 education]: no [[rules.schedules]] with kind = \"feed\" runs feed "
                      "'education': add one (feed = \"education\") or remove the feed"}}},
        FeedBadCase{"schedule_names_unknown_feed",
                    kEduSchedule,
                    "department = \"education\"\nfeed = \"culture\"\n",
                    {{"feed = \"culture\"",
                      "rules.schedules[4 education_feed].feed: feed 'culture' is not defined under "
                      "[[feeds]]"},
                     {kEduFeed,
                      "feeds[4 education]: no [[rules.schedules]] with kind = \"feed\" runs feed "
                      "'education': add one (feed = \"education\") or remove the feed"}}},
        // A list schedule names a list (issue 13), not a feed.
        FeedBadCase{"list_schedule_with_a_feed",
                    "name = \"education_feed\"\nkind = \"feed\"\n",
                    "name = \"education_feed\"\nkind = \"list\"\n",
                    {{"feed = \"education\"\ndays_of_month = [5]",
                      "rules.schedules[4 education_feed].feed: is only for kind = \"feed\""},
                     {"[[rules.schedules]]\nname = \"education_feed\"",
                      "rules.schedules[4 education_feed].list: is required for kind = \"list\": "
                      "name the [[lists]] list this schedule sends"},
                     {kEduFeed,
                      "feeds[4 education]: no [[rules.schedules]] with kind = \"feed\" runs feed "
                      "'education': add one (feed = \"education\") or remove the feed"}}},
        FeedBadCase{"schedule_runs_another_departments_feed",
                    "department = \"medical_insurance\"\nfeed = \"medical_insurance\"\n",
                    "department = \"medical_insurance\"\nfeed = \"civil_affairs\"\n",
                    {{"feed = \"civil_affairs\"",
                      "rules.schedules[1 medical_insurance_feed].feed: feed 'civil_affairs' is of "
                      "department 'civil_affairs', this schedule of 'medical_insurance'"},
                     {"[[feeds]]\nname = \"medical_insurance\"",
                      "feeds[2 medical_insurance]: no [[rules.schedules]] with kind = \"feed\" "
                      "runs feed 'medical_insurance': add one (feed = \"medical_insurance\") or "
                      "remove the feed"}}},
        FeedBadCase{"feed_unknown_department",
                    "name = \"education\"\ndepartment = \"education\"",
                    "name = \"education\"\ndepartment = \"culture\"",
                    {{"department = \"culture\"",
                      "feeds[4 education].department: department 'culture' is not defined under "
                      "[[departments]]"}}},
        FeedBadCase{"feed_without_id_number",
                    "columns = { id_number = \"身份证号\", name = \"姓名\", village_code = "
                    "\"村编码\", school",
                    "columns = { name = \"姓名\", village_code = \"村编码\", school",
                    {{"columns = { name = \"姓名\", village_code = \"村编码\", school",
                      "feeds[4 education].columns: must map id_number (身份证号): rows are "
                      "matched by ID number"}}},
        FeedBadCase{"rule_field_not_in_columns",
                    "{ field = \"loss_amount\", at_least = 10000 }",
                    "{ field = \"loss\", at_least = 10000 }",
                    {{"{ field = \"loss\"",
                      "feeds[3 emergency_management].rules[1 disaster_loss].conditions[1].field: "
                      "field 'loss' is not one of this feed's columns"}}},
        FeedBadCase{"condition_with_two_tests",
                    "{ field = \"loss_amount\", at_least = 10000 }",
                    "{ field = \"loss_amount\", at_least = 10000, one_of = [\"x\"] }",
                    {{"{ field = \"loss_amount\", at_least = 10000, one_of",
                      "feeds[3 emergency_management].rules[1 disaster_loss].conditions[1]: needs "
                      "exactly one test: one_of, at_least or share_of_income_at_least"}}},
        FeedBadCase{"condition_without_test",
                    "{ field = \"loss_amount\", at_least = 10000 }",
                    "{ field = \"loss_amount\" }",
                    {{"{ field = \"loss_amount\" }",
                      "feeds[3 emergency_management].rules[1 disaster_loss].conditions[1]: needs "
                      "exactly one test: one_of, at_least or share_of_income_at_least"}}},
        FeedBadCase{"share_above_one",
                    "share_of_income_at_least = 0.5",
                    "share_of_income_at_least = 1.5",
                    {{"share_of_income_at_least = 1.5",
                      "feeds[2 medical_insurance].rules[2 out_of_pocket_share].conditions[1]."
                      "share_of_income_at_least: must be a share from 0 to 1, got 1.500000"}}},
        FeedBadCase{"folder_missing",
                    "folder = \"state/feeds/education\"\n",
                    "",
                    {{kEduFeed, "feeds[4 education].folder: is required but missing"}}},
        FeedBadCase{"file_pattern_without_period",
                    "file_pattern = \"education-{period}.*\"",
                    "file_pattern = \"education.csv\"",
                    {{"file_pattern = \"education.csv\"",
                      "feeds[4 education].file_pattern: must contain {period} (the month, "
                      "YYYY-MM), got 'education.csv'"}}},
        FeedBadCase{"folder_feed_with_url",
                    kEduSource,
                    "source = \"folder\"\nfolder = \"state/feeds/education\"\n"
                    "url = \"https://edu.example/{period}\"\n",
                    {{"url = \"https://edu.example",
                      "feeds[4 education].url: is only for source = \"http\""}}},
        FeedBadCase{"http_without_url",
                    kEduSource,
                    "source = \"http\"\n",
                    {{kEduFeed, "feeds[4 education].url: is required but missing"}}},
        FeedBadCase{"http_url_without_period",
                    kEduSource,
                    "source = \"http\"\nurl = \"https://edu.example/export\"\n",
                    {{"url = \"https://edu.example/export\"",
                      "feeds[4 education].url: must contain {period} (the month, YYYY-MM)"}}},
        FeedBadCase{"http_url_not_http",
                    kEduSource,
                    "source = \"http\"\nurl = \"ftp://edu.example/{period}\"\n",
                    {{"url = \"ftp://",
                      "feeds[4 education].url: must start with http:// or "
                      "https://"}}},
        FeedBadCase{"http_with_folder",
                    kEduSource,
                    "source = \"http\"\nurl = \"https://edu.example/{period}\"\n"
                    "folder = \"state/feeds/education\"\n",
                    {{"folder = \"state/feeds/education\"\n",
                      "feeds[4 education].folder: is only for source = \"folder\""}}},
        FeedBadCase{"http_token_env_unset",
                    kEduSource,
                    "source = \"http\"\nurl = \"https://edu.example/{period}\"\n"
                    "token_env = \"FANGFAN_TEST_TOKEN_NEVER_SET\"\n",
                    {{"token_env = \"FANGFAN",
                      "feeds[4 education].token_env: the environment variable "
                      "FANGFAN_TEST_TOKEN_NEVER_SET is not set"}}},
        FeedBadCase{"unknown_source",
                    kEduSource,
                    "source = \"ftp\"\nfolder = \"state/feeds/education\"\n"
                    "file_pattern = \"education-{period}.*\"\n",
                    {{"source = \"ftp\"",
                      "feeds[4 education].source: must be \"folder\" or \"http\", got 'ftp'"}}},
        FeedBadCase{
            "ladder_to_unknown_role",
            "{ after_working_days = 5, to = \"county_office\" },\n]\n\n[[feeds.rules]]",
            "{ after_working_days = 5, to = \"mayor\" },\n]\n\n[[feeds.rules]]",
            {{"to = \"mayor\"", "feeds[4 education].escalation[2].to: is not a role: 'mayor'"}}},
        FeedBadCase{"ladder_out_of_order",
                    "{ after_working_days = 5, to = \"county_office\" },\n]\n\n[[feeds.rules]]",
                    "{ after_working_days = -1, to = \"county_office\" },\n]\n\n[[feeds.rules]]",
                    {{"after_working_days = -1",
                      "feeds[4 education].escalation[2].after_working_days: must be from 0 to 250 "
                      "working days, got -1"}}},
        FeedBadCase{"feed_unknown_key",
                    "poll_minutes = 10\n",
                    "poll_minutes = 10\npoll_hours = 1\n",
                    {{"poll_hours",
                      "feeds[1 civil_affairs].poll_hours: unknown key (not a "
                      "setting fangfan knows)"}}},
        FeedBadCase{"key_field_not_in_columns",
                    "poll_minutes = 10\n",
                    "poll_minutes = 10\nkey_fields = [\"month\"]\n",
                    {{"key_fields = [\"month\"]",
                      "feeds[1 civil_affairs].key_fields: field 'month' is not one of the "
                      "columns"}}},
        FeedBadCase{"rule_exclusion_unknown",
                    "name = \"dropout\"\n",
                    "name = \"dropout\"\nexclusion = \"yacht\"\n",
                    {{"exclusion = \"yacht\"",
                      "feeds[4 education].rules[1 dropout].exclusion: 'yacht' is not an exclusion "
                      "of [rules.eligibility.exclusions]"}}},
        FeedBadCase{"alert_period_zero",
                    "period = 5\nunit = \"working_days\"\nremind_before_working_days = 1\n"
                    "owner = \"township_clerk\"",
                    "period = 0\nunit = \"working_days\"\nremind_before_working_days = 1\n"
                    "owner = \"township_clerk\"",
                    {{"period = 0\nunit",
                      "rules.alerts.period: must be a positive number (1 to 60 days), got 0"}}},
        FeedBadCase{"alert_owner_unknown",
                    "remind_before_working_days = 1\nowner = \"township_clerk\"",
                    "remind_before_working_days = 1\nowner = \"mayor\"",
                    {{"owner = \"mayor\"", "rules.alerts.owner: 'mayor' is not a role"}}}));

TEST(Config, MissingFileIsOneClearError) {
  auto errors = errors_of(load_config("/nonexistent/fangfan.toml"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "/nonexistent/fangfan.toml: cannot read the configuration file (missing or not "
            "readable)");
}

TEST(Config, ReportsEveryErrorNotJustTheFirst) {
  std::string text = example_text();
  text.replace(text.find("per_month = 2"), 13, "per_month = 0");
  text.replace(text.find("reminder_day = 20"), 17, "reminder_day = 31");
  auto errors = errors_of(load_config_text(text, kConfigDir / "bad.toml"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].key, "rules.visits.per_month");
  EXPECT_EQ(errors[1].key, "rules.visits.reminder_day");
  EXPECT_LT(errors[0].line, errors[1].line);
}

// Issue 14 item 4: the example's standard is [000]'s, its instant route [002]'s; another year's
// line and Linyi's OR are read as written.
TEST(ConfigEligibility, StandardPerProvinceAndYear) {
  auto r = load_config(kConfigDir / "example.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const EligibilityRules& e = std::get<std::shared_ptr<const Config>>(r)->rules.eligibility;
  EXPECT_EQ(e.comparison, LineComparison::kBelow);
  EXPECT_EQ(e.join, LineJoin::kAll);
  EXPECT_EQ(e.conditions, (std::vector<std::string>{"rigid_expense", "income_drop"}));
  EXPECT_EQ(e.instant.case_kinds, std::vector<std::string>{"instant"});
  EXPECT_EQ(e.instant.conditions,
            (std::vector<std::string>{"rigid_expense_over_income", "basic_needs_unmet"}));
  EXPECT_EQ(std::get<std::shared_ptr<const Config>>(r)
                ->rules.deadlines.at("democratic_review")
                .shared_window,
            "household_verification");

  std::string text = example_text();
  const std::string join = "join = \"all\"";
  text.replace(text.find(join), join.size(), "join = \"any\"");
  const std::string instant = "[rules.eligibility.instant]";
  text.replace(text.find(instant), instant.size(),
               "[[rules.eligibility.lines]]\nyear = 2020\nmonitoring_line_yuan = 5000\n"
               "comparison = \"not_above\"\njoin = \"any\"\n\n" +
                   instant);
  auto loaded = load_config_text(text, kConfigDir / "linyi.toml");
  for (const auto& err : errors_of(loaded)) ADD_FAILURE() << err.to_string();
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(loaded));
  const EligibilityRules& l = std::get<std::shared_ptr<const Config>>(loaded)->rules.eligibility;
  EXPECT_EQ(l.join, LineJoin::kAny);
  ASSERT_EQ(l.other_years.size(), 1u);
  EXPECT_EQ(l.other_years[0].year, 2020);
  EXPECT_EQ(l.other_years[0].line_yuan, 5000);
  EXPECT_EQ(l.other_years[0].comparison, LineComparison::kNotAbove);
  EXPECT_EQ(line_in_force(l, 2021)->line_yuan, 5000);
  EXPECT_EQ(line_in_force(l, 2024)->line_yuan, 6500);
}

}  // namespace
}  // namespace fangfan
