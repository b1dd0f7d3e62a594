// Department lists, the content (workflows/lists.h): who is on a list by state, kind, emergency
// and rollback; the member filters (school age counted on the list's day from the ID number);
// the risk cause filter; row order; cells; what changed since the previous list and why a
// household left.
#include "workflows/lists.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/people.h"
#include "workflows/date.h"
#include "workflows/message_templates.h"
#include "workflows/message_types.h"
#include "workflows/timer_notice.h"

namespace fangfan {
namespace {

using testing::PeopleGenerator;

Date day(const char* text) { return parse_date(text).value(); }
TimePoint instant(const char* text) { return parse_time(text).value(); }

const Date kListDay = day("2026-12-01");

ListCase make_case(std::int64_t id, const std::string& state, const std::string& kind = "unstable",
                   std::uint64_t seed = 1) {
  PeopleGenerator gen(seed);
  ListCase c;
  c.case_id = id;
  c.snapshot.case_id = std::to_string(id);
  c.snapshot.state = state;
  c.snapshot.data.kind = kind;
  c.snapshot.data.household = gen.household("H" + std::to_string(1000 + id), "379901001001", 3);
  c.snapshot.data.risk_causes = {RiskCause::kIllness};
  c.township_name = "东镇";
  c.village_name = "东村";
  c.case_kind_name = kind == "unstable" ? "脱贫不稳定户" : kind;
  return c;
}

// -- who is on a list

struct CategoryCase {
  const char* name;
  const char* state;
  const char* kind;
  bool emergency;
  bool rolled_back;
  std::optional<ListCategory> expected;
};

TEST(ListCategory, ByStateKindEmergencyAndRollback) {
  using enum ListCategory;
  const std::vector<CategoryCase> cases = {
      {"registered", "registered", "unstable", false, false, kMonitored},
      {"elimination_review", "elimination_review", "marginal", false, false, kMonitored},
      {"township_elimination_review", "township_elimination_review", "sudden", false, false,
       kMonitored},
      {"elimination_publicity", "elimination_publicity", "unstable", false, false, kMonitored},
      {"rolled_back", "registered", "unstable", false, true, kRolledBack},
      {"rolled_back_in_elimination", "elimination_review", "unstable", false, true, kRolledBack},
      {"kind_rollback", "registered", "rollback", false, false, kRolledBack},
      {"kind_instant_registered", "registered", "instant", false, false, kInstant},
      {"kind_instant_in_verification", "household_verification", "instant", false, false, kInstant},
      {"emergency_discovered", "discovered", "unstable", true, false, kInstant},
      {"emergency_county_review", "county_review", "unstable", true, false, kInstant},
      {"not_emergency_in_recognition", "democratic_review", "unstable", false, false, std::nullopt},
      {"eliminated", "eliminated", "unstable", false, false, std::nullopt},
      {"eliminated_emergency", "eliminated", "unstable", true, false, std::nullopt},
      {"eliminated_instant", "eliminated", "instant", false, false, std::nullopt},
      {"rejected_emergency", "rejected", "unstable", true, false, std::nullopt},
      {"cleared_out", "cleared_out", "unstable", false, true, std::nullopt},
      {"new", "new", "instant", true, false, std::nullopt},
      {"unknown_state", "bogus", "unstable", true, false, std::nullopt},
  };
  for (const CategoryCase& t : cases) {
    ListCase c = make_case(1, t.state, t.kind);
    c.snapshot.data.emergency = t.emergency;
    if (t.rolled_back) c.snapshot.data.rolled_back_at = instant("2026-06-01T10:00:00+08:00");
    EXPECT_EQ(list_category(c.snapshot), t.expected) << t.name;
  }
  EXPECT_EQ(list_category_label(kMonitored), "监测对象");
  EXPECT_EQ(list_category_label(kInstant), "即时帮扶");
  EXPECT_EQ(list_category_label(kRolledBack), "回退");
}

TEST(BuildList, CountsHouseholdsPersonsAndCategories) {
  std::vector<ListCase> cases = {make_case(1, "registered"), make_case(2, "registered", "instant"),
                                 make_case(3, "discovered"), make_case(4, "eliminated"),
                                 make_case(5, "registered", "rollback")};
  cases[1].snapshot.data.household.members.pop_back();  // 2 persons
  DepartmentList list;
  const ListContent content = build_list(list, cases, kListDay);
  EXPECT_EQ(content.households, 3);
  EXPECT_EQ(content.persons, 3 + 2 + 3);
  EXPECT_EQ(content.monitored, 1);
  EXPECT_EQ(content.instant, 1);
  EXPECT_EQ(content.rolled_back, 1);
  ASSERT_EQ(content.rows.size(), 3u);
  EXPECT_EQ(content.columns, default_list_columns());
  for (const ListRow& r : content.rows) EXPECT_EQ(r.cells.size(), content.columns.size());
}

// -- member filters

// A household whose members are born on the given dates (the first is the head).
ListCase household_born(std::int64_t id, const std::vector<const char*>& births,
                        std::uint64_t seed) {
  ListCase c = make_case(id, "registered", "unstable", seed);
  PeopleGenerator gen(seed + 100);
  auto& members = c.snapshot.data.household.members;
  members.resize(births.size());
  for (std::size_t i = 0; i < births.size(); ++i) {
    members[i].name = gen.name();
    members[i].id_number = gen.id_number(day(births[i]), i % 2 == 0);
    members[i].relation = i == 0 ? Relation::kHead : Relation::kChild;
    members[i].student = false;
    members[i].disabled = false;
  }
  return c;
}

struct FilterCase {
  const char* name;
  ListRows rows;
  MemberFilter members;
  std::vector<std::string> expected_keys;  // "H<code>" or "<household>#<member index>"
};

TEST(BuildList, MemberFiltersSchoolAgeByBirthDateOnTheListsDayAndDisabled) {
  // H1001: the head and a child who turns 6 on the list's day; a child who turns 6 the day after.
  // H1002: a child aged 17 (18 the day after), a child who turned 18 on the list's day.
  // H1003: an adult student, and a disabled adult.
  // H1004: nobody in any scope.
  std::vector<ListCase> cases = {
      household_born(1, {"1980-03-04", "2020-12-01", "2020-12-02"}, 11),
      household_born(2, {"1975-05-06", "2008-12-02", "2008-12-01"}, 12),
      household_born(3, {"1970-07-08", "2004-01-01", "1990-02-03"}, 13),
      household_born(4, {"1960-09-10", "1985-10-11"}, 14),
  };
  cases[2].snapshot.data.household.members[1].student = true;
  cases[2].snapshot.data.household.members[2].disabled = true;
  auto key_of = [&](const std::string& k) -> std::string {
    for (const ListCase& c : cases) {
      const auto& ms = c.snapshot.data.household.members;
      for (std::size_t i = 0; i < ms.size(); ++i) {
        if (ms[i].id_number == k) return c.snapshot.data.household.code + "#" + std::to_string(i);
      }
    }
    return k;
  };
  using enum MemberFilter;
  const std::vector<FilterCase> table = {
      {"household_all", ListRows::kHousehold, kAll, {"H1001", "H1002", "H1003", "H1004"}},
      {"household_school_age", ListRows::kHousehold, kSchoolAge, {"H1001", "H1002", "H1003"}},
      {"household_disabled", ListRows::kHousehold, kDisabled, {"H1003"}},
      {"member_school_age", ListRows::kMember, kSchoolAge, {"H1001#1", "H1002#1", "H1003#1"}},
      {"member_disabled", ListRows::kMember, kDisabled, {"H1003#2"}},
      {"member_all",
       ListRows::kMember,
       kAll,
       {"H1001#0", "H1001#1", "H1001#2", "H1002#0", "H1002#1", "H1002#2", "H1003#0", "H1003#1",
        "H1003#2", "H1004#0", "H1004#1"}},
  };
  for (const FilterCase& t : table) {
    DepartmentList list;
    list.rows = t.rows;
    list.members = t.members;
    const ListContent content = build_list(list, cases, kListDay);
    std::vector<std::string> keys;
    for (const ListRow& r : content.rows) {
      keys.push_back(t.rows == ListRows::kMember ? key_of(r.key) : r.key);
    }
    EXPECT_EQ(keys, t.expected_keys) << t.name;
    // Persons count whole households, whatever the rows.
    std::set<std::string> households;
    int persons = 0;
    for (const ListRow& r : content.rows) {
      if (households.insert(r.household_code).second) {
        for (const ListCase& c : cases) {
          if (c.snapshot.data.household.code == r.household_code) {
            persons += int(c.snapshot.data.household.members.size());
          }
        }
      }
    }
    EXPECT_EQ(content.households, int(households.size())) << t.name;
    EXPECT_EQ(content.persons, persons) << t.name;
  }
}

TEST(BuildList, RiskCauseFilterKeepsHouseholdsWithAnyListedCause) {
  std::vector<ListCase> cases = {make_case(1, "registered"), make_case(2, "registered"),
                                 make_case(3, "registered"), make_case(4, "registered")};
  cases[0].snapshot.data.risk_causes = {RiskCause::kIllness};
  cases[1].snapshot.data.risk_causes = {RiskCause::kEducation, RiskCause::kDisability};
  cases[2].snapshot.data.risk_causes = {};
  cases[3].snapshot.data.risk_causes = {RiskCause::kDisaster};
  struct Row {
    std::vector<std::string> causes;
    std::vector<std::string> expected;
  };
  const std::vector<Row> table = {
      {{}, {"H1001", "H1002", "H1003", "H1004"}},
      {{"illness"}, {"H1001"}},
      {{"disability", "disaster"}, {"H1002", "H1004"}},
      {{"epidemic"}, {}},
  };
  for (const Row& t : table) {
    DepartmentList list;
    list.risk_causes = t.causes;
    std::vector<std::string> keys;
    for (const ListRow& r : build_list(list, cases, kListDay).rows) keys.push_back(r.key);
    EXPECT_EQ(keys, t.expected) << (t.causes.empty() ? "none" : t.causes.front());
  }
}

TEST(BuildList, RowsOrderedByTownshipVillageHouseholdThenMember) {
  std::vector<ListCase> cases = {make_case(1, "registered"), make_case(2, "registered"),
                                 make_case(3, "registered"), make_case(4, "registered")};
  // Village codes begin with their township's code.
  cases[0].snapshot.data.household.code = "0012";
  cases[0].snapshot.data.household.village_code = "379901002001";
  cases[1].snapshot.data.household.code = "0099";
  cases[1].snapshot.data.household.village_code = "379901001002";
  cases[2].snapshot.data.household.code = "0100";
  cases[2].snapshot.data.household.village_code = "379901001001";
  cases[3].snapshot.data.household.code = "0011";
  cases[3].snapshot.data.household.village_code = "379901002001";
  DepartmentList list;
  std::vector<std::string> keys;
  for (const ListRow& r : build_list(list, cases, kListDay).rows) keys.push_back(r.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"0100", "0099", "0011", "0012"}));

