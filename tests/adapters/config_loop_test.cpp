// [rules.assignment] and [rules.alert_loop] (issue 14 items 2 and 6): the example's commented
// tables load as documented when uncommented, and every wrong value is an error naming its key.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "adapters/config/config.h"

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

// The example with the block of the two tables uncommented.
std::string uncommented() {
  std::string text = example_text();
  const std::size_t begin = text.find("# -- registration and monitoring alerts");
  const std::size_t end = text.find("# Each [[feeds]]");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  std::istringstream block(text.substr(begin, end - begin));
  const std::regex toml_line(R"(^# (\[|[a-z_]+ = |  \{|\]))");
  std::string out;
  for (std::string line; std::getline(block, line);) {
    if (std::regex_search(line, toml_line)) line = line.substr(2);
    out += line + "\n";
  }
  text.replace(begin, end - begin, out);
  return text;
}

ConfigResult load(const std::string& text) {
  return load_config_text(text, kConfigDir / "x.toml", {.read_secrets = false});
}

TEST(ConfigLoop, TheExamplesTablesAreOffAsShippedAndLoadUncommented) {
  auto shipped = load(example_text());
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(shipped));
  const ProgramRules& off = std::get<std::shared_ptr<const Config>>(shipped)->rules;
  EXPECT_FALSE(off.assignment.enabled);
  EXPECT_FALSE(off.feeds.loop.enabled);

  auto r = load(uncommented());
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const ConfigError& e : *errors) ADD_FAILURE() << e.to_string();
  }
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(r));
  const ProgramRules& rules = std::get<std::shared_ptr<const Config>>(r)->rules;
  const AssignmentRules& a = rules.assignment;
  EXPECT_TRUE(a.enabled);
  EXPECT_EQ(a.deadline.period, 1);
  EXPECT_EQ(a.deadline.remind_before_working_days, 0);
  EXPECT_EQ(a.owner_role, "township_clerk");
  EXPECT_EQ(a.notify_roles, (std::vector<std::string>{"township_clerk", "village_officer"}));
  ASSERT_EQ(a.deadline.escalation.size(), 3u);
  EXPECT_EQ(a.deadline.escalation[2].to_role, "county_office");
  const AlertLoopRules& l = rules.feeds.loop;
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.township_review.period, 3);
  EXPECT_EQ(l.township_review.remind_before_working_days, 1);
  EXPECT_EQ(l.county_review.period, 3);
  EXPECT_EQ(l.department.period, 10);
  EXPECT_EQ(l.department.remind_before_working_days, 2);
  EXPECT_EQ(l.closure.period, 5);
  ASSERT_EQ(l.closure.escalation.size(), 1u);
  EXPECT_EQ(l.closure.escalation[0].to_role, "county_admin");
}

TEST(ConfigLoop, WrongValuesNameTheirKey) {
  struct Row {
    const char* toml;
    const char* key;
  };
  const std::vector<Row> rows{
      {"[rules.assignment]\nperiod = 0\n", "rules.assignment.period"},
      {"[rules.assignment]\nunit = \"weeks\"\n", "rules.assignment.unit"},
      {"[rules.assignment]\nowner = \"mayor\"\n", "rules.assignment.owner"},
      {"[rules.assignment]\nnotify = [\"mayor\"]\n", "rules.assignment.notify"},
      {"[rules.assignment]\nnotify = []\n", "rules.assignment.notify"},
      {"[rules.assignment]\ncolour = 1\n", "rules.assignment.colour"},
      {"[rules.alert_loop.department]\nperiod = 61\n", "rules.alert_loop.department.period"},
      {"[rules.alert_loop.closure]\nescalation = [{ after_working_days = 0, to = \"x\" }]\n",
       "rules.alert_loop.closure.escalation[1].to"},
      {"[rules.alert_loop.township]\nperiod = 3\n", "rules.alert_loop.township"},
  };
  for (const Row& row : rows) {
    auto r = load(example_text() + "\n" + row.toml);
    const auto* errors = std::get_if<std::vector<ConfigError>>(&r);
    ASSERT_NE(errors, nullptr) << row.toml;
    bool named = false;
    for (const ConfigError& e : *errors) named = named || e.key == row.key;
    EXPECT_TRUE(named) << row.toml << (errors->empty() ? "" : errors->front().to_string());
  }
}

}  // namespace
}  // namespace fangfan
