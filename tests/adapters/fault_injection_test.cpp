// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Storage faults (issue 16, item 2): the N-th SQL statement fails
// (tests/support/statement_faults.h) while an operation runs, for N = 1, 2, ... until a run
// completes without reaching it: a case write through the daemon's case writer (open, then start
// verification, with the timer hook), a firing batch (Scheduler::advance_to over two deadlines), an
// outbox pass (the dispatcher with a loopback channel), an import of a case list and a department
// feed run (the feed runner over a drop folder). After every
// failure the operation must have refused with a StorageError that says what failed, the state must
// be whole (no case without its history, no version ahead of its history, no timers or messages of
// a change that was not saved, no message left "sending"), and running the operation again must
// complete with the result of a run without faults. CMake compiles this file once per backend
// (FANGFAN_FAULT_TEST_SQLITE=1 or FANGFAN_FAULT_TEST_POSTGRESQL=1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/channels/signing.h"
#include "adapters/channels/wechat_app.h"
#include "adapters/channels/wechat_robot.h"
#include "adapters/clock/system_clock.h"
#include "adapters/import/importer.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/tasks/feed_runner.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "daemon/tasks/outbox_messages.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/fake_providers.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "tests/support/statement_faults.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kVillage = "379901001001";  // 东岭村 of the example county
// Enough for every operation here to complete without reaching its fault: a loop that gets
// this far has stopped finding the end.
constexpr long kMaxStatements = 2000;

TimePoint at(const char* text) { return *parse_time(text); }

// Faults injected per operation, for the report line at the end.
std::map<std::string, long>& faults_injected() {
  static std::map<std::string, long> counts;
  return counts;
}

// A channel that accepts every message at once and counts what reached it.
class LoopbackChannel : public Channel {
 public:
  const std::string& name() const override { return name_; }
  asio::awaitable<DeliveryResult> deliver(OutgoingMessage m) override {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    ++copies[m.outbox_id];
    co_return DeliveryResult::sent("loop-" + std::to_string(m.outbox_id));
  }
  std::map<std::int64_t, int> copies;

 private:
  std::string name_ = "webhook";
};

class FaultInjection : public ::testing::Test {
 protected:
  FaultInjection() : config_(test::without_feeds(test::example_config(dir_.path()))) {}