  list.rows = ListRows::kMember;
  const ListContent members = build_list(list, cases, kListDay);
  ASSERT_EQ(members.rows.size(), 12u);
  const auto& first = cases[2].snapshot.data.household.members;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(members.rows[i].key, first[i].id_number) << i;
    EXPECT_EQ(members.rows[i].household_code, "0100");
  }
}

// -- columns and cells

TEST(ListColumns, EveryCodeHasAChineseHeaderAndIdentitiesAreText) {
  std::set<std::string_view> codes;
  for (const ListColumn& c : list_columns()) {
    EXPECT_TRUE(codes.insert(c.code).second) << c.code;
    EXPECT_FALSE(c.header.empty()) << c.code;
    EXPECT_GT(c.width, 0) << c.code;
    EXPECT_EQ(find_list_column(c.code), &c);
  }
  EXPECT_EQ(codes.size(), 20u);
  for (const std::string& code : default_list_columns()) {
    EXPECT_NE(find_list_column(code), nullptr) << code;
  }
  struct Identity {
    const char* code;
    const char* header;
    bool identity;
  };
  for (const Identity& t : std::vector<Identity>{{"household_code", "户编号", true},
                                                 {"head_id_number", "户主身份证号", true},
                                                 {"id_number", "身份证号", true},
                                                 {"phone", "联系电话", true},
                                                 {"township", "乡镇（街道）", false},
                                                 {"measures", "已落实帮扶措施", false}}) {
    const ListColumn* c = find_list_column(t.code);
    ASSERT_NE(c, nullptr) << t.code;
    EXPECT_EQ(c->header, t.header);
    EXPECT_EQ(c->identity, t.identity) << t.code;
  }
  EXPECT_EQ(find_list_column("salary"), nullptr);
}

