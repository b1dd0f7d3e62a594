// The group commit of case writes (daemon/tasks/write_group.h) on SQLite and on PostgreSQL (one
// binary per backend): writes that arrive together share one transaction, each in its own
// savepoint; a refused or failing write is rolled back alone and answered alone; every answer
// comes after the commit that holds it; a failed commit is every write's error.
//
// The writes here are plain rows in a table of the test's own (the group does not care what a
// write does); the API's case writes through it are covered by the api_* tests.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include "daemon/tasks/write_group.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "daemon/tasks/storage_executor.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using test::PgTestServer;

enum class Backend { kSqlite, kPostgresql };

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-write-group-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// What one write does inside the group.
enum class Kind {
  kGood,       // inserts its row, kept
  kRefused,    // inserts its row, then answers "refused": rolled back alone
  kThrows,     // inserts its row, then throws: rolled back alone, its own error
  kDuplicate,  // inserts the row of the first good write again: the database refuses it
  kReadsBack,  // reads the first good write's row (uncommitted, same group), kept
};

struct Write {
  std::string key;
  Kind kind = Kind::kGood;
};

// What a caller saw when its answer came.
struct Answer {
  std::string result;           // "written", "refused", "saw 1" or "error: ..."
  bool committed_then = false;  // its row was visible to another connection at that moment
};

class WriteGroupTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = fresh_temp_dir();
      url_ = "sqlite3://" + (dir_ / "fangfan.db").string();
    } else {
      const PgTestServer& pg = test::pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url_ = scratch_->url();
    }
    // The seam on the group's sessions: while fail_commit_ is set, every COMMIT is refused by
    // the database; with fail_at_ = N the N-th statement since (ROLLBACK apart) is refused.
    DatabaseOptions options;
    options.session_setup = [seam = seam_](soci::session& s) {
      s.set_query_transformation([seam](const std::string& query) -> std::string {
        if (query == "ROLLBACK") return query;
        const long n = ++seam->seen;
        if ((query == "COMMIT" && seam->fail_commit) || n == seam->fail_at) {
          return "fangfan_injected_fault " + query;
        }
        return query;
      });
    };
    db_ = std::make_shared<Database>(Database::open(url_, options));
    plain_.emplace(Database::open(url_));  // the observer's, without the seam
    observer_ = plain_->open_session();
    *observer_ << "CREATE TABLE notes (k VARCHAR(40) PRIMARY KEY, v INTEGER NOT NULL)";
    storage_.emplace(db_, 2, widen_case_writer_cache);  // as the daemon (service.cpp)
    group_.emplace(io_.get_executor(), *storage_);
  }

  void TearDown() override {
    group_.reset();
    if (storage_) storage_->join();
    storage_.reset();
    observer_.reset();
    plain_.reset();
    db_.reset();
    scratch_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  bool row_exists(const std::string& key) {
    int n = 0;
    *observer_ << "SELECT COUNT(*) FROM notes WHERE k = :k", soci::use(key), soci::into(n);
    return n == 1;
  }

  // One write through the group; its answer recorded with what another connection saw then.
  asio::awaitable<void> submit(Write w, std::string first, Answer& answer) {
    auto work = [w, first](soci::session& s) -> std::string {
      if (w.kind == Kind::kReadsBack) {
        int v = 0;
        s << "SELECT v FROM notes WHERE k = :k", soci::use(first), soci::into(v);
        return "saw " + std::to_string(v);
      }
      const std::string key = w.kind == Kind::kDuplicate ? first : w.key;
      guarded("insert", [&] { s << "INSERT INTO notes (k, v) VALUES (:k, 1)", soci::use(key); });
      if (w.kind == Kind::kRefused) return "refused";
      if (w.kind == Kind::kThrows) throw std::runtime_error("boom");
      return "written";
    };
    auto keep = [](const std::string& r) { return r != "refused"; };
    try {
      answer.result = co_await group_->run(std::move(work), keep);
    } catch (const std::exception& e) {
      answer.result = std::string("error: ") + e.what();
    }
    answer.committed_then = row_exists(w.key);
  }

  // Spawns every write before the loop runs, so they queue together, then runs the loop.
  std::vector<Answer> run_writes(const std::vector<Write>& writes) {
    std::vector<Answer> answers(writes.size());
    for (std::size_t i = 0; i < writes.size(); ++i) {
      asio::co_spawn(io_, submit(writes[i], writes.front().key, answers[i]), asio::detached);
    }
    io_.restart();
    io_.run();
    return answers;
  }

  fs::path dir_;
  std::string url_;
  std::optional<test::ScratchPgDatabase> scratch_;
  struct Seam {
    std::atomic<bool> fail_commit{false};
    std::atomic<long> fail_at{0};
    std::atomic<long> seen{0};
  };
  std::shared_ptr<Seam> seam_ = std::make_shared<Seam>();
  std::shared_ptr<Database> db_;
  std::optional<Database> plain_;
  std::unique_ptr<soci::session> observer_;
  asio::io_context io_;
  std::optional<StorageExecutor> storage_;
  std::optional<WriteGroup> group_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

TEST_P(WriteGroupTest, EachWriteIsAnsweredAloneAfterTheOneCommitOfItsGroup) {
  struct Row {
    Write write;
    std::string answer;  // exact, or the start of an error
    bool stays;          // its row is in the table at its answer and at the end
  };
  const std::vector<Row> rows = {
      {{"a", Kind::kGood}, "written", true},
      {{"b", Kind::kRefused}, "refused", false},
      {{"c", Kind::kThrows}, "error: boom", false},
      {{"d", Kind::kGood}, "written", true},
      {{"e", Kind::kDuplicate}, "error: insert", false},  // the database refused it alone
      {{"f", Kind::kReadsBack}, "saw 1", false},          // sees "a", uncommitted, of its own group
      {{"g", Kind::kGood}, "written", true},
  };
  std::vector<Write> writes;
  for (const Row& r : rows) writes.push_back(r.write);
  const std::vector<Answer> answers = run_writes(writes);

  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].write.key);
    EXPECT_TRUE(starts_with(answers[i].result, rows[i].answer)) << answers[i].result;
    // An answer is never ahead of its commit: a kept write is visible when it is answered.
    EXPECT_EQ(answers[i].committed_then, rows[i].stays);
    EXPECT_EQ(row_exists(rows[i].write.key), rows[i].stays);
  }
  EXPECT_EQ(group_->stats().groups, 1);  // one transaction, one commit for all seven
  EXPECT_EQ(group_->stats().largest, static_cast<std::int64_t>(rows.size()));
  EXPECT_EQ(group_->stats().failed, 0);
}