  void SetUp() override {
    std::string url = config_->storage_url;
#if defined(FANGFAN_FAULT_TEST_POSTGRESQL)
    const test::PgTestServer& pg = test::pg_test_server();
    if (pg.status == test::PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
    ASSERT_EQ(pg.status, test::PgTestServer::Status::kReady) << pg.reason;
    scratch_.emplace(pg);
    url = scratch_->url();
#endif
    spdlog::set_level(spdlog::level::warn);  // a fault per run: thousands of runs
    db_ = std::make_shared<Database>(Database::open(url, faults_.options()));
    // The test's own reads go around the seam: only the operation's statements are counted.
    plain_.emplace(Database::open(url));
    check_ = plain_->open_session();
    migrate(*db_, at("2025-03-03T09:00"));
    auto loaded = load_calendar_dir(config_->calendar_dir);
    ASSERT_TRUE(loaded.calendar);
    calendar_ = std::make_shared<const WorkingDayCalendar>(std::move(*loaded.calendar));
    storage_ = std::make_unique<StorageExecutor>(db_, 2);
    session_ = db_->open_session();
  }
  void TearDown() override {
    faults_.disarm();
    if (storage_) storage_->join();
    storage_.reset();
    session_.reset();
    check_.reset();
    plain_.reset();
    db_.reset();
    scratch_.reset();
  }

  template <class T>
  T await(asio::awaitable<T> a) {
    std::future<T> f = asio::co_spawn(io_, std::move(a), asio::use_future);
    io_.restart();
    // An operation that hangs after a failure (a lock never released) is a finding, not a
    // test that never ends.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (f.wait_for(0s) != std::future_status::ready) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("the operation hung after a storage failure");
      }
      io_.run_one_for(100ms);
    }
    return f.get();
  }
  // Lets deliveries still in flight after a failed pass finish.
  void drain() {
    io_.restart();
    io_.run_for(50ms);
  }

  long long count(const std::string& sql) {
    long long n = -1;
    *check_ << sql, soci::into(n);
    return n;
  }

  std::string text(const std::string& sql) {
    std::string t;
    soci::indicator ind = soci::i_null;
    *check_ << sql, soci::into(t, ind);
    return ind == soci::i_ok ? t : "";
  }

  std::unique_ptr<CaseWriter> writer(const Clock& clock) {
    return make_case_writer(
        clock, [c = config_] { return c; }, [c = calendar_] { return c; });
  }

  // What must hold after any failure: every case has exactly its accepted events as history, no
  // timer or message belongs to a case that is not there, nothing is left "sending".
  void expect_whole(const std::string& where) {
    SCOPED_TRACE(where);
    EXPECT_EQ(count("SELECT COUNT(*) FROM cases c WHERE c.version <>"
                    " (SELECT COUNT(*) FROM case_history h WHERE h.case_id = c.id)"),
              0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM cases c WHERE c.version <>"
                    " (SELECT MAX(seq) FROM case_history h WHERE h.case_id = c.id)"),
              0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM case_history h WHERE NOT EXISTS"
                    " (SELECT 1 FROM cases c WHERE c.id = h.case_id)"),
              0);
    // Deadlines come with the change that schedules them: cases at the same version have the
    // same number of timers, and a verifying case (version 2 here) has its step's reminder, due
    // time and ladder.
    EXPECT_EQ(count("SELECT COUNT(*) FROM (SELECT version FROM (SELECT c.version AS version,"
                    " (SELECT COUNT(*) FROM timers t WHERE t.case_id = c.id) AS n FROM cases c)"
                    " AS x GROUP BY version HAVING COUNT(DISTINCT n) > 1) AS y"),
              0);
    if (verifying_timers_ >= 0) {
      EXPECT_EQ(count("SELECT COUNT(*) FROM cases c WHERE c.version = 2 AND"
                      " (SELECT COUNT(*) FROM timers t WHERE t.case_id = c.id) <> " +
                      std::to_string(verifying_timers_)),
                0);
    }
    EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE status = 'sending'"), 0);
  }

  // A StorageError's message names the operation in Chinese with English in brackets.
  static void expect_clear(const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("("));
    EXPECT_THAT(e.what(), HasSubstr("fangfan_injected_fault"));
  }

  // Opens a case for household `code` and starts its verification, as the API's two requests
  // do (each its own unit of work). A retry after a refusal picks up where the case is.
  void open_verifying(const Clock& clock, const std::string& code) {
    auto w = writer(clock);
    std::optional<std::int64_t> id;
    {
      long long found = 0;
      soci::indicator ind = soci::i_null;
      *check_ << "SELECT MAX(id) FROM cases WHERE household_code = :c", soci::use(code),
          soci::into(found, ind);
      if (ind == soci::i_ok) id = found;
    }
    if (!id) {
      OpenCase open;
      open.meta = {"镇扶贫办李*", clock.now(), ""};
      open.kind = "unstable";
      open.household = people_.household(code, kVillage, 3);
      open.risk_causes = {RiskCause::kIllness};
      auto opened = w->begin(*config_).open_case(*session_, open);
      const auto* change = std::get_if<CaseChange>(&opened);
      ASSERT_NE(change, nullptr);
      id = change->case_id;
    }
    long long version = 0;
    *check_ << "SELECT version FROM cases WHERE id = :id", soci::use(static_cast<long long>(*id)),
        soci::into(version);
    if (version >= 2) return;
    StartVerification start;
    start.meta = {"镇扶贫办李*", clock.now(), ""};
    start.verifier = "镇扶贫办李*";
    auto applied = w->begin(*config_).apply(*session_, *id, start);
    ASSERT_TRUE(std::holds_alternative<CaseChange>(applied));
  }

  // Runs `op` with the N-th statement failing, for N = 1, 2, ... until a run completes without
  // reaching it; after a failure `check` the state, then `again` must complete.
  template <class Op, class Check, class Again>
  void walk(const std::string& name, Op op, Check check, Again again) {
    long n = 1;
    for (; n < kMaxStatements; ++n) {
      SCOPED_TRACE(name + ", statement " + std::to_string(n) + " fails");
      faults_.arm(n);
      bool refused = false;
      try {
        op(n);
      } catch (const StorageError& e) {
        refused = true;
        expect_clear(e);
      }
      faults_.disarm();
      const bool fired = faults_.fired();
      if (!fired) {
        EXPECT_FALSE(refused);
        check(n, false);
        break;
      }
      ++faults_injected()[name];
      check(n, refused);
      again(n);
      check(n, false);
      if (::testing::Test::HasFailure()) break;
    }
    EXPECT_LT(n, kMaxStatements) << name << " never completed";
    EXPECT_GT(faults_injected()[name], 3) << name;
    std::cout << name << ": " << faults_injected()[name] << " faults injected, a clean run at " << n
              << "\n";
  }

  test::TempDir dir_;
  std::shared_ptr<const Config> config_;
  test::StatementFaults faults_;
  std::optional<test::ScratchPgDatabase> scratch_;
  std::shared_ptr<Database> db_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;
  std::unique_ptr<StorageExecutor> storage_;
  std::unique_ptr<soci::session> session_;  // through the seam
  std::optional<Database> plain_;           // the same database without it
  std::unique_ptr<soci::session> check_;
  asio::io_context io_{1};
  testing::PeopleGenerator people_{20261205};
  long long verifying_timers_ = -1;  // learned from the first clean run
};