TEST(BuildList, CellsOfHouseholdAndMemberRows) {
  ListCase c = make_case(7, "registered");
  CaseData& d = c.snapshot.data;
  d.household.code = "0012";
  d.household.phone = "13800001111";
  d.risk_causes = {RiskCause::kIllness, RiskCause::kEducation};
  d.registered_at = instant("2026-03-04T23:30:00+08:00");
  d.officer = "赵帮扶";
  d.measures = {
      {1, MeasureType::kMedical, "慢病门诊报销", day("2026-03-05"), MeasureStatus::kInPlace, {}},
      {2, MeasureType::kEducation, "助学金", day("2026-03-05"), MeasureStatus::kPlanned, {}},
      {3, MeasureType::kSocialSecurity, "", day("2026-04-01"), MeasureStatus::kCompleted, {}}};
  for (Member& m : d.household.members) m.disabled = m.student = false;
  d.household.members[1].disabled = true;
  d.household.members[1].student = true;
  const Member& head = *d.household.head();
  const Member& second = d.household.members[1];

  DepartmentList list;
  list.columns = {"household_code", "township",  "village",     "head_name", "head_id_number",
                  "name",           "id_number", "relation",    "phone",     "persons",
                  "case_kind",      "category",  "risk_causes", "state",     "registered_on",
                  "officer",        "measures",  "disabled",    "student",   "able_to_work"};
  const ListContent households = build_list(list, {c}, kListDay);
  ASSERT_EQ(households.rows.size(), 1u);
  EXPECT_EQ(households.columns, list.columns);
  const std::vector<std::string> expected_head = {"0012",
                                                  "东镇",
                                                  "东村",
                                                  head.name,
                                                  head.id_number,
                                                  head.name,
                                                  head.id_number,
                                                  "户主",
                                                  "13800001111",
                                                  "3",
                                                  "脱贫不稳定户",
                                                  "监测对象",
                                                  "因病、因学",
                                                  "监测帮扶",
                                                  "2026-03-04",
                                                  "赵帮扶",
                                                  "医疗保障：慢病门诊报销；综合保障",
                                                  head.disabled ? "是" : "否",
                                                  head.student ? "是" : "否",
                                                  head.able_to_work ? "是" : "否"};
  EXPECT_EQ(households.rows[0].cells, expected_head);
  EXPECT_EQ(households.rows[0].key, "0012");
  EXPECT_EQ(households.rows[0].case_id, 7);
  EXPECT_EQ(households.rows[0].name, head.name);

  list.rows = ListRows::kMember;
  list.members = MemberFilter::kDisabled;
  const ListContent members = build_list(list, {c}, kListDay);
  ASSERT_EQ(members.rows.size(), 1u);
  const ListRow& row = members.rows[0];
  EXPECT_EQ(row.key, second.id_number);
  EXPECT_EQ(row.name, second.name);
  EXPECT_EQ(row.cells[3], head.name);  // head_name stays the head's
  EXPECT_EQ(row.cells[5], second.name);
  EXPECT_EQ(row.cells[6], second.id_number);
  EXPECT_EQ(row.cells[7], std::string(label_of(second.relation)));
  EXPECT_EQ(row.cells[17], "是");
  EXPECT_EQ(row.cells[18], "是");
}