TEST_P(WriteGroupTest, AFailedCommitIsEveryWritesError) {
  seam_->fail_commit = true;
  const std::vector<Write> writes = {
      {"a", Kind::kGood}, {"b", Kind::kRefused}, {"c", Kind::kThrows}, {"d", Kind::kGood}};
  const std::vector<Answer> answers = run_writes(writes);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    SCOPED_TRACE(writes[i].key);
    // None is reported written, and none reports its own outcome as if the group had stood.
    EXPECT_TRUE(starts_with(answers[i].result, "error: 提交事务失败")) << answers[i].result;
    EXPECT_FALSE(answers[i].committed_then);
    EXPECT_FALSE(row_exists(writes[i].key));
  }
  EXPECT_EQ(group_->stats().failed, 1);

  // The session is usable again: the next group commits.
  seam_->fail_commit = false;
  const std::vector<Answer> again = run_writes({{"x", Kind::kGood}});
  EXPECT_EQ(again[0].result, "written");
  EXPECT_TRUE(again[0].committed_then);
}

// Statement N of a group fails, for N = 1, 2, ... until a group runs clean: whatever failed (a
// write alone, or the whole group), every answer tells the truth about the database.
TEST_P(WriteGroupTest, AFaultAtAnyStatementLeavesEveryAnswerTrue) {
  long n = 1;
  for (; n < 60; ++n) {
    SCOPED_TRACE("statement " + std::to_string(n) + " fails");
    const std::string tag = std::to_string(n);
    const std::vector<Write> writes = {
        {"a" + tag, Kind::kGood}, {"b" + tag, Kind::kRefused}, {"c" + tag, Kind::kGood}};
    seam_->seen = 0;
    seam_->fail_at = n;
    const std::vector<Answer> answers = run_writes(writes);
    const bool fired = seam_->seen >= n;
    seam_->fail_at = 0;
    for (std::size_t i = 0; i < writes.size(); ++i) {
      SCOPED_TRACE(writes[i].key);
      const bool written = answers[i].result == "written";
      EXPECT_EQ(answers[i].committed_then, written) << answers[i].result;
      EXPECT_EQ(row_exists(writes[i].key), written);
      if (!fired) {
        EXPECT_EQ(answers[i].result, i == 1 ? "refused" : "written");
      }
    }
    if (!fired || ::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(n, 5);  // BEGIN, savepoints, inserts, releases, rollback, COMMIT were each failed
  EXPECT_LT(n, 60) << "never ran clean";
}

TEST_P(WriteGroupTest, GroupsHoldAtMostTheirLimitInArrivalOrder) {
  struct Row {
    int max_group;
    int writes;
    std::int64_t groups;
  };
  const std::vector<Row> rows = {{1, 3, 3}, {2, 5, 3}, {8, 5, 1}};
  std::int64_t groups_before = 0;
  int n = 0;
  for (const Row& r : rows) {
    SCOPED_TRACE(r.max_group);
    group_->set_max_group(r.max_group);
    std::vector<Write> writes;
    for (int i = 0; i < r.writes; ++i) writes.push_back({"k" + std::to_string(++n), Kind::kGood});
    const std::vector<Answer> answers = run_writes(writes);
    for (const Answer& a : answers) {
      EXPECT_EQ(a.result, "written");
      EXPECT_TRUE(a.committed_then);
    }
    EXPECT_EQ(group_->stats().groups - groups_before, r.groups);
    groups_before = group_->stats().groups;
  }
}

// The after-commit call (the daemon's scheduler and dispatcher wake) comes once per group that
// kept a write, after its commit and before any of its callers is answered; never for a group
// that kept nothing or whose commit failed.
TEST_P(WriteGroupTest, AfterCommitIsCalledOncePerGroupThatKeptAWrite) {
  struct Row {
    const char* name;
    std::vector<Kind> kinds;
    bool fail_commit;
    int calls;
  };
  const std::vector<Row> rows = {
      {"three kept", {Kind::kGood, Kind::kGood, Kind::kGood}, false, 1},
      {"one kept among refusals", {Kind::kRefused, Kind::kGood, Kind::kThrows}, false, 1},
      {"nothing kept", {Kind::kRefused, Kind::kThrows}, false, 0},
      {"the commit failed", {Kind::kGood, Kind::kGood}, true, 0},
  };
  int calls = 0;
  int answered_before_call = 0;
  int answered = 0;
  group_->set_after_commit([&] {
    ++calls;
    answered_before_call += answered;
  });
  int n = 0;
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    calls = 0;
    answered = 0;
    answered_before_call = 0;
    seam_->fail_commit = r.fail_commit;
    std::vector<Write> writes;
    for (Kind k : r.kinds) writes.push_back({"w" + std::to_string(++n), k});
    std::vector<Answer> answers(writes.size());
    for (std::size_t i = 0; i < writes.size(); ++i) {
      auto one = [this, &writes, &answers, &answered, i]() -> asio::awaitable<void> {
        co_await submit(writes[i], writes.front().key, answers[i]);
        ++answered;
      };
      asio::co_spawn(io_, one, asio::detached);
    }
    io_.restart();
    io_.run();
    seam_->fail_commit = false;
    EXPECT_EQ(calls, r.calls);
    EXPECT_EQ(answered, static_cast<int>(writes.size()));
    EXPECT_EQ(answered_before_call, 0);  // the wake came before every answer
  }
}

// Every group on the executor's one writing thread and so on one session, whose page cache
// (widened on SQLite) another session's commit then never drops.
TEST_P(WriteGroupTest, EveryGroupRunsOnTheOneWritingThreadWithItsWidenedCache) {
  std::set<std::thread::id> threads;
  std::set<std::string> names;  // the pool's threads have none of their own
  std::set<int> cache_sizes;
  const bool sqlite = GetParam() == Backend::kSqlite;
  auto groups = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 20; ++i) {
      auto work = [&](soci::session& s) {
        threads.insert(std::this_thread::get_id());
        char name[16] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        names.insert(name);
        int pages = 0;
        if (sqlite) s << "PRAGMA cache_size", soci::into(pages);
        cache_sizes.insert(pages);
        return i;
      };
      auto keep = [](const int&) { return true; };
      co_await group_->run(std::move(work), keep);
    }
  };
  asio::co_spawn(io_, groups, asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(names, std::set<std::string>{"storage-writer"});
  if (sqlite) {
    EXPECT_EQ(cache_sizes, std::set<int>{-kCaseWriterCacheMiB * 1024});
  }
}

