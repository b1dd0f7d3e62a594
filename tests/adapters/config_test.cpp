#include "adapters/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace fangfan {
namespace {

namespace fs = std::filesystem;

const fs::path kConfigDir = fs::path(FANGFAN_SOURCE_DIR) / "config";

std::string example_text() {
  std::ifstream in(kConfigDir / "example.toml");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 1-based line of the first occurrence of `needle` in `text`.
int line_of(const std::string& text, const std::string& needle) {
  auto pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  return 1 + int(std::count(text.begin(), text.begin() + pos, '\n'));
}

std::vector<ConfigError> errors_of(const ConfigResult& r) {
  if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) return *e;
  return {};
}

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
  EXPECT_EQ(c.rules.schedules.size(), 6u);
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
        BadCase{"unknown_nested_key", "reminder_day = 20\n",
                "reminder_day = 20\nreminder_hour = 9\n", "reminder_hour",
                "rules.visits.reminder_hour: unknown key (not a setting fangfan knows)"},
        BadCase{"wrong_type", "per_month = 2\n", "per_month = \"two\"\n", nullptr,
                "rules.visits.per_month: must be a whole number, got a string"},
        BadCase{"phone_not_mainland_mobile", "phone = \"13900000011\"", "phone = \"0539-1234567\"",
                nullptr,
                "people[2].phone: '053*****4567' is not a mainland mobile number (11 digits "
                "starting 13-19)"},
        BadCase{"deadline_not_positive", "period = 3\n", "period = -3\n", nullptr,
                "rules.deadlines.county_review.period: deadline must be a positive number of days, "
                "got -3"},
        BadCase{"deadline_zero", "period = 3\n", "period = 0\n", nullptr,
                "rules.deadlines.county_review.period: deadline must be a positive number of days, "
                "got 0"},
        BadCase{"township_referenced_not_defined", "township = \"379901003\"",
                "township = \"379901009\"", nullptr,
                "villages[4].township: township '379901009' is referenced but not defined under "
                "[[townships]]"},
        BadCase{"unknown_role", "role = \"auditor\"", "role = \"boss\"", nullptr,
                "people[16].role: 'boss' is not a role (county_admin, county_office, "
                "township_head, township_clerk, village_officer, assistance_officer, "
                "department_clerk, auditor)"},
        BadCase{"scope_not_defined", "scope = \"379901003001\"\nphone = \"13900000301\"",
                "scope = \"379901003999\"\nphone = \"13900000301\"", "scope = \"379901003999\"",
                "people[10].scope: '379901003999' is neither this county, a defined township or "
                "village, nor a department"},
        BadCase{"escalation_to_unknown_role", "to = \"county_admin\" }", "to = \"mayor\" }",
                nullptr, "rules.deadlines.county_review.escalation[1].to: is not a role: 'mayor'"},
        BadCase{"bad_unit", "unit = \"working_days\"", "unit = \"weeks\"", nullptr,
                "rules.deadlines.household_verification.unit: must be \"working_days\" or "
                "\"calendar_days\", got 'weeks'"},
        BadCase{"storage_scheme", "url = \"sqlite3://state/fangfan.db\"", "url = \"mysql://x\"",
                nullptr, "storage.url: must start with sqlite3:// or postgresql://"},
        BadCase{"missing_required", "name = \"示例县\"\n", "", "[county]",
                "county.name: is required but missing"},
        BadCase{"not_toml", "[county]\n", "[county\n", nullptr,
                "not valid TOML: Error while parsing table header: expected ']', saw '\\n'"},
        BadCase{"schedule_unknown_department", "department = \"education\"",
                "department = \"culture\"", nullptr,
                "rules.schedules[3].department: department 'culture' is not defined under "
                "[[departments]]"},
        BadCase{"steps_out_of_order", "steps = [\"household_verification\", \"county_review\"]",
                "steps = [\"county_review\", \"household_verification\"]", nullptr,
                "rules.case_kinds[4].steps: "
                "监测对象类型“monitored_formerly_poor”的认定步骤顺序不对或有重复："
                "应按入户核实、民主评议、县级审核比对、村级公示的顺序"},
        BadCase{"log_level", "level = \"info\"", "level = \"loud\"", nullptr,
                "log.level: must be one of trace, debug, info, warn, error, critical, off"}),
    [](const auto& info) { return std::string(info.param.name); });

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

}  // namespace
}  // namespace fangfan
