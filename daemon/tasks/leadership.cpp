#include "daemon/tasks/leadership.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <random>

#include "adapters/storage/daemon_lock.h"
#include "adapters/storage/leader_lock.h"

namespace fangfan {

namespace asio = boost::asio;

std::string daemon_identity(std::string_view api_listen) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
  const std::size_t colon = api_listen.rfind(':');
  const std::string_view port =
      colon == std::string_view::npos ? std::string_view() : api_listen.substr(colon + 1);
  if (!port.empty() && port != "0") return std::string(host) + ":" + std::string(api_listen);
  // Unique for this life only (a pid is reused after a restart): a random tag beside it.
  std::random_device random;
  return std::string(host) + ":pid" + std::to_string(getpid()) + ":" + std::to_string(random());
}

Leadership::Leadership(std::shared_ptr<Database> db, std::string identity,
                       std::chrono::milliseconds retry, std::chrono::milliseconds check)
    : db_(std::move(db)), identity_(std::move(identity)), retry_(retry), check_(check) {}

Leadership::~Leadership() {
  pool_.join();
  session_.reset();  // closing the connection releases the lock
}

bool Leadership::try_lock() {
  try {
    if (!session_) session_ = db_->open_session();
    return try_leader_lock(*session_, kLeaderLockKey);
  } catch (const std::exception& e) {
    // Unreachable now: a follower tries again at the next turn with a new connection.
    spdlog::warn("leader.try_failed error=\"{}\"", e.what());
    session_.reset();
    return false;
  }
}

bool Leadership::still_held() {
  try {
    return holds_leader_lock(*session_, kLeaderLockKey);
  } catch (const std::exception& e) {
    spdlog::error("leader.check_failed error=\"{}\"", e.what());
    return false;
  }
}

asio::awaitable<void> Leadership::run(std::function<void()> gained) {
  auto loop = co_await asio::this_coro::executor;
  if (db_->dialect() == Dialect::kSqlite) {
    leading_ = true;
    spdlog::info("leader.gained holder={} (sqlite: the only daemon)", identity_);
    gained();
    asio::steady_timer forever(loop, asio::steady_timer::time_point::max());
    co_await forever.async_wait(asio::use_awaitable);
    co_return;
  }
  asio::steady_timer timer(loop);
  for (bool first = true;; first = false) {
    auto attempt = [this]() -> asio::awaitable<bool> { co_return try_lock(); };
    const bool won = co_await asio::co_spawn(pool_, attempt, asio::use_awaitable);
    if (won) break;
    if (first) spdlog::info("leader.follower holder={} (another daemon leads)", identity_);
    timer.expires_after(retry_);
    co_await timer.async_wait(asio::use_awaitable);
  }
  leading_ = true;
  spdlog::info("leader.gained holder={}", identity_);
  gained();
  for (;;) {
    timer.expires_after(check_);
    co_await timer.async_wait(asio::use_awaitable);
    auto check = [this]() -> asio::awaitable<bool> { co_return still_held(); };
    const bool held = co_await asio::co_spawn(pool_, check, asio::use_awaitable);
    if (!held) break;
  }
  leading_ = false;
  spdlog::critical("leader.lost holder={} (the lock's connection failed)", identity_);
}

std::optional<std::string> hold_sqlite_daemon_lock(const Database& db, std::string_view url) {
  if (db.dialect() != Dialect::kSqlite) return std::nullopt;
  constexpr std::string_view kScheme = "sqlite3://";
  SqliteDaemonLock lock(std::string(url.substr(kScheme.size())));
  if (lock.held_elsewhere()) {
    return "另一个 fangfand 已在使用数据库 " + db.display_url() +
           "；SQLite 只允许一个守护进程，多个守护进程请用 PostgreSQL (another fangfand already "
           "uses " +
           db.display_url() +
           "; SQLite allows one daemon per file, run several daemons on PostgreSQL) (lock file " +
           lock.path() + ")";
  }
  if (!lock.taken()) return lock.error();
  lock.keep_for_process();  // the lock is the open descriptor
  return std::nullopt;
}

}  // namespace fangfan
