// [[feeds]] kind = "feedback" (issue 13: a department's answer to its list): the keys it reads,
// every error it gives, and the cross-check against [[lists]] once every section is read
// (config_detail::check_feedback_lists; [[lists]] are parsed elsewhere, so this test fills
// ProgramRules::lists itself).
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/config/config.h"
#include "adapters/config/config_reader.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using config_detail::Errors;
using config_detail::Reader;

const char* const kFeedback = R"([[feeds]]
name = "civil_affairs_feedback"
kind = "feedback"
list = "civil_affairs_list"
department = "civil_affairs"
source = "folder"
folder = "state/feeds/civil_affairs_feedback"
file_pattern = "civil_affairs-feedback-{period}.*"
measure_type = "social_security"
columns = { id_number = "身份证号", name = "姓名", measure = "落实措施", start_date = "起始日期", amount = "月保障金额" }
)";

Config departments() {
  Config c;
  c.departments = {{"civil_affairs", "县民政局"}, {"education", "县教育局"}};
  return c;
}

// Reads `text`'s [[feeds]] into `c` (and the cross-check when `lists`), returning the errors as
// "KEY: MESSAGE".
std::vector<std::string> read(const std::string& text, Config& c, bool lists = false) {
  Errors errors{"feeds.toml", {}, false, std::nullopt};
  const toml::table root = toml::parse(std::string_view(text), std::string_view("feeds.toml"));
  {
    Reader top(root, "", errors);
    config_detail::read_feeds(top, c, "/etc/fangfan", errors);
    if (lists) config_detail::check_feedback_lists(top, c, errors);
  }
  std::vector<std::string> out;
  for (const auto& e : errors.list) out.push_back(e.key + ": " + e.message);
  std::sort(out.begin(), out.end());
  return out;
}

std::string replaced(std::string text, const std::string& find, const std::string& with) {
  const auto at = text.find(find);
  EXPECT_NE(at, std::string::npos) << find;
  if (at != std::string::npos) text.replace(at, find.size(), with);
  return text;
}

TEST(ConfigFeedback, AFeedbackFeedAnswersItsListAndNoScheduleRunsIt) {
  Config c = departments();
  EXPECT_EQ(read(kFeedback, c), std::vector<std::string>{});
  ASSERT_EQ(c.rules.feeds.sources.size(), 1u);
  const FeedSource& f = c.rules.feeds.sources[0];
  EXPECT_EQ(f.answers_list, "civil_affairs_list");
  EXPECT_EQ(f.measure_type, "social_security");
  EXPECT_EQ(f.department_name, "县民政局");
  EXPECT_EQ(f.folder, "/etc/fangfan/state/feeds/civil_affairs_feedback");
  EXPECT_EQ(f.columns.at("measure"), "落实措施");
  EXPECT_TRUE(f.rules.empty());
  EXPECT_TRUE(f.escalation.empty());
  // A data feed says so or nothing, and answers no list.
  Config d = departments();
  const std::string data =
      replaced(replaced(replaced(kFeedback, "kind = \"feedback\"", "kind = \"data\""),
                        "list = \"civil_affairs_list\"\n", ""),
               "measure_type = \"social_security\"\n", "");
  // (the data feed needs a schedule: that is the only error)
  EXPECT_EQ(read(data, d),
            (std::vector<std::string>{
                "feeds[1 civil_affairs_feedback]: no [[rules.schedules]] with kind = \"feed\" runs "
                "feed 'civil_affairs_feedback': add one (feed = \"civil_affairs_feedback\") or "
                "remove the feed"}));
  EXPECT_EQ(d.rules.feeds.sources[0].answers_list, "");
}

TEST(ConfigFeedback, AMeasureTypeColumnMakesTheDefaultOptional) {
  Config c = departments();
  const std::string text =
      replaced(replaced(kFeedback, "measure_type = \"social_security\"\n", ""),
               "measure = \"落实措施\"", "measure = \"落实措施\", measure_type = \"措施类型\"");
  EXPECT_EQ(read(text, c), std::vector<std::string>{});
  EXPECT_EQ(c.rules.feeds.sources[0].measure_type, "");
}