// The executor's writer-session setup (the daemon's wide cache) runs on each session the writing
// thread opens, there only, and again on the new session after a lost connection dropped one.
TEST_P(WriteGroupTest, WriterSessionSetupRunsOnEachNewWriterSessionOnly) {
  std::vector<std::pair<const soci::session*, std::string>> setups;  // session, thread name
  StorageExecutor storage(db_, 2, [&](soci::session& s) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    setups.emplace_back(&s, name);
  });
  std::vector<const soci::session*> writer_sessions;
  auto calls = [&]() -> asio::awaitable<void> {
    auto on_writer = [&](soci::session& s) { writer_sessions.push_back(&s); };
    auto on_pool = [](soci::session& s) { s << "SELECT 1"; };
    auto lost = [](soci::session&) {
      throw StorageError(StorageError::Kind::kUnavailable, "the link went away (test)");
    };
    co_await storage.run_writing(on_writer);
    co_await storage.run(on_pool);
    co_await storage.run_writing(on_writer);  // the same session: no second setup
    try {
      co_await storage.run_writing(lost);
    } catch (const StorageError&) {
    }
    co_await storage.run_writing(on_writer);  // a new session, set up again
  };
  asio::co_spawn(io_, calls, asio::detached);
  io_.restart();
  io_.run();
  storage.join();
  ASSERT_EQ(writer_sessions.size(), 3u);
  EXPECT_EQ(writer_sessions[0], writer_sessions[1]);
  ASSERT_EQ(setups.size(), 2u);
  EXPECT_EQ(setups[0].first, writer_sessions[0]);
  EXPECT_EQ(setups[1].first, writer_sessions[2]);
  for (const auto& [session, thread] : setups) EXPECT_EQ(thread, "storage-writer");
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if FANGFAN_WRITE_GROUP_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, WriteGroupTest, ::testing::Values(Backend::kSqlite),
                         backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, WriteGroupTest, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

}  // namespace
}  // namespace fangfan
