// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// The feed runner in process with the scheduler on a simulated clock, on a real database
// (SQLite, and PostgreSQL in the second binary: CMake compiles this file once per backend,
// FANGFAN_FEED_RUNNER_TEST_SQLITE=1 or FANGFAN_FEED_RUNNER_TEST_POSTGRESQL=1). The example
// county's configuration with its medical insurance feed switched to an HTTP pull from the fake
// department interface on loopback (tests/support/fake_providers.h), two attempts per look and
// a 1 s request timeout. Scheduler::advance_to() moves the clock to the 5th's scheduled hour and
// on, and the runner looks for the period's data at each stop (set_intake):
//   - the interface failing every attempt (502, a timeout, a dropped connection): retried, one
//     failed run with the sentence, the period's duty still open with its ladder started (the
//     department clerk told at once); once the interface answers, the next look takes the data
//     and closes the duty, and no further rung is sent;
//   - the period not yet published (404): not a failure, looked for again every poll_minutes;
//   - a drop-folder file there before the scheduled hour: taken at that instant, moved aside;
//   - a department's answer to its list (kind = "feedback"): taken while its duty is open.
#include "daemon/tasks/feed_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/channels/make_channels.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/feed_store.h"
#include "adapters/storage/migrations.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/daemon/api_test_server.h"
#include "tests/daemon/runner_fixture.h"
#include "tests/support/fake_providers.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

TimePoint at(const char* text) { return *parse_time(text); }

constexpr const char* kToken = "dept-token";
constexpr const char* kPeriod = "2025-05";
constexpr int kAttempts = 2;
// A list of the civil affairs bureau and the day it was sent (its answer's period).
constexpr const char* kList = "civil_affairs_list";
constexpr const char* kListDay = "2025-05-01";
// The department's target for May (path and query, as the fake publishes it).
const std::string kTarget = "/dept/medical/export?month=2025-05";
// The example's medical insurance clerk (config/example.toml).
constexpr const char* kMedicalClerk = "尤明@medical_insurance";

using test::Backend;

// How the department's interface fails a whole look.
struct PullFailure {
  const char* name;
  testing::FakeAnswer answer;  // every attempt of the first look
  const char* sentence;        // in the failed run's error
};

void PrintTo(const PullFailure& f, std::ostream* os) { *os << f.name; }

const PullFailure kFailures[] = {
    {"ServerError", testing::FakeAnswer::kServerError, "HTTP 502"},
    {"Timeout", testing::FakeAnswer::kDelay, "无法从部门接口取数"},
    {"DroppedConnection", testing::FakeAnswer::kDrop, "无法从部门接口取数"},
};

class FeedRunnerFixture : public test::RunnerFixture {
 protected:
  FeedRunnerFixture() : RunnerFixture("2025-05-02T09:00"), fake_(secrets()) {}

  static testing::FakeSecrets secrets() {
    testing::FakeSecrets s;
    s.department_token = kToken;
    return s;
  }

  // The example county with medical insurance pulled from the fake over HTTP.
  std::shared_ptr<const Config> http_config() {
    auto copy = std::make_shared<Config>(*test::example_config(dir_.path()));
    copy->channels.http.timeout_seconds = 1;
    // The civil affairs bureau's answers to its list (issue 13), dropped in a folder.
    FeedSource answers;
    answers.name = "civil_affairs_feedback";
    answers.department = "civil_affairs";
    answers.department_name = "县民政局";
    answers.answers_list = kList;
    answers.measure_type = "social_security";
    answers.folder = (dir_.path() / "feeds" / "civil_affairs_feedback").string();
    answers.processed_folder = answers.folder + "/processed";
    answers.file_pattern = "civil_affairs-feedback-{period}.*";
    answers.columns = {{"id_number", "身份证号"}, {"name", "姓名"}, {"measure", "落实措施"}};
    copy->rules.feeds.sources.push_back(answers);
    for (FeedSource& s : copy->rules.feeds.sources) {
      if (s.kind == FeedSourceKind::kFolder) fs::create_directories(s.folder);
      if (s.name != "medical_insurance") continue;
      s.kind = FeedSourceKind::kHttp;
      s.folder.clear();
      s.url = fake_.base_url() + "/dept/medical/export?month={period}";
      s.token = kToken;
      s.attempts = kAttempts;
    }
    return copy;
  }

  void start(Backend backend) {
    config_ = http_config();
    open_storage(backend);
    if (IsSkipped() || HasFatalFailure()) return;
    writer_ = make_case_writer(
        clock_, [c = config_] { return c; }, [c = calendar_] { return c; });
    http_ = std::make_unique<HttpClient>(http_client_options(*config_));
    runner_ = std::make_unique<FeedRunner>(
        io_.get_executor(), *storage_, clock_, [c = config_] { return c; },
        [c = calendar_] { return c; }, *writer_, http_.get(), [this] { ++changed_; });
    start_scheduler(runner_.get());
  }