struct BadFeedback {
  const char* name;
  const char* find;
  const char* replace;
  std::vector<std::string> errors;  // "KEY: MESSAGE", sorted
};
void PrintTo(const BadFeedback& c, std::ostream* os) { *os << c.name; }

class ConfigFeedbackErrors : public ::testing::TestWithParam<BadFeedback> {};

TEST_P(ConfigFeedbackErrors, NameTheKey) {
  const BadFeedback& b = GetParam();
  Config c = departments();
  std::vector<std::string> want = b.errors;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(read(replaced(kFeedback, b.find, b.replace), c), want);
}

const char* const kFeed = "feeds[1 civil_affairs_feedback]";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigFeedbackErrors,
    ::testing::Values(
        BadFeedback{"unknown_kind",
                    "kind = \"feedback\"",
                    "kind = \"answer\"",
                    // Then a data feed: its feedback keys and missing schedule are errors too.
                    {std::string(kFeed) + ": no [[rules.schedules]] with kind = \"feed\" runs feed "
                                          "'civil_affairs_feedback': add one (feed = "
                                          "\"civil_affairs_feedback\") or remove the feed",
                     std::string(kFeed) + ".kind: must be \"data\" or \"feedback\", got 'answer'",
                     std::string(kFeed) + ".list: is only for kind = \"feedback\"",
                     std::string(kFeed) + ".measure_type: is only for kind = \"feedback\""}},
        BadFeedback{"no_list",
                    "list = \"civil_affairs_list\"\n",
                    "",
                    {std::string(kFeed) + ".list: is required but missing"}},
        BadFeedback{"empty_list",
                    "list = \"civil_affairs_list\"",
                    "list = \"\"",
                    {std::string(kFeed) + ".list: must name a [[lists]] list"}},
        BadFeedback{"no_measure_column",
                    "measure = \"落实措施\", ",
                    "",
                    {std::string(kFeed) +
                     ".columns: must map measure (措施内容) in a feedback feed: what the "
                     "department did"}},
        BadFeedback{"no_id_number_column",
                    "id_number = \"身份证号\", ",
                    "",
                    {std::string(kFeed) +
                     ".columns: must map id_number (身份证号): rows are matched by ID number"}},
        BadFeedback{"unknown_measure_type",
                    "measure_type = \"social_security\"",
                    "measure_type = \"dibao\"",
                    {std::string(kFeed) +
                     ".measure_type: 'dibao' is not a measure type (industry, employment, "
                     "social_security, medical, education, housing, drinking_water, "
                     "family_support, insurance, social_aid, motivation, other)"}},
        BadFeedback{"no_measure_type_nor_its_column",
                    "measure_type = \"social_security\"\n",
                    "",
                    {std::string(kFeed) + ".measure_type: is required but missing"}},
        BadFeedback{"rules_of_its_own",
                    "amount = \"月保障金额\" }\n",
                    "amount = \"月保障金额\" }\n[[feeds.rules]]\nname = \"x\"\n"
                    "label = \"x\"\nconditions = [{ field = \"measure\", one_of = [\"低保\"] }]\n",
                    {std::string(kFeed) +
                     ".rules: is only for data feeds: a feedback feed raises no alerts, and its "
                     "reminders and ladder are its list's (answer_within_working_days, "
                     "escalation)"}},
        BadFeedback{"a_ladder_of_its_own",
                    "measure_type = \"social_security\"\n",
                    "measure_type = \"social_security\"\nescalation = [{ after_working_days = 0, "
                    "to = \"department_clerk\" }]\n",
                    {std::string(kFeed) +
                     ".escalation: is only for data feeds: a feedback feed raises no alerts, and "
                     "its reminders and ladder are its list's (answer_within_working_days, "
                     "escalation)"}},
        BadFeedback{"pattern_without_period",
                    "file_pattern = \"civil_affairs-feedback-{period}.*\"",
                    "file_pattern = \"civil_affairs-feedback.csv\"",
                    {std::string(kFeed) +
                     ".file_pattern: must contain {period} (the list's day, YYYY-MM-DD), got "
                     "'civil_affairs-feedback.csv'"}}));