std::string household_code(long n) {
  std::string digits = std::to_string(1000 + n);
  return std::string(kVillage) + digits.substr(digits.size() - 4);
}

TEST_F(FaultInjection, CaseWriteIsWholeOrAbsentAndARetryCompletes) {
  SimulatedClock clock(at("2025-03-03T09:00"));
  // The deadlines of a verifying case, from a write without faults.
  open_verifying(clock, household_code(0));
  verifying_timers_ = count("SELECT COUNT(*) FROM timers WHERE case_id IS NOT NULL");
  ASSERT_GE(verifying_timers_, 3);
  walk(
      "case write", [&](long n) { open_verifying(clock, household_code(n)); },
      [&](long n, bool) { expect_whole("case write " + std::to_string(n)); },
      [&](long n) {
        open_verifying(clock, household_code(n));
        EXPECT_EQ(count("SELECT COUNT(*) FROM cases WHERE household_code = '" + household_code(n) +
                        "' AND version = 2"),
                  1);
      });
}

TEST_F(FaultInjection, FiringBatchFiresEachTimerOnceAndARetryCompletes) {
  verifying_timers_ = -1;
  long total_fired = 0;
  // Every round opens one case on a clock of its own from 03-03 and moves over its reminder
  // (03-10 08:00) and due time (03-11 08:00); the other rounds' timers at those instants have
  // fired already.
  std::unique_ptr<SimulatedClock> clock;
  std::unique_ptr<Scheduler> scheduler;
  auto prepare = [&](long n) {
    faults_.disarm();
    clock = std::make_unique<SimulatedClock>(at("2025-03-03T09:00"));
    open_verifying(*clock, household_code(n));
    if (verifying_timers_ < 0) {
      verifying_timers_ = count("SELECT COUNT(*) FROM timers WHERE case_id IS NOT NULL");
    }
    clock->advance(
        std::chrono::duration_cast<std::chrono::seconds>(at("2025-03-10T07:00") - clock->now()));
    scheduler = std::make_unique<Scheduler>(
        io_.get_executor(), *storage_, *clock, clock.get(), [c = config_] { return c; },
        [c = calendar_] { return c; }, [] {});
  };
  const TimePoint target = at("2025-03-11T09:00");
  auto fired_of = [&](long n) {
    return count(
        "SELECT COUNT(*) FROM timers t JOIN cases c ON c.id = t.case_id WHERE"
        " c.household_code = '" +
        household_code(n) + "' AND t.state = 'fired'");
  };
  auto queued_of = [&](long n) {
    return count(
        "SELECT COUNT(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE"
        " c.household_code = '" +
        household_code(n) + "'");
  };
  walk(
      "firing batch",
      [&](long n) {
        const long armed = n;
        prepare(n);
        faults_.arm(armed);
        total_fired += await(scheduler->advance_to(target)).timers_fired;
      },
      [&](long n, bool refused) {
        // Whole: a timer is fired with its message or pending without it.
        EXPECT_EQ(count("SELECT COUNT(*) FROM timers WHERE state = 'fired' AND fired_at IS NULL"),
                  0);
        if (!refused) {
          EXPECT_EQ(fired_of(n), 2);
          EXPECT_EQ(queued_of(n), 2);
        } else {
          EXPECT_EQ(fired_of(n), queued_of(n));
        }
      },
      [&](long) { total_fired += await(scheduler->advance_to(target)).timers_fired; });
  // No timer fired twice: one message per fired timer (a reminder and a due notice each), and
  // no message without its fired timer.
  EXPECT_GT(total_fired, 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE case_id IS NOT NULL"),
            count("SELECT COUNT(*) FROM timers WHERE state = 'fired' AND case_id IS NOT NULL"));
}

