// Runs blocking SOCI work off the event loop. Each pool thread owns one SOCI
// session (sessions are not shared between threads), opened on first use and
// closed when the pool joins. One more thread, with its own session, runs the
// work given to run_writing (the API's group commit), always on that thread;
// `on_writer_session`, when given, is run on each session that thread opens
// (the daemon widens its page cache: case_store.h widen_case_writer_cache).
//
//   int n = co_await storage.run([](soci::session& s) { ...; return 42; });
//
// The coroutine resumes on its own executor (the loop thread) when the work is
// done; an exception thrown by the work is rethrown there. A StorageError of
// kind kUnavailable (connection lost) also discards that thread's session, so
// the next call reconnects. The work itself is
// never interrupted: a transaction that started finishes, which is what a
// graceful shutdown relies on.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <type_traits>
#include <unordered_map>

#include "adapters/storage/database.h"

namespace fangfan {

class StorageExecutor {
 public:
  using SessionSetup = std::function<void(soci::session&)>;
  StorageExecutor(std::shared_ptr<Database> db, unsigned threads,
                  SessionSetup on_writer_session = {});
  ~StorageExecutor();

  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, soci::session&>> run(F work) {
    return run_on(pool_, std::move(work), false);
  }

  // The same on the executor's one writing thread, always the same thread and so the same
  // session (the API's group commit runs there). On SQLite a connection drops its whole page
  // cache when it finds that another connection committed; with every group on the pool's
  // threads in turn, each group began by reading back from the file what the other thread's
  // session had written. On the one thread the cache stays valid from group to group.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, soci::session&>> run_writing(F work) {
    return run_on(writer_, std::move(work), true);
  }

  // Waits for queued work to finish and closes every session.
  void join();

 private:
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&, soci::session&>> run_on(
      boost::asio::thread_pool& threads, F work, bool writing) {
    using R = std::invoke_result_t<F&, soci::session&>;
    return boost::asio::co_spawn(
        threads,
        [this, work = std::move(work), writing]() mutable -> boost::asio::awaitable<R> {
          try {
            if constexpr (std::is_void_v<R>) {
              work(session(writing));
              co_return;
            } else {
              co_return work(session(writing));
            }
          } catch (const StorageError& e) {
            // A lost connection: the next work on this thread opens a new session.
            if (e.kind() == StorageError::Kind::kUnavailable) drop_session();
            throw;
          }
        },
        // An empty slot: the awaiting coroutine's cancellation (shutdown) does
        // not reach the pool; the work runs to its end and the result returns.
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                            boost::asio::use_awaitable));
  }

  soci::session& session(bool writing);
  void drop_session();
  static std::unordered_map<const Database*, std::unique_ptr<soci::session>>& sessions();

  std::shared_ptr<Database> db_;
  SessionSetup on_writer_session_;
  boost::asio::thread_pool pool_;
  boost::asio::thread_pool writer_{1};
};

}  // namespace fangfan