// -- changes

StoredListRow stored(const ListContent& content, std::size_t i) {
  StoredListRow s;
  const ListRow& r = content.rows[i];
  s.key = r.key;
  s.household_code = r.household_code;
  s.name = r.name;
  for (std::size_t c = 0; c < content.columns.size(); ++c) {
    s.cells.emplace_back(content.columns[c], r.cells[c]);
  }
  return s;
}

TEST(ListChanges, NewChangedAndLeftWithReasonsInOrder) {
  std::vector<ListCase> cases = {make_case(1, "registered"), make_case(2, "registered"),
                                 make_case(3, "registered"), make_case(4, "registered")};
  DepartmentList list;
  const ListContent before = build_list(list, cases, kListDay);
  std::vector<StoredListRow> previous;
  for (std::size_t i = 0; i < before.rows.size(); ++i) previous.push_back(stored(before, i));
  // A column of an older configuration that the current list does not have is not compared.
  previous[0].cells.emplace_back("officer", "钱");

  // H1002 left (eliminated), H1004 left (cleared out), H1003's phone changed, H1005 is new.
  cases[1].snapshot.state = "eliminated";
  cases[3].snapshot.state = "cleared_out";
  const std::string old_phone = cases[2].snapshot.data.household.phone;
  cases[2].snapshot.data.household.phone = "13900002222";
  cases.push_back(make_case(5, "registered"));
  const ListContent now = build_list(list, cases, day("2026-12-15"));

  std::vector<std::string> asked;
  const std::vector<ListChange> changes =
      list_changes(previous, now, [&](const std::string& household) {
        asked.push_back(household);
        return "原因" + household;
      });
  const std::vector<ListChange> expected = {
      {ListChange::Kind::kChanged, "H1003", "H1003", now.rows[1].name,
       "联系电话：" + old_phone + " -> 13900002222"},
      {ListChange::Kind::kNew, "H1005", "H1005", now.rows[2].name, ""},
      {ListChange::Kind::kLeft, "H1002", "H1002", before.rows[1].name, "原因H1002"},
      {ListChange::Kind::kLeft, "H1004", "H1004", before.rows[3].name, "原因H1004"},
  };
  EXPECT_EQ(changes, expected);
  EXPECT_EQ(asked, (std::vector<std::string>{"H1002", "H1004"}));

  // The first list: every row is new.
  const std::vector<ListChange> first = list_changes({}, now, {});
  ASSERT_EQ(first.size(), now.rows.size());
  for (const ListChange& c : first) EXPECT_EQ(c.kind, ListChange::Kind::kNew);
  // The same list again: nothing changed.
  std::vector<StoredListRow> same;
  for (std::size_t i = 0; i < now.rows.size(); ++i) same.push_back(stored(now, i));
  EXPECT_TRUE(list_changes(same, now, {}).empty());

  EXPECT_EQ(list_change_label(ListChange::Kind::kNew), "新增");
  EXPECT_EQ(list_change_label(ListChange::Kind::kChanged), "信息变更");
  EXPECT_EQ(list_change_label(ListChange::Kind::kLeft), "移出名单");
}