// A pass ended by a storage error keeps what it could not record (the answers of a failed flush,
// the claims it gave back) for the next pass, which records them before it looks for due
// messages: so right after the failure those messages are "sending", and the ones among them a
// channel already accepted are what a crash at that moment would send again; they must be within
// the README's bound, OutboxDispatcher::unrecorded_bound(`concurrency`). The seam does not kill the
// process, so the retry (one pass, as run() starts after its pause, then more while messages are
// due) leaves nothing "sending" and every message sent exactly once. One pass is enough: the claims
// given back are due again in the pass that records them.
TEST_F(FaultInjection, OutboxPassLeavesNothingSendingAndSendsEachMessageOnce) {
  const SimulatedClock clock(at("2025-03-03T09:00"));
  auto channel = std::make_shared<LoopbackChannel>();
  OutboxDispatcher dispatcher(io_.get_executor(), *storage_, clock, config_);
  dispatcher.add_channel(channel);
  const int concurrency = std::max(1, config_->delivery.concurrency);
  const long long bound = OutboxDispatcher::unrecorded_bound(concurrency);
  // More messages than one write of answers starts with (answers_per_commit), each to its own
  // address so that pacing holds none back.
  const int kMessages = OutboxDispatcher::answers_per_commit(concurrency) + 8;
  auto enqueue = [&](long n) {
    faults_.disarm();
    WriteTransaction tx(*check_);
    for (int i = 0; i < kMessages; ++i) {
      NewOutboxMessage m;
      m.dedupe_key = "fault:" + std::to_string(n) + ":" + std::to_string(i);
      m.channel = "webhook";
      m.recipient = "村干部" + std::to_string(n) + "-" + std::to_string(i) + "@379901001";
      m.message_type = "written_notice";
      m.body = "【防返贫监测】请核对东岭村走访记录。";
      m.created_at = clock.now();
      m.next_attempt_at = clock.now();
      enqueue_outbox(*check_, m);
    }
    tx.commit();
  };
  long long most_unrecorded = 0;
  walk(
      "outbox pass",
      [&](long n) {
        enqueue(n);
        faults_.arm(n);
        await(dispatcher.dispatch_due());
      },
      [&](long n, bool refused) {
        if (refused) {
          drain();  // the deliveries in flight answer
          // Accepted by the channel, not yet recorded: sent again if the process died now.
          std::vector<long long> sending(kMessages * 4);
          soci::statement st = (check_->prepare << "SELECT id FROM outbox WHERE status = 'sending'",
                                soci::into(sending));
          st.execute();
          long long unrecorded = 0;
          while (st.fetch()) {
            for (const long long id : sending) unrecorded += channel->copies.count(id);
            sending.resize(kMessages * 4);
          }
          most_unrecorded = std::max(most_unrecorded, unrecorded);
          EXPECT_LE(unrecorded, bound) << "a crash now would send more than the bound again";
          return;
        }
        expect_whole("outbox pass " + std::to_string(n));
        EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'"), 0)
            << count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") << " pending, "
            << count("SELECT COUNT(*) FROM outbox WHERE status = 'sending'") << " sending, "
            << count("SELECT COUNT(*) FROM outbox WHERE hold_reason <> ''")
            << " held: " << text("SELECT MIN(hold_reason) FROM outbox WHERE hold_reason <> ''");
        for (const auto& [id, copies] : channel->copies) {
          EXPECT_EQ(copies, 1) << "outbox " << id << " went out " << copies << " times";
        }
      },
      [&](long) {
        // As run() does after its pause: one pass, which records what the failed pass left
        // and sends the claims it gave back.
        await(dispatcher.dispatch_due());
      });
  EXPECT_EQ(channel->copies.size(), std::size_t(count("SELECT COUNT(*) FROM outbox")));
  std::cout << "outbox pass: at most " << most_unrecorded
            << " accepted messages unrecorded after a fault (bound " << bound << ")\n";
}

