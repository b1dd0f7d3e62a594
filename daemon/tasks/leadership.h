// Several daemons on one PostgreSQL (issue 15): who leads the county-wide work, and how a daemon
// names itself.
//
// Every daemon fires due timers (due_timers() takes them FOR UPDATE SKIP LOCKED inside the firing
// transaction), sends outbox messages (claims under this daemon's lease, outbox_store.h) and
// serves the API for any county data. The work that must not run on two daemons at once, the
// seeding of recurring timers, the department feed pulls and the production of department lists
// and monthly reports, runs only on the LEADER: the daemon that holds a session-level advisory
// lock (kLeaderLockKey) on a connection of its own. When the leader dies its connection closes,
// PostgreSQL releases the lock, and another daemon, which tries every `retry`, takes over. A
// leader whose connection fails its check (every `check`) can no longer be sure it still leads:
// run() returns and the daemon stops with exit status 1 (systemd starts it again, as a follower
// until it wins the lock). Between the loss and the check, at most `check`, two daemons may both
// believe they lead; the work they lead is idempotent by dedupe keys and duty state.
//
// SQLite: one daemon per file. hold_sqlite_daemon_lock() refuses a second daemon on the same file
// at start; the one daemon always leads.
//
// Thread-safety: a Leadership lives on the loop thread; its session is used only on its own
// thread. leading() may be read from any thread.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/storage/database.h"

namespace fangfan {

// The advisory lock key of the leader (the migrations use 4242710001 for their own).
inline constexpr long long kLeaderLockKey = 4242710002;

// How this daemon names itself in outbox leases: "<host name>:<[api] listen>" when the listen
// address has a fixed port (two live daemons cannot listen on the same host and port, and a
// restarted daemon is recognised as its own previous life); else "<host name>:pid<N>:<start>",
// unique but never recognised again (its sends come back when their lease runs out).
std::string daemon_identity(std::string_view api_listen);

class Leadership {
 public:
  Leadership(std::shared_ptr<Database> db, std::string identity,
             std::chrono::milliseconds retry = std::chrono::seconds(2),
             std::chrono::milliseconds check = std::chrono::seconds(2));
  ~Leadership();  // closes the session (releasing the lock)
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;

  bool leading() const { return leading_.load(); }

  // Waits until this daemon leads (SQLite: at once), calls `gained` on the loop, then watches
  // the lock's connection and returns when it is lost (SQLite: never returns). Cancellable while
  // it waits; a lock won by then is released with the session.
  boost::asio::awaitable<void> run(std::function<void()> gained);

 private:
  bool try_lock();    // on pool_: true when this session holds the lock
  bool still_held();  // on pool_: the session answers and holds the lock

  std::shared_ptr<Database> db_;
  std::string identity_;
  std::chrono::milliseconds retry_, check_;
  std::atomic<bool> leading_{false};
  std::unique_ptr<soci::session> session_;  // used on pool_ only
  boost::asio::thread_pool pool_{1};
};

// SQLite: takes an exclusive lock (flock) on "<database file>.daemon-lock", kept for the life of
// the process (the kernel releases it when the process dies, also by SIGKILL). Returns the
// sentence to log when another process holds it (a second daemon on the same file), else
// nullopt. Does nothing for a PostgreSQL URL.
std::optional<std::string> hold_sqlite_daemon_lock(const Database& db, std::string_view url);

}  // namespace fangfan