TEST(ListChanges, LeftListReasonForEachWayOfLeaving) {
  struct Row {
    const char* name;
    const char* state;
    std::optional<TimePoint> eliminated_at;
    const char* closing_reason;
    const char* expected;
  };
  const std::vector<Row> table = {
      {"eliminated", "eliminated", instant("2026-12-03T01:00:00+08:00"), "",
       "风险已消除（2026-12-03）"},
      {"eliminated_late_evening_utc", "eliminated", instant("2026-12-02T17:00:00Z"), "",
       "风险已消除（2026-12-03）"},
      {"eliminated_without_date", "eliminated", std::nullopt, "", "风险已消除"},
      {"cleared_out", "cleared_out", std::nullopt, "家庭成员注册公司", "已清退：家庭成员注册公司"},
      {"rejected", "rejected", std::nullopt, "民主评议未通过：收入超标",
       "未纳入监测：民主评议未通过：收入超标"},
      {"still_monitored", "registered", std::nullopt, "", "不再属于本部门关注范围"},
      {"in_recognition", "household_verification", std::nullopt, "", "不再属于本部门关注范围"},
  };
  for (const Row& t : table) {
    CaseSnapshot s = make_case(1, t.state).snapshot;
    s.data.eliminated_at = t.eliminated_at;
    s.data.closing_reason = t.closing_reason;
    EXPECT_EQ(left_list_reason(&s), t.expected) << t.name;
  }
  EXPECT_EQ(left_list_reason(nullptr), "户已不在系统中");
}