TEST_F(FaultInjection, ImportAppliesEachRowOnceAndARerunCompletes) {
  SimulatedClock clock(at("2025-03-03T09:00"));
  auto w = writer(clock);
  verifying_timers_ = -1;
  std::map<long, std::string> files;
  constexpr int kRows = 3;
  auto file_of = [&](long n) -> const std::string& {
    auto& f = files[n];
    if (!f.empty()) return f;
    f = "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型,先帮扶后认定,"
        "劳动能力,先帮扶原因\n";
    for (int i = 0; i < kRows; ++i) {
      const auto p = people_.person();
      f += household_code(n * kRows + i) + "," + kVillage + "," + p.name + "," + p.id_number + "," +
           p.phone + ",边缘易致贫户,村两委排查,因病,否,是,\n";
    }
    return f;
  };
  auto import = [&](long n) {
    ImportRequest r;
    r.kind = ImportKind::kCases;
    r.file_name = "监测对象.csv";
    r.bytes = file_of(n);
    r.actor = "县乡村振兴局周*";
    r.scope = "379901";
    r.covers = [](std::string_view) { return true; };
    auto result = run_import(*session_, w->begin(*config_), r);
    const auto* out = std::get_if<ImportOutcome>(&result);
    EXPECT_NE(out, nullptr);
    return out ? *out : ImportOutcome{};
  };
  auto cases_of = [&](long n) {
    long long total = 0;
    for (int i = 0; i < kRows; ++i) {
      total += count("SELECT COUNT(*) FROM cases WHERE household_code = '" +
                     household_code(n * kRows + i) + "'");
    }
    return total;
  };
  walk(
      "import",
      [&](long n) {
        const ImportOutcome out = import(n);
        EXPECT_EQ(out.run.rows_applied, kRows);
      },
      [&](long n, bool refused) {
        expect_whole("import " + std::to_string(n));
        // A row's case and its key in import_applied are one transaction.
        EXPECT_EQ(count("SELECT COUNT(*) FROM import_applied"),
                  count("SELECT COUNT(*) FROM cases"));
        if (!refused) {
          EXPECT_EQ(cases_of(n), kRows);
        }
      },
      [&](long n) {
        const ImportOutcome out = import(n);
        // Rows applied before the failure are duplicates now; none is applied twice.
        EXPECT_EQ(out.run.rows_applied + out.run.rows_duplicate, kRows);
      });
}

// -- a department feed run (FeedRunner::run_now over the civil affairs drop folder): every
// period's file has two people newly on assistance (alerts for their township), a member of a
// monitored household (evidence on the case), a row with a wrong check digit (a bad row), a repeat
// of the first row and a row no rule fires on. After each failure no run is left "running" (the
// failed run says so), nothing was raised twice (one signal, one alert or one case evidence per
// person and rule), and the rerun takes the file still in the folder and completes: one done run
// of the period, its bad row kept, everything raised once.
class FeedRunFaults : public FaultInjection {
 protected:
  FeedRunFaults() {
    auto copy = std::make_shared<Config>(*test::example_config(dir_.path()));
    for (FeedSource& source : copy->rules.feeds.sources) {
      source.settle_seconds = 0;  // the test's files are complete when written
      if (source.kind == FeedSourceKind::kFolder)
        std::filesystem::create_directories(source.folder);
    }
    config_ = copy;
  }
};

