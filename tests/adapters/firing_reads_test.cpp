// The batch reads of timer firing (issue 15: load_duties, duties_of_cases, load_cases) and the
// firing path's kept statements (reopen_duty, cancel_duty_timers, set_case_duty_officer), on
// SQLite and PostgreSQL; and a firing batch whose first pass must give way to the careful one
// (fire_due_batch, adapters/scheduler/timer_firing.h). Compiled once per backend like the
// storage suite (storage_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <set>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/case_json.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/count_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/firing_cases.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_batch.h"
#include "adapters/storage/timer_store.h"
#include "tests/support/test_database.h"
#include "workflows/duties.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::March;

using test::Backend;

TimePoint t0() { return china_time(Date{2025y / March / 3}, 9h); }

HouseholdRecord household(const std::string& code) {
  HouseholdRecord h;
  h.code = code;
  h.village_code = "370102001001";
  h.township_code = "370102001";
  h.head_name = "王建国";
  h.details = "{}";
  h.created_at = t0();
  h.updated_at = t0();
  return h;
}

CaseRecord new_case(const std::string& household_code, const std::string& data) {
  CaseRecord c;
  c.household_code = household_code;
  c.kind = "边缘易致贫户";
  c.state = "assisting";
  c.version = 1;
  c.source = "self_application";
  c.opened_at = t0();
  c.data = data;
  c.updated_at = t0();
  return c;
}

NewDuty duty(std::optional<std::int64_t> case_id, const std::string& key, const std::string& kind) {
  NewDuty d;
  d.duty_key = key;
  d.case_id = case_id;
  d.kind = kind;
  d.subject = "2025-03";
  d.township_code = "370102001";
  d.owner_role = "township_clerk";
  d.officer = "李四";
  d.due_at = t0() + 24h * 20;
  d.opened_at = t0();
  return d;
}

NewTimer timer(std::optional<std::int64_t> case_id, const std::string& key) {
  NewTimer t;
  t.case_id = case_id;
  t.kind = "deadline";
  t.step = "visits";
  t.dedupe_key = key;
  t.due_at = t0() + 24h;
  t.created_at = t0();
  return t;
}

// Every field of a duty as one text, so that two reads can be compared whole.
std::string fields(const DutyRecord& d) {
  auto at = [](std::optional<TimePoint> t) {
    return t ? std::to_string(t->time_since_epoch().count()) : std::string("-");
  };
  return std::to_string(d.id) + "|" + d.duty_key + "|" +
         (d.case_id ? std::to_string(*d.case_id) : "-") + "|" + d.kind + "|" + d.subject + "|" +
         d.township_code + "|" + d.village_code + "|" + d.owner_role + "|" + d.officer + "|" +
         at(d.due_at) + "|" + std::to_string(static_cast<int>(d.state)) + "|" + at(d.opened_at) +
         "|" + at(d.closed_at);
}
std::vector<std::string> fields(const std::vector<DutyRecord>& duties) {
  std::vector<std::string> out;
  for (const DutyRecord& d : duties) out.push_back(fields(d));
  return out;
}

std::vector<std::int64_t> ids_of(const std::vector<DutyRecord>& duties) {
  std::vector<std::int64_t> out;
  for (const DutyRecord& d : duties) out.push_back(d.id);
  return out;
}

class FiringReads : public test::DatabaseTest {
 protected:
  void SetUp() override {
    open_database("firing-reads", t0());
    if (IsSkipped() || HasFatalFailure()) return;
    // Three cases: a with two duties, b with none, c with one; and a county duty (no case).
    for (const char* code : {"3701020010010001", "3701020010010002", "3701020010010003"}) {
      insert_household(s(), household(code));
    }
    a_ = insert_case(s(), new_case("3701020010010001", R"({"risk_causes":["因病"]})"));
    b_ = insert_case(s(), new_case("3701020010010002", R"({"risk_causes":["因学"]})"));
    c_ = insert_case(s(), new_case("3701020010010003", R"({"risk_causes":["因残"]})"));
    a1_ = open_duty(s(), duty(a_, "visits/a/2025-03", "visits")).id;
    c1_ = open_duty(s(), duty(c_, "visits/c/2025-03", "visits")).id;
    a2_ = open_duty(s(), duty(a_, "monitoring/a/2025-03", "monitoring")).id;
    county_ = open_duty(s(), duty(std::nullopt, "campaign/2025/m1", "campaign")).id;
  }