  void release_runner() override {
    runner_.reset();
    http_.reset();
    writer_.reset();
  }

  std::vector<FeedRunRecord> runs(const std::string& feed) {
    auto s = db_->open_session();
    FeedRunFilter filter;
    filter.feed = feed;
    filter.period = kPeriod;
    return list_feed_runs(*s, filter).runs;  // newest first
  }
  std::optional<DutyRecord> duty(const std::string& feed) {
    auto s = db_->open_session();
    return find_feed_duty(*s, feed, kPeriod);
  }
  // The timers of the period's duty of `feed` in `state`.
  long long duty_timers(const std::string& feed, const char* state) {
    return count("SELECT COUNT(*) FROM timers WHERE dedupe_key LIKE 'feed/" + feed + "/" + kPeriod +
                 "/%' AND state = '" + state + "'");
  }
  // "created_at recipient" of every feed_missing notice about `feed`'s period.
  std::vector<std::string> missing_notices(const std::string& feed) {
    auto s = db_->open_session();
    std::vector<std::string> out;
    const std::string like = "feed_missing:%" + feed + "/" + kPeriod + "%";
    soci::rowset<soci::row> rows =
        (s->prepare << "SELECT created_at, recipient FROM outbox WHERE message_type ="
                       " 'feed_missing' AND dedupe_key LIKE :k ORDER BY id",
         soci::use(like));
    for (const auto& r : rows) {
      out.push_back(format_time(from_epoch(r.get<long long>(0))) + " " + r.get<std::string>(1));
    }
    return out;
  }
  // The requests the department's interface has recorded (a delayed one once it answered).
  std::vector<testing::FakeRequest> department_requests(std::size_t at_least = 0) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
      std::vector<testing::FakeRequest> out;
      for (auto& r : fake_.requests()) {
        if (r.provider == "department") out.push_back(std::move(r));
      }
      if (out.size() >= at_least || std::chrono::steady_clock::now() > deadline) return out;
      std::this_thread::sleep_for(50ms);
    }
  }
  // The medical insurance file of the period, as the department publishes it (generated people,
  // amounts below every rule: no alert).
  std::string medical_csv() {
    const Date born = *parse_date("1968-02-03");
    return "身份证号,姓名,村编码,年度个人自付医疗费用,结算日期\n" + people_.id_number(born, true) +
           ",甲,379901001001,860.00,2025-05-03\n" + people_.id_number(born, false) +
           ",乙,379901002001,1200.00,2025-05-04\n";
  }

  testing::FakeProviders fake_;
  std::unique_ptr<CaseWriter> writer_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<FeedRunner> runner_;
  testing::PeopleGenerator people_{20251205};
};

class FeedRunnerTest : public FeedRunnerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override { start(GetParam()); }
};

class FeedPullFailureTest : public FeedRunnerFixture,
                            public ::testing::WithParamInterface<std::tuple<Backend, PullFailure>> {
 protected:
  void SetUp() override { start(std::get<0>(GetParam())); }
};