TEST_F(FeedRunFaults, FeedRunIsFailedOrDoneNothingRaisedTwiceAndARerunCompletes) {
  spdlog::set_level(spdlog::level::err);  // a failed run per fault
  SimulatedClock clock(at("2025-03-03T09:00"));
  auto w = writer(clock);
  const FeedSource* source = config_->rules.feeds.find("civil_affairs");
  ASSERT_NE(source, nullptr);
  // The monitored household: a case in verification, its head on every period's list.
  const std::string monitored_code = std::string(kVillage) + "9999";
  open_verifying(clock, monitored_code);
  std::string member_id, member_name;
  *check_ << "SELECT id_number, name FROM household_members WHERE household_code = :c"
             " ORDER BY id LIMIT 1",
      soci::use(monitored_code), soci::into(member_id), soci::into(member_name);
  ASSERT_FALSE(member_id.empty());
  const long long monitored_version =
      count("SELECT version FROM cases WHERE household_code = '" + monitored_code + "'");

  FeedRunner runner(
      io_.get_executor(), *storage_, clock, [c = config_] { return c; },
      [c = calendar_] { return c; }, *w, nullptr, [] {});
  auto period_of = [](long n) {
    const long month = n % 12 + 1;
    return std::to_string(2030 + n / 12) + (month < 10 ? "-0" : "-") + std::to_string(month);
  };
  std::map<long, bool> written;
  auto write_file = [&](long n) {
    if (written[n]) return;
    written[n] = true;
    const auto a = people_.person(), b = people_.person(), c = people_.person();
    const std::string bad_id = [&] {
      std::string id = people_.person().id_number;
      id.back() = id.back() == '1' ? '2' : '1';
      return id;
    }();
    const std::string v = kVillage;
    const std::string row_a = a.id_number + "," + a.name + "," + v + ",低保,2025-02-01,600\n";
    std::ofstream(std::filesystem::path(source->folder) /
                  ("civil_affairs-" + period_of(n) + ".csv"))
        << "身份证号,姓名,村编码,救助类别,批准日期,月保障金额\n"
        << row_a << b.id_number << "," << b.name << "," << v << ",特困,2025-02-01,900\n"
        << member_id << "," << member_name << "," << v << ",临时救助,2025-02-03,300\n"
        << bad_id << ",丁," << v << ",低保,2025-02-01,600\n"
        << row_a << c.id_number << "," << c.name << "," << v << ",其他,2025-02-01,100\n";
  };
  auto run = [&](long n) {
    std::string why;
    auto report = await(runner.run_now("civil_affairs", period_of(n), "县民政局周*", why));
    EXPECT_TRUE(report.has_value()) << why;
    if (report) {
      EXPECT_EQ(report->status, "done") << report->error;
    }
  };
  auto of_period = [&](long n, const std::string& what) {
    return count("SELECT COUNT(*) FROM " + what + " AND period = '" + period_of(n) + "'");
  };
  walk(
      "feed run",
      [&](long n) {
        faults_.disarm();
        write_file(n);
        faults_.arm(n);
        run(n);
      },
      [&](long n, bool refused) {
        expect_whole("feed run " + std::to_string(n));
        // No run is left "running"; a failed one says why.
        EXPECT_EQ(count("SELECT COUNT(*) FROM feed_runs WHERE status = 'running'"), 0);
        EXPECT_EQ(count("SELECT COUNT(*) FROM feed_runs WHERE status = 'failed' AND error NOT"
                        " LIKE '%fangfan_injected_fault%'"),
                  0);
        // Raised once: an alert and its signal, its "raised" history and its duty in one
        // transaction; evidence on the case with its signal in one.
        EXPECT_EQ(count("SELECT COUNT(*) FROM (SELECT 1 FROM alerts GROUP BY feed, period,"
                        " id_number, rule HAVING COUNT(*) > 1) AS x"),
                  0);
        EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"),
                  count("SELECT COUNT(*) FROM feed_signals WHERE alert_id IS NOT NULL"));
        EXPECT_EQ(count("SELECT COUNT(*) FROM alerts"),
                  count("SELECT COUNT(*) FROM alert_history WHERE event = 'raised'"));
        EXPECT_EQ(
            count("SELECT COUNT(*) FROM feed_signals WHERE case_id IS NOT NULL"),
            count("SELECT version FROM cases WHERE household_code = '" + monitored_code + "'") -
                monitored_version);
        if (!refused) {
          EXPECT_EQ(of_period(n, "feed_runs WHERE status = 'done'"), 1);
          EXPECT_EQ(count("SELECT COUNT(*) FROM feed_bad_rows b JOIN feed_runs r ON r.id ="
                          " b.run_id WHERE r.status = 'done' AND r.period = '" +
                          period_of(n) + "'"),
                    1);
          EXPECT_EQ(of_period(n, "alerts WHERE feed = 'civil_affairs'"), 2);
          EXPECT_EQ(of_period(n, "feed_signals WHERE case_id IS NOT NULL"), 1);
          EXPECT_EQ(of_period(n, "feed_signals WHERE feed = 'civil_affairs'"), 3);
        }
      },
      [&](long n) { run(n); });
}

