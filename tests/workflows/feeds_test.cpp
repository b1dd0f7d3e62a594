// Department feeds, the pure core (workflows/feeds.h): header mapping, every class of bad cell
// with its sentence, dates and amounts as departments write them, signal rules, where a fired
// rule goes, schedule periods across months, and the timers of a missing period and of an
// alert's verification on the shipped calendar (config/calendar: National Day 2025).
#include "workflows/feeds.h"

#include <gtest/gtest.h>

#include "adapters/calendar/calendar_files.h"
#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/id_number.h"
#include "workflows/message_templates.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

const WorkingDayCalendar& shipped() {
  static const WorkingDayCalendar calendar = [] {
    CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
    EXPECT_TRUE(load.calendar.has_value());
    return *load.calendar;
  }();
  return calendar;
}

TimePoint at(const char* text) {
  auto t = parse_time(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

Date day(const char* text) {
  auto d = parse_date(text);
  EXPECT_TRUE(d) << text;
  return d.value_or(Date{});
}

const Date kToday = parse_date("2025-05-05").value();
constexpr const char* kVillage = "371302001001";
constexpr const char* kTownship = "371302001";

FeedSource civil_affairs() {
  FeedSource s;
  s.name = "civil_affairs";
  s.department = "civil_affairs";
  s.columns = {{"id_number", "身份证号"},   {"name", "姓名"},           {"village_code", "村编码"},
               {"category", "救助类别"},    {"start_date", "批准日期"}, {"amount", "月保障金额"},
               {"household_code", "户编码"}};
  FeedRule r;
  r.name = "new_assistance";
  r.label = "新纳入低保/特困/临时救助";
  r.conditions.push_back({"category", {"低保", "特困", "临时救助"}, {}, {}});
  s.rules.push_back(r);
  return s;
}

const std::vector<std::string> kHeader = {"姓名",     "身份证号",   "村编码", "救助类别",
                                          "批准日期", "月保障金额", "户编码"};

FeedColumns columns(const FeedSource& s = civil_affairs()) {
  auto mapped = map_feed_header(kHeader, s);
  EXPECT_TRUE(std::holds_alternative<FeedColumns>(mapped)) << std::get<std::string>(mapped);
  return std::get<FeedColumns>(mapped);
}

bool known(std::string_view code) { return code == kVillage; }

std::string good_id() {
  testing::PeopleGenerator people(12);
  return people.id_number(day("1975-03-04"), true);
}

// A valid ID ending in 'X' (lowercased), found by drawing sequences.
std::string id_ending_in_x() {
  testing::PeopleGenerator people(7);
  for (;;) {
    std::string id = people.id_number(day("1980-06-01"), people.chance(50));
    if (id.back() == 'X') return id;
  }
}

// -- header

TEST(FeedHeader, MapsFieldsToColumnsIdNumberFirst) {
  std::vector<std::string> header = kHeader;
  header[0] = "\xEF\xBB\xBF 姓名";  // a BOM and a space from the export
  header[3] = " 救助类别\t";
  auto mapped = map_feed_header(header, civil_affairs());
  ASSERT_TRUE(std::holds_alternative<FeedColumns>(mapped)) << std::get<std::string>(mapped);
  const FeedColumns& c = std::get<FeedColumns>(mapped);
  ASSERT_EQ(c.fields.size(), 7u);
  EXPECT_EQ(c.fields[0], "id_number");
  EXPECT_EQ(c.index[0], 1);
  EXPECT_EQ(c.field_index("name"), c.field_index("name"));
  EXPECT_EQ(c.index[static_cast<std::size_t>(c.field_index("name"))], 0);
  EXPECT_EQ(c.index[static_cast<std::size_t>(c.field_index("category"))], 3);
  EXPECT_EQ(c.kinds[static_cast<std::size_t>(c.field_index("start_date"))], FeedFieldKind::kDate);
  EXPECT_EQ(c.kinds[static_cast<std::size_t>(c.field_index("amount"))], FeedFieldKind::kAmount);
  EXPECT_EQ(c.kinds[static_cast<std::size_t>(c.field_index("household_code"))],
            FeedFieldKind::kCode);
  EXPECT_EQ(c.field_index("address"), -1);
}

TEST(FeedHeader, RefusesAMissingOrTwiceSeenHeaderNamingIt) {
  struct Case {
    const char* name;
    std::vector<std::string> header;
    const char* expected;
  };
  std::vector<std::string> missing = kHeader;
  missing.erase(missing.begin() + 4);
  std::vector<std::string> twice = kHeader;
  twice.push_back("救助类别");
  const std::vector<Case> cases = {
      {"missing", missing,
       "文件表头缺少“批准日期”列 (feed civil_affairs: no column '批准日期' for field "
       "start_date)"},
      {"twice", twice,
       "文件表头中“救助类别”出现了两次，无法确定category取哪一列 (feed civil_affairs: the "
       "header '救助类别' of field category appears twice)"},
      {"empty",
       {},
       "文件表头缺少“身份证号”列 (feed civil_affairs: no column '身份证号' for field "
       "id_number)"},
  };
  for (const Case& c : cases) {
    auto mapped = map_feed_header(c.header, civil_affairs());
    ASSERT_TRUE(std::holds_alternative<std::string>(mapped)) << c.name;
    EXPECT_EQ(std::get<std::string>(mapped), c.expected) << c.name;
  }
  FeedSource no_id = civil_affairs();
  no_id.columns.erase("id_number");
  auto mapped = map_feed_header(kHeader, no_id);
  ASSERT_TRUE(std::holds_alternative<std::string>(mapped));
  EXPECT_NE(std::get<std::string>(mapped).find("maps no id_number column"), std::string::npos);
}

// -- rows

// A row in the file's column order: name, id, village, category, date, amount, household.
std::vector<std::string> row(std::string id, std::string date = "2025-04-28",
                             std::string amount = "650", std::string village = kVillage,
                             std::string household = "H-0001") {
  return {"王秀英",        std::move(id),     std::move(village),  "低保",
          std::move(date), std::move(amount), std::move(household)};
}

TEST(FeedRow, NormalizesAGoodRow) {
  const FeedColumns c = columns();
  std::string lower_x = id_ending_in_x();
  lower_x.back() = 'x';
  auto checked =
      validate_feed_row(7, row(" " + lower_x + " ", "2025年4月8日", "1,200.50"), c, kToday, known);
  ASSERT_TRUE(std::holds_alternative<FeedRecord>(checked))
      << std::get<FeedCellProblem>(checked).reason;
  const FeedRecord& r = std::get<FeedRecord>(checked);
  EXPECT_EQ(r.line, 7);
  EXPECT_EQ(r.values[0], id_ending_in_x());
  EXPECT_EQ(r.values[static_cast<std::size_t>(c.field_index("start_date"))], "2025-04-08");
  EXPECT_EQ(r.values[static_cast<std::size_t>(c.field_index("amount"))], "1200.5");
  EXPECT_EQ(r.values[static_cast<std::size_t>(c.field_index("category"))], "低保");
  // A short row: the missing cells at the end are empty (allowed for these fields).
  std::vector<std::string> short_row = row(good_id());
  short_row.resize(3);
  EXPECT_TRUE(
      std::holds_alternative<FeedRecord>(validate_feed_row(8, short_row, c, kToday, known)));
}

TEST(FeedRow, RefusesEachBadClassWithItsSentence) {
  const std::string id = good_id();
  std::string wrong_check = id;
  wrong_check.back() = wrong_check.back() == '1' ? '2' : '1';
  // An ID Excel rounded to 15 significant digits: the last three are 000, the check fails.
  std::string rounded = id.substr(0, 15) + "000";
  if (id_check_char(rounded.substr(0, 17)) == '0') rounded[14] = rounded[14] == '9' ? '8' : '9';
  testing::PeopleGenerator people(3);
  const std::string unborn = people.id_number(day("2025-06-01"), false);
  struct Case {
    const char* name;
    std::vector<std::string> cells;
    const char* field;
    const char* header;
    const char* reason_part;
  };
  const char* kExcel = "Excel turned the ID number into a number";
  const std::vector<Case> cases = {
      {"empty id", row(""), "id_number", "身份证号", "the ID number is empty"},
      {"check digit", row(wrong_check), "id_number", "身份证号", "校验位"},
      {"excel scientific", row("3.7E+17"), "id_number", "身份证号", kExcel},
      {"excel scientific with digits", row("3.70102E+17"), "id_number", "身份证号", kExcel},
      {"excel lower e", row("3.70102e+17"), "id_number", "身份证号", kExcel},
      {"excel rounded to 000", row(rounded), "id_number", "身份证号", kExcel},
      {"born after today", row(unborn), "id_number", "身份证号", "not a valid ID number"},
      {"seventeen digits", row(id.substr(0, 17)), "id_number", "身份证号", "应为18位"},
      {"bad date", row(id, "2025-02-30"), "start_date", "批准日期", "not a valid date"},
      {"date words", row(id, "四月八日"), "start_date", "批准日期", "not a valid date"},
      {"three decimals", row(id, "2025-04-08", "12.345"), "amount", "月保障金额", "not an amount"},
      {"amount with letters", row(id, "2025-04-08", "12a"), "amount", "月保障金额",
       "not an amount"},
      {"stray comma", row(id, "2025-04-08", ",120"), "amount", "月保障金额", "not an amount"},
      {"village too short", row(id, "2025-04-08", "1", "3713020010"), "village_code", "村编码",
       "12 digits"},
      {"unknown village", row(id, "2025-04-08", "1", "371302009009"), "village_code", "村编码",
       "not in the configuration"},
      {"code with a space", row(id, "2025-04-08", "1", kVillage, "H 1"), "household_code", "户编码",
       "letters, digits and '-' only"},
  };
  const FeedColumns c = columns();
  FeedRecord record;
  FeedCellProblem problem;
  for (const Case& k : cases) {
    ASSERT_FALSE(check_feed_row(3, k.cells, c, kToday, known, record, problem)) << k.name;
    EXPECT_EQ(problem.field, k.field) << k.name;
    EXPECT_EQ(problem.header, k.header) << k.name;
    EXPECT_NE(problem.reason.find(k.reason_part), std::string::npos)
        << k.name << ": " << problem.reason;
    EXPECT_FALSE(contains_unmasked_identifiers(problem.reason)) << k.name;
    EXPECT_EQ(problem.reason.find(id), std::string::npos) << k.name;
  }
  // The Excel sentence tells what to do.
  ASSERT_FALSE(check_feed_row(3, row("3.7E+17"), c, kToday, known, record, problem));
  EXPECT_NE(problem.reason.find("把身份证号列设为文本后重新导出"), std::string::npos);
  // A valid ID that happens to end in 000 is not mistaken for a rounded one.
  for (int seed = 0; seed < 2000; ++seed) {
    testing::PeopleGenerator g(static_cast<std::uint64_t>(seed));
    std::string candidate = g.id_number(day("1990-01-01"), g.chance(50));
    candidate = candidate.substr(0, 14) + "000";
    if (id_check_char(candidate) != '0') continue;
    candidate += '0';
    EXPECT_TRUE(check_feed_row(3, row(candidate), c, kToday, known, record, problem))
        << problem.reason;
    break;
  }
}

TEST(FeedRow, ReusesTheCallersBuffers) {
  const FeedColumns c = columns();
  const std::vector<std::string> cells = row(good_id());
  std::vector<std::string_view> views(cells.begin(), cells.end());
  FeedRecord record;
  FeedCellProblem problem;
  ASSERT_TRUE(check_feed_row(2, views, c, kToday, known, record, problem));
  const char* first = record.values[0].data();
  ASSERT_TRUE(check_feed_row(3, views, c, kToday, known, record, problem));
  EXPECT_EQ(record.values[0].data(), first);
  EXPECT_EQ(record.line, 3);
}

TEST(FeedDate, ReadsTheFormatsDepartmentsWrite) {
  const std::vector<std::pair<const char*, const char*>> good = {
      {"2025-04-08", "2025-04-08"},
      {"2025/4/8", "2025-04-08"},
      {"2025.4.8", "2025-04-08"},
      {"2025年4月8日", "2025-04-08"},
      {"2025年04月08日", "2025-04-08"},
      {"20250408", "2025-04-08"},
      {"45658", "2025-01-01"},
      {"45658.75", "2025-01-01"},
      {" 2025-04-08 09:30:00", "2025-04-08"},
      {"2024-02-29", "2024-02-29"},
  };
  for (const auto& [text, expected] : good) {
    auto d = parse_feed_date(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(format_date(*d), expected) << text;
  }
  for (const char* bad : {"", "2025", "2025-13-01", "2025-02-29", "20251301", "1899-12-31",
                          "2025-4", "2025年4月", "4/8/2025", "45658.5x", "yesterday"}) {
    EXPECT_FALSE(parse_feed_date(bad)) << bad;
  }
}

TEST(FeedAmount, HasOneCanonicalSpelling) {
  const std::vector<std::pair<const char*, const char*>> good = {
      {"650", "650"},       {"650.00", "650"},
      {"0650.50", "650.5"}, {"1,200.05", "1200.05"},
      {"-3.5", "-3.5"},     {"+7", "7"},
      {"-0", "0"},          {"0.00", "0"},
      {"12元", "12"},       {" 1,234,567 ", "1234567"},
  };
  for (const auto& [text, expected] : good) {
    EXPECT_EQ(canonical_amount(text).value_or("<none>"), expected) << text;
  }
  for (const char* bad : {"", "-", "1.", ".5", "1.234", "1,,2", "1,", "abc", "1e3", "¥5"}) {
    EXPECT_FALSE(canonical_amount(bad)) << bad;
  }
}

TEST(FeedRow, KeyIsTheIdNumberAndTheKeyFields) {
  FeedSource s = civil_affairs();
  const FeedColumns c = columns(s);
  FeedRecord r;
  FeedCellProblem p;
  ASSERT_TRUE(check_feed_row(2, row(good_id()), c, kToday, known, r, p));
  EXPECT_EQ(feed_row_key(r, c, s), good_id());
  s.key_fields = {"start_date", "category"};
  EXPECT_EQ(feed_row_key(r, c, s), good_id() + "\x1f" + "2025-04-28\x1f低保");
}

// -- rules

TEST(FeedRules, FireWhenEveryConditionHolds) {
  FeedSource s = civil_affairs();
  s.columns["spending_amount"] = "自付金额";
  FeedRule high;
  high.name = "high_spending";
  high.conditions.push_back({"spending_amount", {}, 20000.0, {}});
  FeedRule share;
  share.name = "share_of_income";
  share.conditions.push_back({"spending_amount", {}, {}, 0.5});
  FeedRule both;
  both.name = "dibao_and_spending";
  both.conditions.push_back({"category", {"低保"}, {}, {}});
  both.conditions.push_back({"spending_amount", {}, 1000.0, {}});
  FeedRule unmapped;
  unmapped.name = "unmapped";
  unmapped.conditions.push_back({"grade", {"C", "D"}, {}, {}});
  s.rules = {s.rules[0], high, share, both, unmapped};
  std::vector<std::string> header = kHeader;
  header.push_back("自付金额");

  struct Case {
    const char* name;
    const char* category;
    const char* spending;
    std::optional<double> income;
    std::vector<std::string> fired;
  };
  const std::vector<Case> cases = {
      {"nothing", "无", "100", std::nullopt, {}},
      {"category only", "特困", "", std::nullopt, {"new_assistance"}},
      {"at least", "无", "20000", std::nullopt, {"high_spending"}},
      {"just below", "无", "19999.99", std::nullopt, {}},
      {"share without income", "无", "6000", std::nullopt, {}},
      {"share of a known income", "无", "6000", 12000.0, {"share_of_income"}},
      {"share below", "无", "5999", 12000.0, {}},
      {"every condition", "低保", "1000", std::nullopt, {"new_assistance", "dibao_and_spending"}},
  };
  auto mapped = map_feed_header(header, s);
  ASSERT_TRUE(std::holds_alternative<FeedColumns>(mapped)) << std::get<std::string>(mapped);
  const FeedColumns& c = std::get<FeedColumns>(mapped);
  const CompiledFeedRules compiled = compile_feed_rules(s, c);
  std::vector<const FeedRule*> fired;
  for (const Case& k : cases) {
    std::vector<std::string> cells = row(good_id());
    cells[3] = k.category;
    cells.push_back(k.spending);
    FeedRecord r;
    FeedCellProblem p;
    ASSERT_TRUE(check_feed_row(2, cells, c, kToday, known, r, p)) << k.name << p.reason;
    fired_rules(compiled, r, k.income, fired);
    std::vector<std::string> names;
    for (const FeedRule* f : fired) names.push_back(f->name);
    EXPECT_EQ(names, k.fired) << k.name;
    EXPECT_EQ(fired_rules(s, c, r, k.income).size(), k.fired.size()) << k.name;
  }
}

// -- alerts

TEST(FeedAlerts, GoToTheCaseOrTheTownshipOrTheCounty) {
  FeedSource s = civil_affairs();
  FeedRule cross;
  cross.name = "car";
  cross.label = "名下有车辆";
  cross.exclusion = "car";
  cross.conditions.push_back({"category", {"低保"}, {}, {}});
  const FeedColumns c = columns(s);
  auto township_of = [](std::string_view v) {
    return v == kVillage ? std::string(kTownship) : std::string();
  };
  MemberMatch with_case{"H1", "371302002001", "371302002", "李四", 42, "registered", 9000.0};
  MemberMatch in_review = with_case;
  in_review.case_state = "county_review";
  MemberMatch no_case{"H2", "371302002001", "371302002", "李四", std::nullopt, "", std::nullopt};
  struct Case {
    const char* name;
    const FeedRule* rule;
    std::optional<MemberMatch> member;
    const char* village;  // the row's village code
    std::optional<std::int64_t> evidence_case;
    bool county_review;
    const char* township;
    const char* alert_village;
    bool placed;
  };
  const std::vector<Case> cases = {
      {"monitored household", &s.rules[0], with_case, kVillage, 42, false, "", "", true},
      {"cross-check in county review", &cross, in_review, kVillage, 42, true, "", "", true},
      {"cross-check on a registered case", &cross, with_case, "", 42, false, "", "", true},
      {"cross-check without a case", &cross, no_case, "", std::nullopt, false, "371302002",
       "371302002001", true},
      {"stranger placed by the row", &s.rules[0], std::nullopt, kVillage, std::nullopt, false,
       kTownship, kVillage, true},
      {"member without a case, row village wins", &s.rules[0], no_case, kVillage, std::nullopt,
       false, kTownship, kVillage, true},
      {"member's village when the row has none", &s.rules[0], no_case, "", std::nullopt, false,
       "371302002", "371302002001", true},
      {"unplaced: the county", &s.rules[0], std::nullopt, "", std::nullopt, false, "371302", "",
       false},
  };
  const std::string id = good_id();
  for (const Case& k : cases) {
    FeedRecord r;
    FeedCellProblem p;
    ASSERT_TRUE(check_feed_row(2, row(id, "2025-04-28", "650", k.village), c, kToday, known, r, p))
        << k.name << p.reason;
    const AlertDecision d =
        decide_alert(s, *k.rule, c, r, "2025-05", k.member, township_of, "371302");
    EXPECT_EQ(d.rule, k.rule->name) << k.name;
    EXPECT_EQ(d.exclusion, k.rule->exclusion) << k.name;
    EXPECT_EQ(d.id_number, id) << k.name;
    EXPECT_EQ(d.name, "王秀英") << k.name;
    EXPECT_EQ(d.period, "2025-05");
    EXPECT_EQ(d.summary.find(id), std::string::npos) << k.name;
    EXPECT_EQ(d.summary.find("王秀英"), std::string::npos) << k.name << ": " << d.summary;
    EXPECT_NE(d.summary.find("王**"), std::string::npos) << k.name << ": " << d.summary;
    for (const auto& [field, value] : d.detail) EXPECT_NE(field, "id_number") << k.name;
    if (k.evidence_case) {
      ASSERT_TRUE(std::holds_alternative<CaseEvidence>(d.route)) << k.name;
      EXPECT_EQ(std::get<CaseEvidence>(d.route).case_id, *k.evidence_case) << k.name;
      EXPECT_EQ(std::get<CaseEvidence>(d.route).county_review, k.county_review) << k.name;
    } else {
      ASSERT_TRUE(std::holds_alternative<NewAlert>(d.route)) << k.name;
      const NewAlert& a = std::get<NewAlert>(d.route);
      EXPECT_EQ(a.township_code, k.township) << k.name;
      EXPECT_EQ(a.village_code, k.alert_village) << k.name;
      EXPECT_EQ(a.placed, k.placed) << k.name;
    }
  }
  FeedRecord r;
  FeedCellProblem p;
  ASSERT_TRUE(check_feed_row(2, row(id), c, kToday, known, r, p));
  const AlertDecision d =
      decide_alert(s, s.rules[0], c, r, "2025-05", std::nullopt, township_of, "371302");
  EXPECT_EQ(
      d.summary,
      "行业部门预警（civil_affairs 2025-05）：王**，新纳入低保/特困/临时救助（救助类别：低保）");
  const AlertDecision x = decide_alert(s, cross, c, r, "2025-05", in_review, township_of, "371302");
  EXPECT_NE(x.summary.find("排除条件car"), std::string::npos) << x.summary;
}

// -- schedules

ProgramRules feed_rules() {
  ProgramRules rules;
  rules.feeds.sources.push_back(civil_affairs());
  FeedSource education = civil_affairs();
  education.name = "education";
  education.department = "education";
  rules.feeds.sources.push_back(education);
  rules.schedules.push_back(
      {"civil_affairs_feed", "feed", "civil_affairs", "civil_affairs", "", {5}, {}, 9});
  rules.schedules.push_back(
      {"education_feed", "feed", "education", "education", "", {5}, {3, 9}, 8});
  rules.schedules.push_back({"lists", "list", "health", "", "", {1}, {}, 8});
  rules.schedules.push_back({"orphan_feed", "feed", "police", "police", "", {5}, {}, 8});
  return rules;
}

std::vector<std::string> describe(const std::vector<FeedOccurrence>& list) {
  std::vector<std::string> out;
  for (const FeedOccurrence& o : list) {
    out.push_back(o.feed + " " + o.period + " " + format_time(o.at) + " " + o.department);
  }
  return out;
}

TEST(FeedSchedule, OccurrencesAcrossMonths) {
  const ProgramRules rules = feed_rules();
  // 2025-07-05 is a Saturday: it stays the 5th. (from, to]: 2025-02-05 09:00 is left out.
  EXPECT_EQ(describe(feed_occurrences(rules, at("2025-02-05T09:00"), at("2025-09-05T08:00"))),
            (std::vector<std::string>{
                "education 2025-03 2025-03-05T08:00:00+08:00 education",
                "civil_affairs 2025-03 2025-03-05T09:00:00+08:00 civil_affairs",
                "civil_affairs 2025-04 2025-04-05T09:00:00+08:00 civil_affairs",
                "civil_affairs 2025-05 2025-05-05T09:00:00+08:00 civil_affairs",
                "civil_affairs 2025-06 2025-06-05T09:00:00+08:00 civil_affairs",
                "civil_affairs 2025-07 2025-07-05T09:00:00+08:00 civil_affairs",
                "civil_affairs 2025-08 2025-08-05T09:00:00+08:00 civil_affairs",
                "education 2025-09 2025-09-05T08:00:00+08:00 education",
            }));
  // Across a year's end, in China time (the 5th at 09:00 is 01:00 UTC).
  EXPECT_EQ(
      describe(feed_occurrences(rules, at("2025-12-31T23:00"), at("2026-01-05T01:00Z"))),
      (std::vector<std::string>{"civil_affairs 2026-01 2026-01-05T09:00:00+08:00 civil_affairs"}));
  EXPECT_TRUE(feed_occurrences(rules, at("2025-05-05T09:00"), at("2025-05-05T09:00")).empty());
}

TEST(FeedSchedule, SeveralDaysAMonthAreOnePeriodAndAShortMonthClamps) {
  ProgramRules rules = feed_rules();
  rules.schedules = {{"exchange", "feed", "civil_affairs", "civil_affairs", "", {15, 1}, {}, 8},
                     {"late", "feed", "education", "education", "", {31}, {}, 8}};
  EXPECT_EQ(
      describe(feed_occurrences(rules, at("2025-01-31T12:00"), at("2025-03-02T00:00"))),
      (std::vector<std::string>{"civil_affairs 2025-02 2025-02-01T08:00:00+08:00 civil_affairs",
                                "education 2025-02 2025-02-28T08:00:00+08:00 education",
                                "civil_affairs 2025-03 2025-03-01T08:00:00+08:00 civil_affairs"}));
}

TEST(FeedSchedule, LatestOccurrenceAtOrBeforeNow) {
  const ProgramRules rules = feed_rules();
  struct Case {
    const char* name;
    std::size_t schedule;
    const char* now;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"before this month's", 0, "2025-05-05T08:59", "2025-04 2025-04-05T09:00:00+08:00"},
      {"at it", 0, "2025-05-05T09:00", "2025-05 2025-05-05T09:00:00+08:00"},
      {"months filter goes back", 1, "2025-12-20T10:00", "2025-09 2025-09-05T08:00:00+08:00"},
      {"months filter, previous year", 1, "2026-02-01T10:00", "2025-09 2025-09-05T08:00:00+08:00"},
      {"not a feed", 2, "2025-05-20T10:00", std::nullopt},
      {"feed not configured", 3, "2025-05-20T10:00", std::nullopt},
  };
  for (const Case& k : cases) {
    auto o = latest_feed_occurrence(rules, rules.schedules[k.schedule], at(k.now));
    ASSERT_EQ(o.has_value(), k.expected.has_value()) << k.name;
    if (o) {
      EXPECT_EQ(o->period + " " + format_time(o->at), *k.expected) << k.name;
    }
  }
}

TEST(FeedSchedule, KeysAndTheDutyOfAPeriod) {
  EXPECT_EQ(feed_due_key("civil_affairs", "2025-05"), "feed_due/civil_affairs/2025-05");
  EXPECT_EQ(feed_duty_key("civil_affairs", "2025-05"), "feed/civil_affairs/2025-05");
  EXPECT_EQ(alert_duty_key(17), "alert/17");
  const ProgramRules rules = feed_rules();
  auto o = feed_due_occurrence(rules, FeedDue{"education", "2025-09"}, at("2025-09-05T08:00"));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->schedule, "education_feed");
  EXPECT_EQ(o->department, "education");
  EXPECT_FALSE(feed_due_occurrence(rules, FeedDue{"police", "2025-09"}, at("2025-09-05T08:00")));
  const NewDuty d = feed_duty(*o, "371302");
  EXPECT_EQ(d.duty_key, "feed/education/2025-09");
  EXPECT_EQ(d.kind, kDutyFeed);
  EXPECT_EQ(d.subject, "education/2025-09");
  EXPECT_EQ(d.township_code, "371302");
  EXPECT_EQ(d.village_code, "");
  EXPECT_EQ(d.owner_role, "department_clerk");
  EXPECT_FALSE(d.case_id);
  EXPECT_EQ(d.due_at, at("2025-09-05T08:00"));
  EXPECT_EQ(d.opened_at, at("2025-09-05T08:00"));
}

// -- duties on the shipped calendar (2025: 10-01..10-08 off, 09-28 and 10-11 worked)

DutyRecord stored(const NewDuty& n) {
  DutyRecord r;
  r.id = 5;
  r.duty_key = n.duty_key;
  r.kind = n.kind;
  r.subject = n.subject;
  r.township_code = n.township_code;
  r.owner_role = n.owner_role;
  r.due_at = n.due_at;
  r.opened_at = n.opened_at;
  return r;
}

std::vector<std::string> timers_of(const std::vector<PlannedTimer>& timers) {
  std::vector<std::string> out;
  for (const PlannedTimer& t : timers) {
    std::string roles;
    for (const std::string& r : t.notice.roles) roles += " " + r;
    out.push_back(t.suffix + " " + t.kind + " " + format_time(t.due_at) + " " + t.notice.due_date +
                  roles);
  }
  return out;
}

TEST(FeedDuties, AMissingPeriodClimbsItsLadderInWorkingDays) {
  FeedSource s = civil_affairs();
  s.escalation = {{0, "department_clerk"}, {3, "county_office"}, {1, "department_clerk"}};
  FeedOccurrence o{"civil_affairs_feed", "civil_affairs", "civil_affairs", "2025-09",
                   at("2025-09-30T09:00")};
  const DutyRecord duty = stored(feed_duty(o, "371302"));
  auto timers = plan_feed_missing(duty, s, shipped());
  ASSERT_TRUE(timers) << timers.error().message;
  EXPECT_EQ(timers_of(*timers),
            (std::vector<std::string>{
                "due due 2025-09-30T09:00:00+08:00 2025-09-30 department_clerk",
                "rung/1 escalation 2025-10-09T08:00:00+08:00 2025-09-30 department_clerk",
                "rung/2 escalation 2025-10-11T08:00:00+08:00 2025-09-30 county_office"}));
  for (const PlannedTimer& t : *timers) EXPECT_EQ(t.notice.notice, DutyNoticeKind::kOverdue);
  EXPECT_EQ(
      timer_dedupe_key(feed_duty(o, "371302"), (*timers)[1].suffix),
      "feed/civil_affairs/2025-09/" + std::to_string(o.at.time_since_epoch().count()) + "/rung/1");
  // No ladder configured: the department clerk at due time.
  s.escalation.clear();
  timers = plan_feed_missing(duty, s, shipped());
  ASSERT_TRUE(timers);
  EXPECT_EQ(
      timers_of(*timers),
      (std::vector<std::string>{"due due 2025-09-30T09:00:00+08:00 2025-09-30 department_clerk"}));
  // A year the calendar lacks is an error naming it.
  s.escalation = {{2, "county_office"}};
  o.at = at("2099-01-05T09:00");
  auto gap = plan_feed_missing(stored(feed_duty(o, "371302")), s, shipped());
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().missing_year, 2099);
}