  std::int64_t a_ = 0, b_ = 0, c_ = 0, a1_ = 0, a2_ = 0, c1_ = 0, county_ = 0;
};

TEST_P(FiringReads, LoadDutiesAnswersTheKnownIdsInIdOrderAsTheSingleReadDoes) {
  struct Row {
    const char* name;
    std::vector<std::int64_t> ask;
    std::vector<std::int64_t> want;
  };
  const std::vector<Row> rows = {
      {"none", {}, {}},
      {"one", {c1_}, {c1_}},
      {"unordered, with an unknown id", {county_, a1_, 999999}, {a1_, county_}},
      {"repeated", {a2_, a2_, c1_}, {c1_, a2_}},
      {"only unknown", {999998, 999999}, {}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const std::vector<DutyRecord> got = load_duties(s(), row.ask);
    ASSERT_EQ(ids_of(got), row.want);
    for (const DutyRecord& d : got) EXPECT_EQ(fields(d), fields(load_duty(s(), d.id).value()));
  }
}

TEST_P(FiringReads, DutiesOfCasesAreEachCasesDutiesInAnyStateByCaseThenOldestFirst) {
  ASSERT_TRUE(close_duty(s(), a1_, t0() + 1h));  // done duties are a case's duties too
  struct Row {
    const char* name;
    std::vector<std::int64_t> ask;
    std::vector<std::int64_t> want;
  };
  const std::vector<Row> rows = {
      {"none", {}, {}},
      {"a case without duties", {b_}, {}},
      {"unordered cases", {c_, b_, a_}, {a1_, a2_, c1_}},
      {"one case", {c_}, {c1_}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const std::vector<DutyRecord> got = duties_of_cases(s(), row.ask);
    ASSERT_EQ(ids_of(got), row.want);
    std::vector<DutyRecord> single;
    std::set<std::int64_t> asked(row.ask.begin(), row.ask.end());
    for (const std::int64_t id : asked) {
      for (DutyRecord& d : case_duties(s(), id)) single.push_back(std::move(d));
    }
    EXPECT_EQ(fields(got), fields(single));
  }
}

TEST_P(FiringReads, LoadCasesAnswersTheKnownIdsInIdOrderAsTheSingleReadDoes) {
  struct Row {
    const char* name;
    std::vector<std::int64_t> ask;
    std::vector<std::int64_t> want;
  };
  const std::vector<Row> rows = {
      {"none", {}, {}},
      {"unordered, with an unknown id", {c_, 999999, a_}, {a_, c_}},
      {"all", {b_, a_, c_}, {a_, b_, c_}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const std::vector<CaseRecord> got = load_cases(s(), row.ask);
    std::vector<std::int64_t> ids;
    for (const CaseRecord& c : got) {
      ids.push_back(c.id);
      const CaseRecord single = load_case(s(), c.id).value();
      EXPECT_EQ(c.data, single.data);
      EXPECT_EQ(c.household_code, single.household_code);
      EXPECT_EQ(c.version, single.version);
      EXPECT_EQ(c.opened_at, single.opened_at);
    }
    EXPECT_EQ(ids, row.want);
  }
}

// More ids than one statement binds (adapters/storage/id_chunks.h: 64 per statement): each list is
// answered as one IN list would be, in order, whatever the order and repeats it is given in.
TEST_P(FiringReads, ListsLongerThanAStatementsChunkAreAnsweredAsOneList) {
  std::vector<std::int64_t> cases = {a_, b_, c_}, duties, timers;
  for (int i = 0; i < 140; ++i) {
    const std::string code = "37010200100110" + std::to_string(1000 + i);
    insert_household(s(), household(code));
    const std::int64_t id =
        insert_case(s(), new_case(code, R"({"officer":"李)" + std::to_string(i) + R"("})"));
    cases.push_back(id);
    duties.push_back(open_duty(s(), duty(id, "visits/" + code + "/2025-03", "visits")).id);
    if (i % 3 == 0) open_duty(s(), duty(id, "monitoring/" + code + "/2025-03", "monitoring"));
    timers.push_back(schedule_timer(s(), timer(id, "visits/" + code + "/due")).id);
  }
  // Asked backwards, each id twice, with unknown ids among them.
  std::vector<std::int64_t> ask_cases(cases.rbegin(), cases.rend());
  ask_cases.insert(ask_cases.end(), cases.begin(), cases.end());
  ask_cases.insert(ask_cases.begin() + 70, {999998, 999999});
  std::vector<std::int64_t> ask_duties(duties.rbegin(), duties.rend());
  ask_duties.insert(ask_duties.end(), duties.begin() + 60, duties.end());
  ask_duties.push_back(999999);

  std::vector<std::int64_t> read;
  read_cases_data(s(), ask_cases, [&](std::int64_t id, const std::string& data) {
    read.push_back(id);
    EXPECT_EQ(data, load_case(s(), id).value().data);
  });
  EXPECT_EQ(read, cases);  // inserted in id order

  const std::vector<DutyRecord> got = load_duties(s(), ask_duties);
  ASSERT_EQ(ids_of(got), duties);
  for (const DutyRecord& d : got) EXPECT_EQ(fields(d), fields(load_duty(s(), d.id).value()));

  std::vector<DutyRecord> single;
  for (const std::int64_t id : cases) {
    for (DutyRecord& d : case_duties(s(), id)) single.push_back(std::move(d));
  }
  EXPECT_EQ(fields(duties_of_cases(s(), ask_cases)), fields(single));

  // Marked across statements: every pending one once, those cancelled or fired before left.
  ASSERT_TRUE(cancel_timer(s(), timers[3]));
  ASSERT_TRUE(mark_timer_fired(s(), timers[100], t0()));
  std::vector<std::int64_t> mark(timers.rbegin(), timers.rend());
  mark.push_back(999999);
  EXPECT_EQ(mark_timers_fired(s(), mark, t0() + 2h), static_cast<int>(timers.size()) - 2);
  EXPECT_EQ(mark_timers_fired(s(), mark, t0() + 3h), 0);
  EXPECT_EQ(load_timer(s(), timers[0])->fired_at, std::optional(t0() + 2h));
  EXPECT_EQ(load_timer(s(), timers[139])->fired_at, std::optional(t0() + 2h));
  EXPECT_EQ(load_timer(s(), timers[3])->state, TimerState::kCancelled);
  EXPECT_EQ(load_timer(s(), timers[100])->fired_at, std::optional(t0()));
}

// The kept statements run again with new values: each use must act on its own duty or case.
TEST_P(FiringReads, KeptDutyWritesActOnTheirOwnValuesAtEachUse) {
  // reopen_duty: only a cancelled duty reopens, with the new due and opened instants.
  ASSERT_TRUE(cancel_duty(s(), a1_, t0() + 1h));
  ASSERT_TRUE(cancel_duty(s(), c1_, t0() + 1h));
  EXPECT_FALSE(reopen_duty(s(), a2_, t0() + 48h, t0() + 2h));  // open, not cancelled
  EXPECT_TRUE(reopen_duty(s(), a1_, t0() + 48h, t0() + 2h));
  EXPECT_TRUE(reopen_duty(s(), c1_, t0() + 72h, t0() + 3h));
  EXPECT_FALSE(reopen_duty(s(), a1_, t0() + 96h, t0() + 4h));  // open again
  EXPECT_EQ(load_duty(s(), a1_)->due_at, t0() + 48h);
  EXPECT_EQ(load_duty(s(), c1_)->due_at, t0() + 72h);
  EXPECT_EQ(load_duty(s(), c1_)->opened_at, t0() + 3h);
  EXPECT_EQ(load_duty(s(), c1_)->state, DutyState::kOpen);

  // cancel_duty_timers: only the pending timers under the duty's key, of its case (or county).
  schedule_timer(s(), timer(a_, "visits/a/2025-03/due"));
  schedule_timer(s(), timer(a_, "visits/a/2025-03/overdue/1"));
  schedule_timer(s(), timer(a_, "monitoring/a/2025-03/due"));
  schedule_timer(s(), timer(c_, "visits/c/2025-03/due"));
  schedule_timer(s(), timer(std::nullopt, "campaign/2025/m1/due"));
  EXPECT_EQ(cancel_duty_timers(s(), *load_duty(s(), a1_)), 2);
  EXPECT_EQ(cancel_duty_timers(s(), *load_duty(s(), a1_)), 0);
  EXPECT_EQ(cancel_duty_timers(s(), *load_duty(s(), county_)), 1);
  EXPECT_EQ(cancel_duty_timers(s(), *load_duty(s(), c1_)), 1);
  const std::vector<TimerRecord> left = due_timers(s(), t0() + 48h, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].dedupe_key, "monitoring/a/2025-03/due");

  // set_case_duty_officer: the open visits/monitoring duties of that case only.
  EXPECT_EQ(set_case_duty_officer(s(), a_, "赵六"), 2);
  EXPECT_EQ(set_case_duty_officer(s(), c_, "钱七"), 1);
  EXPECT_EQ(set_case_duty_officer(s(), b_, "孙八"), 0);
  EXPECT_EQ(load_duty(s(), a1_)->officer, "赵六");
  EXPECT_EQ(load_duty(s(), a2_)->officer, "赵六");
  EXPECT_EQ(load_duty(s(), c1_)->officer, "钱七");
  EXPECT_EQ(load_duty(s(), county_)->officer, "李四");
}

// A batch's timers marked fired in one UPDATE: only the pending ones move, and say how many.
TEST_P(FiringReads, MarkTimersFiredMovesOnlyThePendingOnes) {
  const std::int64_t t1 = schedule_timer(s(), timer(a_, "visits/a/2025-03/t1")).id;
  const std::int64_t t2 = schedule_timer(s(), timer(a_, "visits/a/2025-03/t2")).id;
  const std::int64_t t3 = schedule_timer(s(), timer(c_, "visits/c/2025-03/t3")).id;
  const std::int64_t t4 = schedule_timer(s(), timer(std::nullopt, "campaign/2025/m1/t4")).id;
  ASSERT_TRUE(cancel_timer(s(), t2));
  ASSERT_TRUE(mark_timer_fired(s(), t3, t0()));
  struct Row {
    const char* name;
    std::vector<std::int64_t> ask;
    int moved;
  };
  const std::vector<Row> rows = {
      {"none", {}, 0},
      {"cancelled, fired before, unknown", {t2, t3, 999999}, 0},
      {"one pending among the rest", {t1, t2, t3, 999999}, 1},
      {"again", {t1}, 0},
      {"a county timer", {t4}, 1},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(mark_timers_fired(s(), row.ask, t0() + 2h), row.moved);
  }
  EXPECT_EQ(load_timer(s(), t1)->state, TimerState::kFired);
  EXPECT_EQ(load_timer(s(), t1)->fired_at, std::optional(t0() + 2h));
  EXPECT_EQ(load_timer(s(), t2)->state, TimerState::kCancelled);
  EXPECT_EQ(load_timer(s(), t3)->fired_at, std::optional(t0()));  // fired before: as it was
  EXPECT_EQ(load_timer(s(), t4)->state, TimerState::kFired);
}

NewOutboxMessage message(const std::string& key, std::optional<std::int64_t> case_id,
                         const std::string& person) {
  NewOutboxMessage m;
  m.dedupe_key = key;
  m.case_id = case_id;
  m.channel = "file";
  m.recipient = "county-admin";
  m.message_type = "step_overdue";
  m.body = "{\"key\":\"" + key + "\"}";
  m.created_at = t0();
  m.next_attempt_at = t0() + 1h;
  m.person = person;
  return m;
}

// One multi-row insert answers as enqueue_outbox() called for each in turn would: keys stored
// before, or given twice, are inserted once and answer the stored row's id.
TEST_P(FiringReads, EnqueueOutboxBatchAnswersAsOneEnqueuePerMessageInTurn) {
  const EnqueueResult before = enqueue_outbox(s(), message("old", a_, "李四@370102001"));
  ASSERT_TRUE(before.inserted);
  struct Row {
    const char* name;
    std::vector<std::string> keys;
    std::vector<bool> inserted;
  };
  const std::vector<Row> rows = {
      {"none", {}, {}},
      {"new ones", {"n1", "n2"}, {true, true}},
      {"one stored before between new ones", {"n3", "old", "n4"}, {true, false, true}},
      {"a key given twice", {"n5", "n5", "n6"}, {true, false, true}},
      {"only stored ones", {"n1", "old"}, {false, false}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    std::vector<NewOutboxMessage> messages;
    for (std::size_t i = 0; i < row.keys.size(); ++i) {
      // Every other one without a case and a person (stored NULL).
      messages.push_back(message(row.keys[i], i % 2 == 0 ? std::optional(c_) : std::nullopt,
                                 i % 2 == 0 ? "王五@370102001" : ""));
    }
    const std::vector<EnqueueResult> got = enqueue_outbox_batch(s(), messages);
    ASSERT_EQ(got.size(), row.keys.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(row.keys[i]);
      EXPECT_EQ(got[i].inserted, row.inserted[i]);
      const OutboxRecord stored = load_outbox(s(), got[i].id).value();
      EXPECT_EQ(stored.dedupe_key, row.keys[i]);
      if (row.keys[i] == "old") {
        EXPECT_EQ(got[i].id, before.id);
        continue;
      }
      if (!got[i].inserted) continue;  // stored by an earlier row: checked there
      EXPECT_EQ(stored.case_id, messages[i].case_id);
      EXPECT_EQ(stored.person, messages[i].person);
      EXPECT_EQ(stored.body, messages[i].body);
      EXPECT_EQ(stored.next_attempt_at, t0() + 1h);
      EXPECT_EQ(stored.status, OutboxStatus::kPending);
    }
  }
  long long n = 0;
  s() << "SELECT COUNT(*) FROM outbox", soci::into(n);
  EXPECT_EQ(n, 7);  // old, n1 .. n6
}

// More messages than one statement takes (500): every one inserted, each with its own row.
TEST_P(FiringReads, EnqueueOutboxBatchTakesMoreThanOneStatementsRows) {
  std::vector<NewOutboxMessage> messages;
  for (int i = 0; i < 1203; ++i) messages.push_back(message("m" + std::to_string(i), a_, ""));
  const std::vector<EnqueueResult> got = enqueue_outbox_batch(s(), messages);
  ASSERT_EQ(got.size(), messages.size());
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(got[i].inserted);
    ids.insert(got[i].id);
  }
  EXPECT_EQ(ids.size(), messages.size());
  EXPECT_EQ(load_outbox(s(), got[700].id)->dedupe_key, "m700");
  EXPECT_EQ(load_outbox(s(), got[1202].id)->dedupe_key, "m1202");
}

// The overdue gauge counts a pending timer due at or before the instant to the millisecond: one
// due later within the current second is not overdue yet (count_store.h).
TEST_P(FiringReads, OverdueTimersAreDueAtOrBeforeNowToTheMillisecond) {
  struct Row {
    const char* name;
    std::chrono::seconds after;  // due second, from now
    int due_ms;
    bool overdue;
  };
  const std::vector<Row> rows = {
      {"a second before, late in it", -1s, 999, true},
      {"at now's millisecond", 0s, 0, true},
      {"a millisecond later in now's second", 0s, 1, false},
      {"late in now's second", 0s, 999, false},
      {"the next second", 1s, 0, false},
  };
  const TimePoint now = t0() + 5h;
  int want = 0;
  for (const Row& row : rows) {
    NewTimer t = timer(a_, std::string("overdue/") + row.name);
    t.due_at = now + row.after;
    t.due_within = std::chrono::milliseconds{row.due_ms};
    schedule_timer(s(), t);
    if (row.overdue) ++want;
  }
  NewTimer fired = timer(a_, "overdue/fired");
  fired.due_at = now - 1h;
  ASSERT_TRUE(mark_timer_fired(s(), schedule_timer(s(), fired).id, now));
  const PendingTimerCounts counts = count_pending_timers(s(), now);
  EXPECT_EQ(counts.pending, static_cast<std::int64_t>(rows.size()));
  EXPECT_EQ(counts.overdue, want);
}

// A batch where one timer's work cancels a later timer of the same batch: the due time of a
// case's March visits opens April, and April is closed at once when its visits are already
// recorded, which cancels April's pending timers; one of those is due and in the batch. The first
// pass (no savepoints, timers marked fired together at its end) must see that the later timer is
// no longer pending and give way to the careful pass, where it is not fired. A case whose April
// has no visit keeps its later timer, which fires.
TEST_P(FiringReads, ALaterTimerCancelledByAnEarlierOnesWorkInTheSameBatchDoesNotFire) {
  using std::chrono::April;
  Config config;
  config.county = {"370102", "历下区", "山东省"};
  config.townships = {{"370102001", "解放路街道"}};
  config.villages = {{"370102001001", "东村", "370102001"}};
  config.rules.visits.per_month = 1;
  CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
  ASSERT_TRUE(load.calendar.has_value());
  const WorkingDayCalendar& calendar = *load.calendar;
  const TimePoint due = china_time(Date{2025y / March / 31}, 17h);
  const TimePoint now = due + 1h;

  struct Row {
    const char* name;
    std::int64_t case_id;
    bool april_visited;
    bool later_fires;
  };
  const std::vector<Row> rows = {
      {"April's visit recorded: April closes at once, its due timer is cancelled", a_, true, false},
      {"no visit in April: April stays open, its due timer fires", c_, false, true},
  };
  std::vector<std::int64_t> earlier, later;
  for (const Row& row : rows) {
    CaseData data;
    data.household.village_code = "370102001001";
    if (row.april_visited) data.visits.push_back({Date{2025y / April / 2}, "李四", "", {}});
    const std::string text = case_data_to_json(data);
    s() << "UPDATE cases SET data = :d WHERE id = :id", soci::use(text), soci::use(row.case_id);
    const std::string march = month_duty_key(kDutyVisits, row.case_id, 2025y / March);
    NewDuty visits = duty(row.case_id, march, kDutyVisits);
    visits.due_at = due;
    const std::int64_t duty_id = open_duty(s(), visits).id;
    // The March duty's due time (rung 0, nobody told): it opens the next month.
    NewTimer t = timer(row.case_id, march + "/due");
    t.due_at = due;
    t.payload = encode_timer_payload(DutyNotice{duty_id, DutyNoticeKind::kOverdue, "2025-03-31"});
    earlier.push_back(schedule_timer(s(), t).id);
    // A timer under April's key, pending and due: what April's closing cancels.
    NewTimer l =
        timer(row.case_id, month_duty_key(kDutyVisits, row.case_id, 2025y / April) + "/early");
    l.due_at = due + 1s;
    l.payload = encode_timer_payload(DutyNotice{0, DutyNoticeKind::kOverdue, "2025-04-30"});
    later.push_back(schedule_timer(s(), l).id);
  }

  const FiringBatch batch = fire_due_batch(s(), config, calendar, now, 16);
  for (const FailedTimer& f : batch.failed) ADD_FAILURE() << f.timer.id << ": " << f.error;
  EXPECT_EQ(batch.claimed, 4);
  std::set<std::int64_t> fired;
  for (const FiredTimer& f : batch.fired) fired.insert(f.timer.id);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].name);
    EXPECT_TRUE(fired.contains(earlier[i]));
    EXPECT_EQ(load_timer(s(), earlier[i])->state, TimerState::kFired);
    EXPECT_EQ(fired.contains(later[i]), rows[i].later_fires);
    EXPECT_EQ(load_timer(s(), later[i])->state,
              rows[i].later_fires ? TimerState::kFired : TimerState::kCancelled);
    const std::optional<DutyRecord> april =
        find_duty(s(), month_duty_key(kDutyVisits, rows[i].case_id, 2025y / April));
    ASSERT_TRUE(april.has_value());
    EXPECT_EQ(april->state, rows[i].april_visited ? DutyState::kDone : DutyState::kOpen);
  }
  EXPECT_EQ(fired.size(), 3u);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, FiringReads, ::testing::Values(Backend::kSqlite), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, FiringReads, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

}  // namespace
}  // namespace fangfan