#if defined(FANGFAN_FAULT_TEST_SQLITE)
// -- gateways: every answer class at every step of a send (the channels are the same on both
// backends, so only the SQLite binary runs these).

using testing::FakeAnswer;
using Outcome = DeliveryResult::Outcome;

struct AnswerClass {
  FakeAnswer answer;
  const char* name;
  Outcome outcome;
  // A dropped kept-alive connection: curl sends again once on a fresh one, which the fake then
  // answers with success.
  bool or_sent = false;
};
// What each class of answer, at any step, makes of the whole send.
const AnswerClass kAnswerClasses[] = {
    {FakeAnswer::kSuccess, "success", Outcome::kSent},
    {FakeAnswer::kServerError, "HTTP 502", Outcome::kRetry},
    {FakeAnswer::kTooManyRequests, "HTTP 429", Outcome::kRetry},
    {FakeAnswer::kRateLimit, "the provider's rate limit", Outcome::kRateLimited},
    {FakeAnswer::kPermanent, "a permanent refusal", Outcome::kPermanent},
    {FakeAnswer::kDelay, "no answer before the timeout", Outcome::kRetry},
    {FakeAnswer::kDrop, "connection dropped", Outcome::kRetry, true},
    {FakeAnswer::kMalformed, "a body that is not JSON", Outcome::kRetry},
};

struct SendStep {
  std::string channel;   // the channel's name
  std::string provider;  // the fake's name for the step
};
// The steps of a file message: WeChat Work application (token, upload, send) and group robot
// (upload, send).
const SendStep kSteps[] = {
    {"wechat_app", "wechat_app_token"}, {"wechat_app", "wechat_app_upload"},
    {"wechat_app", "wechat_app"},       {"wechat_robot", "wechat_robot_upload"},
    {"wechat_robot", "wechat_robot"},
};

class GatewayFaults : public FaultInjection {
 protected:
  void SetUp() override {
    FaultInjection::SetUp();
    fake_.set_delay(3000ms);  // beyond the channels' timeout below
    bytes_ = "PK\x03\x04 名单 " + std::string(2048, 'x');
    file_ = dir_.path() / "县民政局-2026-12-01.xlsx";
    std::ofstream(file_, std::ios::binary) << bytes_;
  }

  std::shared_ptr<Channel> channel(const std::string& name, const std::string& base_url) {
    const auto& s = fake_.secrets();
    if (name == "wechat_app") {
      WechatAppConfig app;
      app.base_url = base_url;
      app.corp_id = s.corp_id;
      app.corp_secret = s.corp_secret;
      app.agent_id = s.agent_id;
      return std::make_shared<WechatAppChannel>(app, http_, wall_, 1500ms);
    }
    WechatRobotConfig robot;
    robot.base_url = base_url;
    robot.groups = {{"民政局群", "", s.robot_keys[1], {}}};
    return std::make_shared<WechatRobotChannel>(robot, http_, wall_, 1500ms);
  }

  // A department list with its file, queued for `channel`; its id.
  std::int64_t enqueue_list(const std::string& channel, int n) {
    NewOutboxMessage m;
    m.dedupe_key = "gateway-fault:" + std::to_string(n);
    m.channel = channel;
    m.recipient = channel == "wechat_app" ? "wx_clerk_civil" : "民政局群";
    m.message_type = "department_list";
    m.body = json_body({{"list", "civil"},
                        {"department", "civil_affairs"},
                        {"department_name", "县民政局"},
                        {"period", "2026-12-01"},
                        {"attachment_path", file_.string()},
                        {"attachment_name", file_.filename().string()},
                        {"attachment_sha256", sha256_digest_hex(bytes_)},
                        {"attachment_size", std::to_string(bytes_.size())}});
    m.created_at = clock_.now();
    m.next_attempt_at = clock_.now();
    return enqueue_outbox(*check_, m).id;
  }