TEST(FeedDuties, AnAlertIsVerifiedWithinFiveWorkingDays) {
  AlertRules rules;
  rules.deadline.escalation = {{0, "township_clerk"}, {2, "township_head"}};
  // Raised Monday 29 September: 30 Sep, 9, 10, 11 (a worked Saturday) and 13 October.
  auto open = plan_alert_duty(17, kTownship, kVillage, at("2025-09-29T10:00"), rules, shipped());
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open->duty.duty_key, "alert/17");
  EXPECT_EQ(open->duty.kind, kDutyAlert);
  EXPECT_EQ(open->duty.subject, "17");
  EXPECT_EQ(open->duty.township_code, kTownship);
  EXPECT_EQ(open->duty.village_code, kVillage);
  EXPECT_EQ(open->duty.owner_role, "township_clerk");
  EXPECT_EQ(open->duty.opened_at, at("2025-09-29T10:00"));
  EXPECT_EQ(open->duty.due_at, at("2025-10-14T08:00"));
  // The reminder 1 working day before the last day: the worked Saturday 10-11 (issue 14 item 8).
  EXPECT_EQ(timers_of(open->timers),
            (std::vector<std::string>{
                "reminder reminder 2025-10-11T08:00:00+08:00 2025-10-13 township_clerk",
                "due due 2025-10-14T08:00:00+08:00 2025-10-13 township_clerk",
                "rung/1 escalation 2025-10-16T08:00:00+08:00 2025-10-13 township_head"}));
  // No ladder configured: the owner is told at due time.
  rules.deadline.escalation.clear();
  open = plan_alert_duty(18, kTownship, "", at("2025-09-29T10:00"), rules, shipped());
  ASSERT_TRUE(open);
  EXPECT_EQ(timers_of(open->timers),
            (std::vector<std::string>{
                "reminder reminder 2025-10-11T08:00:00+08:00 2025-10-13 township_clerk",
                "due due 2025-10-14T08:00:00+08:00 2025-10-13 township_clerk"}));
}