// -- messages: the list, its password, the answer's reminder and ladder

TEST(ListMessages, FeedbackDutyTimersRemindAndClimbToTheListsDepartment) {
  ProgramRules rules;
  DepartmentList list;
  list.name = "education_list";
  list.department = "education";
  list.department_name = "县教育和体育局";
  rules.lists.lists = {list};
  DutyRecord duty;
  duty.id = 9;
  duty.duty_key = "feedback/education_list/2026-12-01";
  duty.kind = kDutyFeedback;
  duty.subject = "education_list/2026-12-01";
  duty.township_code = "379901";
  duty.owner_role = "department_clerk";
  duty.due_at = instant("2026-12-15T08:00:00+08:00");
  DutyTimerFacts in;
  in.duty = &duty;
  const auto calendar = WorkingDayCalendar::build({});
  ASSERT_TRUE(calendar);
  using Params = std::vector<std::pair<std::string, std::string>>;
  struct Row {
    const char* name;
    DutyNoticeKind notice;
    int rung;
    std::vector<std::string> roles;
    const char* now;
    const char* type;  // nullptr: nothing sent
    Params tail;
    const char* text;
    const char* key;
  };
  const std::vector<Row> table = {
      {"reminder",
       DutyNoticeKind::kReminder,
       0,
       {"department_clerk"},
       "2026-12-11T08:00",
       "feedback_reminder",
       {{"due_date", "2026-12-14"}},
       "【防返贫监测】县教育和体育局：2026-12-01防返贫监测帮扶名单的落实情况应于2026-12-14前反馈，"
       "请按时反馈。",
       "feedback_reminder:education:education_list/2026-12-01:0:钱七@379901"},
      {"due",
       DutyNoticeKind::kOverdue,
       0,
       {"department_clerk"},
       "2026-12-15T08:00",
       "feedback_overdue",
       // Levels read from 1 (issue 14 item 8); the key keeps the stored rung.
       {{"due_date", "2026-12-14"}, {"days_overdue", "1"}, {"rung", "1"}},
       "【防返贫监测】县教育和体育局：2026-12-01防返贫监测帮扶名单的落实情况应于2026-12-14前反馈，"
       "至今未收到，已逾期1天（第1级督办），请尽快反馈。",
       "feedback_overdue:education:education_list/2026-12-01:0:钱七@379901"},
      {"rung_2",
       DutyNoticeKind::kOverdue,
       2,
       {"county_office"},
       "2026-12-17T08:00",
       "feedback_overdue",
       {{"due_date", "2026-12-14"}, {"days_overdue", "3"}, {"rung", "3"}},
       "【防返贫监测】县教育和体育局：2026-12-01防返贫监测帮扶名单的落实情况应于2026-12-14前反馈，"
       "至今未收到，已逾期3天（第3级督办），请尽快反馈。",
       "feedback_overdue:education:education_list/2026-12-01:2:钱七@379901"},
      {"reminder_after_due",
       DutyNoticeKind::kReminder,
       0,
       {"department_clerk"},
       "2026-12-15T09:00",
       nullptr,
       {},
       "",
       ""},
  };
  for (const Row& t : table) {
    const TimerDecision d = decide_duty_timer(DutyNotice{9, t.notice, "2026-12-14", t.roles},
                                              t.rung, in, rules, *calendar, instant(t.now));
    if (t.type == nullptr) {
      EXPECT_FALSE(d.message) << t.name;
      continue;
    }
    ASSERT_TRUE(d.message) << t.name << ": " << d.skipped;
    const DutyMessage& m = *d.message;
    EXPECT_EQ(m.message_type, t.type) << t.name;
    EXPECT_EQ(m.department, "education") << t.name;
    EXPECT_EQ(m.roles, t.roles) << t.name;
    Params params = {{"list", "education_list"},
                     {"department", "education"},
                     {"department_name", "县教育和体育局"},
                     {"period", "2026-12-01"}};
    params.insert(params.end(), t.tail.begin(), t.tail.end());
    EXPECT_EQ(m.params, params) << t.name;
    std::map<std::string, std::string> body(m.params.begin(), m.params.end());
    EXPECT_EQ(render_message(m.message_type, body, {}), t.text) << t.name;
    EXPECT_EQ(duty_message_key(m, "钱七@379901"), t.key) << t.name;
  }
  // The department's name as loaded wins over the list's copy.
  in.department_name = "教体局";
  const TimerDecision named =
      decide_duty_timer(DutyNotice{9, DutyNoticeKind::kOverdue, "2026-12-14", {"x"}}, 1, in, rules,
                        *calendar, instant("2026-12-16T08:00"));
  ASSERT_TRUE(named.message);
  EXPECT_EQ(named.message->params[2].second, "教体局");
}