  // One pass with `channel` over the one message `id`; its row afterwards: status, attempts,
  // last error.
  std::tuple<std::string, int, std::string> deliver(std::shared_ptr<Channel> channel,
                                                    std::int64_t id) {
    OutboxDispatcher dispatcher(io_.get_executor(), *storage_, clock_, config_);
    dispatcher.add_channel(std::move(channel));
    await(dispatcher.dispatch_due());
    std::string status, error;
    int attempts = 0;
    *check_ << "SELECT status, attempts, last_error FROM outbox WHERE id = :id",
        soci::use(static_cast<long long>(id)), soci::into(status), soci::into(attempts),
        soci::into(error);
    return {status, attempts, error};
  }

  // The message's row says `outcome`; nothing was dropped.
  void expect_row(std::int64_t id, const std::tuple<std::string, int, std::string>& row,
                  Outcome outcome) {
    const auto& [status, attempts, error] = row;
    switch (outcome) {
      case Outcome::kSent:
        EXPECT_EQ(status, "sent");
        break;
      case Outcome::kRetry:  // again after a backoff, one attempt used
        EXPECT_EQ(status, "pending");
        EXPECT_EQ(attempts, 1);
        EXPECT_FALSE(error.empty());
        break;
      case Outcome::kRateLimited:  // again later, the attempt given back
        EXPECT_EQ(status, "pending");
        EXPECT_EQ(attempts, 0);
        EXPECT_FALSE(error.empty());
        break;
      case Outcome::kPermanent:  // failed for good, and the county admins are told
        EXPECT_THAT(status, ::testing::AnyOf("failed", "dead"));
        EXPECT_FALSE(error.empty());
        EXPECT_GT(count("SELECT COUNT(*) FROM outbox WHERE message_type = 'dead_letter' AND"
                        " dedupe_key LIKE '%" +
                        std::to_string(id) + "%'"),
                  0);
        break;
    }
    // The message is never left between states.
    EXPECT_NE(status, "sending");
  }

  testing::FakeProviders fake_;
  HttpClient http_;
  SystemClock wall_;  // token lifetimes and signatures are real time
  SimulatedClock clock_{at("2025-03-03T09:00")};
  std::string bytes_;
  std::filesystem::path file_;
};

TEST_F(GatewayFaults, EveryAnswerClassAtEveryStepIsRetriedOrDeadLetteredNeverDropped) {
  int n = 0;
  for (const auto& step : kSteps) {
    for (const auto& c : kAnswerClasses) {
      SCOPED_TRACE(step.provider + " answers " + c.name);
      fake_.script(step.provider, c.answer);
      const std::size_t sends_before = fake_.accepted(step.channel).size();
      const std::int64_t id = enqueue_list(step.channel, ++n);
      const auto row = deliver(channel(step.channel, fake_.base_url()), id);
      expect_row(id, row, c.or_sent && std::get<0>(row) == "sent" ? Outcome::kSent : c.outcome);
      // A step that failed ends the send: the message itself was not sent (except an answer
      // that came too late, which the next attempt repeats: at least once).
      if (std::get<0>(row) != "sent" && c.answer != FakeAnswer::kDelay) {
        EXPECT_EQ(fake_.accepted(step.channel).size(), sends_before);
      }
      ++faults_injected()["gateway " + step.provider];
    }
  }
  // Connection refused at the first step: nothing listens on the port.
  for (const std::string name : {"wechat_app", "wechat_robot"}) {
    SCOPED_TRACE(name + " refused");
    const std::int64_t id = enqueue_list(name, ++n);
    expect_row(id, deliver(channel(name, "http://127.0.0.1:1"), id), Outcome::kRetry);
  }
  // Every send recorded as sent reached the fake; beyond them only the answers that came too
  // late (the send step's timeout, one per channel), which the next attempt repeats.
  const long long sent = count("SELECT COUNT(*) FROM outbox WHERE status = 'sent'");
  const auto accepted = static_cast<long long>(fake_.accepted("wechat_app").size() +
                                               fake_.accepted("wechat_robot").size());
  EXPECT_GE(accepted, sent);
  EXPECT_LE(accepted, sent + 2);
}
#endif

}  // namespace
}  // namespace fangfan

// One line for the report: faults injected per operation on this backend.
class FaultTotals : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& [op, n] : fangfan::faults_injected()) {
      std::cout << "faults injected: " << op << " " << n << "\n";
    }
  }
};
const auto* const kFaultTotals = ::testing::AddGlobalTestEnvironment(new FaultTotals);