// -- what their timers send

TEST(FeedDuties, TimersSendFeedMissingAndAlertMessages) {
  ProgramRules rules = feed_rules();
  FeedOccurrence o{"civil_affairs_feed", "civil_affairs", "civil_affairs", "2025-09",
                   at("2025-09-30T09:00")};
  const DutyRecord feed = stored(feed_duty(o, "371302"));
  DutyTimerFacts in;
  in.duty = &feed;
  in.department_name = "县民政局";
  const TimerDecision missing =
      decide_duty_timer(DutyNotice{5, DutyNoticeKind::kOverdue, "2025-09-30", {"county_office"}}, 2,
                        in, rules, shipped(), at("2025-10-11T08:00"));
  ASSERT_TRUE(missing.message) << missing.skipped;
  const DutyMessage& m = *missing.message;
  EXPECT_EQ(m.message_type, "feed_missing");
  EXPECT_EQ(m.department, "civil_affairs");
  EXPECT_EQ(m.roles, std::vector<std::string>{"county_office"});
  EXPECT_EQ(m.township, "371302");
  EXPECT_EQ(duty_message_key(m, "赵六@371302"),
            "feed_missing:civil_affairs:civil_affairs/2025-09:2:赵六@371302");
  using Params = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(m.params, (Params{{"feed", "civil_affairs"},
                              {"department", "civil_affairs"},
                              {"department_name", "县民政局"},
                              {"period", "2025-09"},
                              {"due_date", "2025-09-30"},
                              {"days_overdue", "11"},
                              {"rung", "3"}}));  // rung 2 of a ladder from 0: 第3级
  std::map<std::string, std::string> body(m.params.begin(), m.params.end());
  EXPECT_EQ(render_message(m.message_type, body, {}),
            "【防返贫监测】县民政局2025-09期的数据应于2025-09-30报送，至今未收到（第3级督办），"
            "请尽快报送。");

  auto open =
      plan_alert_duty(17, kTownship, kVillage, at("2025-09-29T10:00"), AlertRules{}, shipped());
  ASSERT_TRUE(open);
  DutyRecord alert = stored(open->duty);
  alert.village_code = kVillage;
  DutyTimerFacts ain;
  ain.duty = &alert;
  ain.duty_township_name = "兴旺镇";
  const TimerDecision reminder =
      decide_duty_timer(open->timers[0].notice, 0, ain, rules, shipped(), at("2025-10-13T08:00"));
  ASSERT_TRUE(reminder.message) << reminder.skipped;
  EXPECT_EQ(reminder.message->message_type, "alert_reminder");
  EXPECT_EQ(reminder.message->params, (Params{{"alert_id", "17"},
                                              {"township", kTownship},
                                              {"township_name", "兴旺镇"},
                                              {"due_date", "2025-10-13"}}));
  EXPECT_EQ(duty_message_key(*reminder.message, "张*@x"),
            std::string("alert_reminder:") + kTownship + ":17:0:张*@x");
  const TimerDecision overdue =
      decide_duty_timer(open->timers[1].notice, 0, ain, rules, shipped(), at("2025-10-14T08:00"));
  ASSERT_TRUE(overdue.message) << overdue.skipped;
  EXPECT_EQ(overdue.message->message_type, "alert_overdue");
  EXPECT_EQ(overdue.message->village, kVillage);
  // A closed alert duty (a case opened, or dismissed) sends nothing.
  alert.state = DutyState::kDone;
  EXPECT_FALSE(
      decide_duty_timer(open->timers[1].notice, 0, ain, rules, shipped(), at("2025-10-14T08:00"))
          .message);
}

}  // namespace
}  // namespace fangfan