TEST(ListMessages, ListAndPasswordTemplatesRead) {
  const std::map<std::string, std::string> list = {{"list", "civil_affairs_list"},
                                                   {"department", "civil_affairs"},
                                                   {"department_name", "县民政局"},
                                                   {"period", "2026-12-01"},
                                                   {"households", "635"},
                                                   {"rows", "635"},
                                                   {"answer_by", "2026-12-15"},
                                                   {"attachment_path", "/srv/files/x.xlsx"},
                                                   {"attachment_name", "县民政局-2026-12-01.xlsx"},
                                                   {"attachment_sha256", "ab"},
                                                   {"attachment_size", "1"}};
  const std::string text = render_message("department_list", list, {});
  EXPECT_EQ(text,
            "【防返贫监测】县民政局2026-12-01防返贫监测帮扶名单（635户，635行）："
            "县民政局-2026-12-01.xlsx，请于2026-12-15前反馈落实情况。");
  EXPECT_FALSE(contains_unmasked_identifiers(text));
  const std::string password = render_message(
      "list_password",
      {{"department_name", "县民政局"}, {"period", "2026-12-01"}, {"password", "Kq7mZ2pW9xRt"}},
      {});
  EXPECT_EQ(password, "【防返贫监测】县民政局2026-12-01名单压缩包密码：Kq7mZ2pW9xRt（请勿转发）");
  EXPECT_FALSE(contains_unmasked_identifiers(password));
  EXPECT_FALSE(is_digestible("department_list"));
  EXPECT_FALSE(is_digestible("list_password"));
  EXPECT_TRUE(is_digestible("feedback_overdue"));
}

TEST(ListMessages, AudiencesOfEachList) {
  ProgramRules rules;
  DepartmentList plain;
  plain.name = "health_list";
  plain.department = "health";
  plain.feedback.remind_before_working_days = 0;
  DepartmentList laddered;
  laddered.name = "civil_list";
  laddered.department = "civil_affairs";
  laddered.delivery.encrypt = true;
  laddered.feedback.escalation = {{0, "department_clerk"}, {3, "county_office"}};
  rules.lists.lists = {plain, laddered};
  std::vector<MessageAudience> lists;
  for (const MessageAudience& a : message_audiences(rules, kListDay)) {
    if (!a.department.empty()) lists.push_back(a);
  }
  using enum AudiencePlace;
  const std::vector<MessageAudience> expected = {
      {"feedback_overdue", {"department_clerk"}, kCounty, "health"},
      {"list_password", {"department_clerk"}, kCounty, "civil_affairs"},
      {"feedback_reminder", {"department_clerk"}, kCounty, "civil_affairs"},
      {"feedback_overdue", {"department_clerk"}, kCounty, "civil_affairs"},
      {"feedback_overdue", {"county_office"}, kCounty, "civil_affairs"},
  };
  EXPECT_EQ(lists, expected);
}

}  // namespace
}  // namespace fangfan
