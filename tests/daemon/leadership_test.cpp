// daemon/tasks/leadership.h: how a daemon names itself, one leader at a time on PostgreSQL (the
// next takes over when the leader's connection closes), one daemon per SQLite file.
#include "daemon/tasks/leadership.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <thread>

#include "tests/daemon/api_test_server.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

TEST(Leadership, IdentityIsStableOnlyForAFixedListenPort) {
  struct Case {
    const char* listen;
    bool stable;  // the same text at the next start
  };
  const Case cases[] = {
      {"127.0.0.1:8470", true},
      {"0.0.0.0:9000", true},
      {"[::1]:8471", true},
      {"127.0.0.1:0", false},
      {"", false},
  };
  for (const Case& c : cases) {
    const std::string a = daemon_identity(c.listen);
    std::this_thread::sleep_for(2ms);
    const std::string b = daemon_identity(c.listen);
    EXPECT_EQ(a.rfind(host() + ":", 0), 0u) << a;
    if (c.stable) {
      EXPECT_EQ(a, host() + ":" + c.listen);
      EXPECT_EQ(a, b);
    } else {
      EXPECT_NE(a.find(":pid" + std::to_string(getpid()) + ":"), std::string::npos) << a;
      EXPECT_NE(a, b) << c.listen;
    }
  }
}

TEST(Leadership, SecondDaemonOnOneSqliteFileIsRefused) {
  test::TempDir dir;
  const std::string url = "sqlite3://" + (dir.path() / "fangfan.db").string();
  Database db = Database::open(url);
  EXPECT_EQ(hold_sqlite_daemon_lock(db, url), std::nullopt);
  // A second holder (another open of the lock file, as another process would make) is refused.
  const auto refused = hold_sqlite_daemon_lock(db, url);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("another fangfand already uses"), std::string::npos) << *refused;
  // Another file is free.
  const std::string other = "sqlite3://" + (dir.path() / "other.db").string();
  EXPECT_EQ(hold_sqlite_daemon_lock(Database::open(other), other), std::nullopt);
}

// Runs `leader.run` on `io` and reports whether it gained within the time the loop runs.
void start(asio::io_context& io, Leadership& leader, bool& gained, bool& lost) {
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await leader.run([&] { gained = true; });
        lost = true;
      },
      asio::detached);
}

TEST(Leadership, OneLeaderAtATimeOnPostgresqlAndTheNextTakesOver) {
  const test::PgTestServer& pg = test::pg_test_server();
  if (pg.status == test::PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
  ASSERT_EQ(pg.status, test::PgTestServer::Status::kReady) << pg.reason;
  test::ScratchPgDatabase scratch(pg);
  auto db = std::make_shared<Database>(Database::open(scratch.url()));
  asio::io_context io;
  Leadership first(db, "host:a", 50ms, 50ms);
  Leadership second(db, "host:b", 50ms, 50ms);
  bool first_gained = false, first_lost = false, second_gained = false, second_lost = false;
  start(io, first, first_gained, first_lost);
  io.run_for(500ms);
  start(io, second, second_gained, second_lost);
  io.run_for(500ms);
  EXPECT_TRUE(first_gained);
  EXPECT_TRUE(first.leading());
  EXPECT_FALSE(second_gained) << "two leaders at once";
  EXPECT_FALSE(second.leading());

  // The leader's connection closes (its process died, or the server dropped it): it notices
  // at its next check and stops leading, and the other takes over.
  {
    auto s = db->open_session();
    // Only this test's database: other tests' daemons on the shared server hold the same key.
    *s << "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
          " AND pid <> pg_backend_pid()"
          " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
  }
  io.run_for(1500ms);
  EXPECT_TRUE(first_lost);
  EXPECT_FALSE(first.leading());
  EXPECT_TRUE(second_gained);
  EXPECT_TRUE(second.leading());
  EXPECT_FALSE(second_lost);
  io.stop();
}

}  // namespace
}  // namespace fangfan