TEST_P(FeedPullFailureTest, RetriedRecordedAsFailedDutyOpenThenTakenWhenItAnswers) {
  const PullFailure& failure = std::get<1>(GetParam());
  if (failure.answer == testing::FakeAnswer::kDelay) {
    // Published but slow: each attempt outlasts [channels.http] timeout_seconds (1 s). (The
    // fake delays only a published period's answer; its 404 comes at once.)
    fake_.publish(kTarget, medical_csv());
    fake_.set_delay(1500ms);
  }
  fake_.script("department", failure.answer, kAttempts);

  // Mon 05-05 08:00, the schedule's hour: one look, every attempt fails.
  advance_to("2025-05-05T08:00");
  auto seen = department_requests(kAttempts);
  ASSERT_EQ(seen.size(), std::size_t(kAttempts));
  for (const auto& r : seen) {
    EXPECT_EQ(r.target, kTarget);
    EXPECT_EQ(r.headers.at("authorization"), std::string("Bearer ") + kToken);
  }
  auto failed = runs("medical_insurance");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].status, "failed");
  EXPECT_EQ(failed[0].started_at, at("2025-05-05T08:00"));
  EXPECT_THAT(failed[0].error, HasSubstr(failure.sentence));
  EXPECT_THAT(failed[0].error, HasSubstr("已尝试 2 次 (after 2 attempts)"));
  // The URL as recorded: scheme, host, port and path, never the query.
  EXPECT_THAT(failed[0].source, ::testing::StartsWith(fake_.base_url() + "/dept/medical/export"));
  EXPECT_THAT(failed[0].source, ::testing::Not(HasSubstr("month=")));
  EXPECT_EQ(failed[0].counts, FeedRunCounts{});
  // The duty stays open; its ladder started: the department clerk told at once, the county
  // office's rung pending.
  auto open = duty("medical_insurance");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->state, DutyState::kOpen);
  EXPECT_EQ(duty_timers("medical_insurance", "fired"), 1);
  EXPECT_EQ(duty_timers("medical_insurance", "pending"), 1);
  EXPECT_THAT(missing_notices("medical_insurance"),
              ::testing::ElementsAre(std::string("2025-05-05T08:00:00+08:00 ") + kMedicalClerk));

  // The interface answers again (published now if it was not): the next look, poll_minutes
  // (10) later, takes the period and closes the duty.
  fake_.publish(kTarget, medical_csv());
  advance_to("2025-05-05T08:09");
  EXPECT_EQ(department_requests().size(), std::size_t(kAttempts));  // not looked at again yet
  advance_to("2025-05-05T08:10");
  ASSERT_EQ(department_requests(kAttempts + 1).size(), std::size_t(kAttempts + 1));
  auto after = runs("medical_insurance");
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].status, "done") << after[0].error;
  EXPECT_EQ(after[0].started_at, at("2025-05-05T08:10"));
  EXPECT_EQ(after[0].counts.rows_read, 2);
  EXPECT_EQ(after[0].counts.rows_accepted, 2);
  EXPECT_EQ(after[1].status, "failed");
  auto closed = duty("medical_insurance");
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, DutyState::kDone);
  EXPECT_EQ(duty_timers("medical_insurance", "pending"), 0);

  // A fortnight on: no further rung, no further look.
  const auto notices = missing_notices("medical_insurance");
  advance_to("2025-05-19T09:00");
  EXPECT_EQ(missing_notices("medical_insurance"), notices);
  EXPECT_EQ(department_requests().size(), std::size_t(kAttempts + 1));
  EXPECT_EQ(runs("medical_insurance").size(), 2u);
}

TEST_P(FeedRunnerTest, UnpublishedPeriodIsNotYetLookedForEveryPollNeverAFailedRun) {
  advance_to("2025-05-05T08:00");
  ASSERT_EQ(department_requests().size(), 1u);  // a 404 is not tried again
  EXPECT_TRUE(runs("medical_insurance").empty());
  auto open = duty("medical_insurance");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->state, DutyState::kOpen);
  EXPECT_THAT(missing_notices("medical_insurance"),
              ::testing::ElementsAre(std::string("2025-05-05T08:00:00+08:00 ") + kMedicalClerk));
  // Looked for again every poll_minutes (10): one request each, none a failed run.
  for (const char* stop : {"2025-05-05T08:05", "2025-05-05T08:10", "2025-05-05T08:19",
                           "2025-05-05T08:20", "2025-05-05T09:00"}) {
    advance_to(stop);
  }
  EXPECT_EQ(department_requests().size(), 4u);  // 08:00, 08:10, 08:20, 09:00
  EXPECT_TRUE(runs("medical_insurance").empty());
  EXPECT_EQ(missing_notices("medical_insurance").size(), 1u);
  // Published late: taken at the next look.
  fake_.publish(kTarget, medical_csv());
  advance_to("2025-05-05T09:10");
  auto taken = runs("medical_insurance");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].status, "done") << taken[0].error;
  EXPECT_EQ(duty("medical_insurance")->state, DutyState::kDone);
}