TEST(ConfigFeedback, AScheduleNeverRunsAFeedbackFeed) {
  Config c = departments();
  Schedule s;
  s.name = "answers";
  s.kind = "feed";
  s.department = "civil_affairs";
  s.feed = "civil_affairs_feedback";
  s.days_of_month = {1};
  c.rules.schedules.push_back(s);
  const std::string text = std::string(kFeedback) +
                           "[[rules.schedules]]\nname = \"answers\"\nkind = \"feed\"\n"
                           "department = \"civil_affairs\"\nfeed = \"civil_affairs_feedback\"\n"
                           "days_of_month = [1]\n";
  Errors errors{"feeds.toml", {}, false, std::nullopt};
  const toml::table root = toml::parse(std::string_view(text), std::string_view("feeds.toml"));
  {
    Reader top(root, "", errors);
    top.node("rules", false);  // read by read_rules in a real load
    config_detail::read_feeds(top, c, "/etc/fangfan", errors);
  }
  ASSERT_EQ(errors.list.size(), 1u);
  EXPECT_EQ(errors.list[0].key, "rules.schedules[1 answers].feed");
  EXPECT_EQ(errors.list[0].message,
            "feed 'civil_affairs_feedback' is kind = \"feedback\": it is looked for while its "
            "list's answer is due, never run by a schedule");
}

DepartmentList list(std::string name, std::string department) {
  DepartmentList l;
  l.name = std::move(name);
  l.department = std::move(department);
  return l;
}

struct ListRow {
  const char* name;
  std::vector<DepartmentList> lists;
  std::string extra_feed;           // a second feedback feed's TOML
  std::vector<std::string> errors;  // "KEY: MESSAGE", sorted
  std::string answered;             // civil_affairs_list's feedback_feed when no error
};
void PrintTo(const ListRow& r, std::ostream* os) { *os << r.name; }

class ConfigFeedbackLists : public ::testing::TestWithParam<ListRow> {};

TEST_P(ConfigFeedbackLists, EachFeedbackFeedAnswersAListOfItsDepartment) {
  const ListRow& row = GetParam();
  Config c = departments();
  c.rules.lists.lists = row.lists;
  EXPECT_EQ(read(std::string(kFeedback) + row.extra_feed, c, true), row.errors);
  if (const DepartmentList* l = c.rules.lists.find("civil_affairs_list")) {
    EXPECT_EQ(l->feedback_feed, row.answered);
  }
}

const char* const kSecondFeed = R"([[feeds]]
name = "second"
kind = "feedback"
list = "civil_affairs_list"
department = "civil_affairs"
source = "folder"
folder = "state/feeds/second"
measure_type = "medical"
columns = { id_number = "身份证号", measure = "落实措施" }
)";

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigFeedbackLists,
    ::testing::Values(
        ListRow{"answered",
                {list("education_list", "education"), list("civil_affairs_list", "civil_affairs")},
                "",
                {},
                "civil_affairs_feedback"},
        ListRow{"no_such_list",
                {list("education_list", "education")},
                "",
                {std::string(kFeed) +
                 ".list: list 'civil_affairs_list' is not defined under [[lists]]"},
                ""},
        ListRow{"another_departments_list",
                {list("civil_affairs_list", "education")},
                "",
                {std::string(kFeed) +
                 ".list: list 'civil_affairs_list' goes to department 'education', this feed is "
                 "of 'civil_affairs'"},
                ""},
        ListRow{"two_feeds_answer_one_list",
                {list("civil_affairs_list", "civil_affairs")},
                kSecondFeed,
                {"feeds[2 second].list: list 'civil_affairs_list' is answered by feed "
                 "'civil_affairs_feedback' already: one feedback feed per list"},
                "civil_affairs_feedback"}));

}  // namespace
}  // namespace fangfan