TEST_P(FeedRunnerTest, DroppedFileIsTakenAtTheScheduledHourAndMovedAside) {
  const FeedSource* civil = config_->rules.feeds.find("civil_affairs");
  ASSERT_NE(civil, nullptr);
  ASSERT_EQ(civil->kind, FeedSourceKind::kFolder);
  // Sun 05-04: the department drops its May file (complete: written an hour ago).
  advance_to("2025-05-04T10:00");
  const fs::path file = fs::path(civil->folder) / "civil_affairs-2025-05.csv";
  const Date born = *parse_date("1975-06-07");
  std::ofstream(file, std::ios::binary)
      << "身份证号,姓名,村编码,救助类别,批准日期,月保障金额\n"
      << people_.id_number(born, true) << ",丙,379901001001,医疗救助,2025-05-01,300.00\n";
  fs::last_write_time(file, fs::file_time_type::clock::now() - 1h);
  // Not before its hour.
  advance_to("2025-05-05T07:59:59");
  EXPECT_TRUE(runs("civil_affairs").empty());
  EXPECT_TRUE(fs::exists(file));

  advance_to("2025-05-05T08:00");
  auto taken = runs("civil_affairs");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].status, "done") << taken[0].error;
  EXPECT_EQ(taken[0].started_at, at("2025-05-05T08:00"));
  EXPECT_EQ(taken[0].source, "civil_affairs-2025-05.csv");
  EXPECT_EQ(taken[0].counts.rows_read, 1);
  EXPECT_EQ(duty("civil_affairs")->state, DutyState::kDone);
  EXPECT_TRUE(missing_notices("civil_affairs").empty());
  EXPECT_EQ(duty_timers("civil_affairs", "pending") + duty_timers("civil_affairs", "fired"), 0);
  // Moved to processed/<run id>-<name>, never deleted.
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(fs::exists(fs::path(civil->folder) / "processed" /
                         (std::to_string(taken[0].id) + "-civil_affairs-2025-05.csv")));
  // The missing medical insurance period meanwhile climbs its own ladder.
  EXPECT_EQ(missing_notices("medical_insurance").size(), 1u);
  advance_to("2025-05-20T09:00");
  EXPECT_TRUE(missing_notices("civil_affairs").empty());
  EXPECT_EQ(runs("civil_affairs").size(), 1u);
}

// A department's answer to its list (issue 13): looked for while the list's feedback duty is
// open, nothing started when it is missing (the duty's own timers remind), taken like any feed
// when it arrives (a person never on the list quarantined), and the duty closed.
TEST_P(FeedRunnerTest, AListsAnswerIsTakenWhileItsFeedbackDutyIsOpen) {
  const std::string key = std::string("feedback/") + kList + "/" + kListDay;
  {
    auto s = db_->open_session();
    NewDuty d;
    d.duty_key = key;
    d.kind = "feedback";
    d.subject = std::string(kList) + "/" + kListDay;
    d.township_code = config_->county.code;
    d.owner_role = "department_clerk";
    d.opened_at = clock_.now();
    d.due_at = at("2025-05-16T08:00");
    ASSERT_TRUE(open_duty(*s, d).inserted);
  }
  auto feedback_runs = [&] {
    auto s = db_->open_session();
    FeedRunFilter filter;
    filter.feed = "civil_affairs_feedback";
    return list_feed_runs(*s, filter).runs;
  };
  auto state = [&] {
    auto s = db_->open_session();
    return find_duty(*s, key)->state;
  };
  // Not there yet: no run, no timers of the look's own.
  advance_to("2025-05-02T12:00");
  EXPECT_TRUE(feedback_runs().empty());
  EXPECT_EQ(state(), DutyState::kOpen);
  EXPECT_EQ(count("SELECT COUNT(*) FROM timers WHERE dedupe_key LIKE '" + key + "/%'"), 0);

  const FeedSource* answers = config_->rules.feeds.find("civil_affairs_feedback");
  const fs::path file = fs::path(answers->folder) / "civil_affairs-feedback-2025-05-01.csv";
  std::ofstream(file, std::ios::binary)
      << "身份证号,姓名,落实措施\n"
      << people_.id_number(*parse_date("1975-06-07"), true) << ",丙,低保\n";
  fs::last_write_time(file, fs::file_time_type::clock::now() - 1h);
  advance_to("2025-05-02T12:30");
  auto taken = feedback_runs();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].status, "done") << taken[0].error;
  EXPECT_EQ(taken[0].period, kListDay);
  EXPECT_EQ(taken[0].counts.rows_quarantined, 1);  // never on the list
  EXPECT_EQ(state(), DutyState::kDone);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(fs::exists(fs::path(answers->processed_folder) /
                         (std::to_string(taken[0].id) + "-civil_affairs-feedback-2025-05-01.csv")));
}

#if defined(FANGFAN_FEED_RUNNER_TEST_POSTGRESQL)
constexpr Backend kBackend = Backend::kPostgresql;
constexpr const char* kBackendName = "Postgresql";
#else
constexpr Backend kBackend = Backend::kSqlite;
constexpr const char* kBackendName = "Sqlite";
#endif
INSTANTIATE_TEST_SUITE_P(Backends, FeedRunnerTest, ::testing::Values(kBackend),
                         [](const auto&) { return std::string(kBackendName); });
INSTANTIATE_TEST_SUITE_P(Answers, FeedPullFailureTest,
                         ::testing::Combine(::testing::Values(kBackend),
                                            ::testing::ValuesIn(kFailures)),
                         [](const auto& info) {
                           return std::string(std::get<1>(info.param).name) + "_" + kBackendName;
                         });

}  // namespace
}  // namespace fangfan
