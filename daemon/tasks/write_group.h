// Group commit of case writes (issue 15, item 2): concurrent writes queue here and are committed
// together, one transaction (on SQLite with synchronous=FULL, one fsync) for the whole group.
//
//   auto work = [cases, id, event](soci::session& s) { return cases.apply_in(s, id, event); };
//   auto keep = [](const ApplyResult& r) { return std::holds_alternative<CaseChange>(r); };
//   ApplyResult r = co_await group.run(std::move(work), std::move(keep));
//
// Each write runs in its own Savepoint inside the group's one WriteTransaction, in the order the
// writes arrived; a later write sees the earlier ones of its group, as if each had committed
// alone. `keep(result)` decides what stays: false (a refusal, a stale version) rolls the write
// back to its savepoint, and so does a throw; the rest of the group goes on. Then ONE commit.
// Every caller is resumed only after that commit ended: with its own result (kept or not) or its
// own exception when the commit succeeded; with the commit's error when it failed (or when the
// transaction could not begin, or broke on the way), so no write is ever reported written that
// was not. The work must not begin or commit a transaction itself (CaseUnitOfWork::apply_in,
// open_case_in).
//
// Grouping is natural, never by waiting: the first write starts a commit at once; writes that
// arrive meanwhile queue and form the next group (at most `max_group` writes) as soon as it
// ends. One group is written at a time, so the case writer stays one writer, and a lone write
// pays no extra latency.
//
// Thread-safety: run() is called on the loop thread (`loop`); the work runs on the
// StorageExecutor's writing thread (run_writing) with that thread's session, every group on the
// same one, so that its page cache (widened by the daemon: StorageExecutor's on_writer_session)
// stays valid from group to group.
// `storage` must outlive the group, and run()'s callers must be done before it is destroyed (the
// daemon destroys it after its io_context stopped running). A caller's cancellation (shutdown) does
// not interrupt its write: like StorageExecutor::run, the answer comes after the commit.
#pragma once

#include <soci/soci.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "daemon/tasks/storage_executor.h"

namespace fangfan {

class WriteGroup {
 public:
  static constexpr int kDefaultMaxGroup = 256;

  // What the group did so far (loop thread): for logs, metrics and tests.
  struct Stats {
    std::int64_t groups = 0;   // commits attempted
    std::int64_t writes = 0;   // writes run in them
    std::int64_t largest = 0;  // the most writes in one group
    std::int64_t failed = 0;   // groups whose transaction failed (every write got the error)
  };

  WriteGroup(boost::asio::any_io_executor loop, StorageExecutor& storage,
             int max_group = kDefaultMaxGroup);
  WriteGroup(const WriteGroup&) = delete;
  WriteGroup& operator=(const WriteGroup&) = delete;

  // Runs `work(session)` in the next group (see the top of this file) and returns its result
  // once the group committed. Throws what the work threw (its writes rolled back alone), or the
  // group's StorageError when the transaction failed. REQUIRES: the loop thread; the result type
  // is not void.
  template <class F, class Keep>
  boost::asio::awaitable<std::invoke_result_t<F&, soci::session&>> run(F work, Keep keep) {
    using R = std::invoke_result_t<F&, soci::session&>;
    auto item = std::make_shared<Typed<R, F, Keep>>(loop_, std::move(work), std::move(keep));
    submit(item);
    co_await wait(*item);
    if (item->error) std::rethrow_exception(item->error);
    co_return std::move(*item->result);
  }

  const Stats& stats() const { return stats_; }
  // Called on the loop thread once per group whose commit kept at least one write, after the
  // commit and before any of its callers resumes: one wake of the scheduler and the dispatcher
  // per group instead of one per write. May be empty. REQUIRES: the loop thread.
  void set_after_commit(std::function<void()> after_commit) {
    after_commit_ = std::move(after_commit);
  }
  // At most `n` writes per group from the next group on; 1 commits each write alone (benches
  // compare with it). REQUIRES: the loop thread.
  void set_max_group(int n) { max_group_ = n < 1 ? 1 : n; }

 private:
  // One queued write. run() is called on a storage thread; the rest on the loop thread.
  struct Item {
    explicit Item(boost::asio::any_io_executor loop);
    virtual ~Item() = default;
    virtual bool run(soci::session& session) = 0;  // true: keep its writes
    std::exception_ptr error;
    bool kept = false;  // its writes stayed in the group's transaction (set on the storage thread)
    bool done = false;
    boost::asio::steady_timer signal;  // cancelled when done
  };
  template <class R, class F, class Keep>
  struct Typed final : Item {
    Typed(boost::asio::any_io_executor loop, F w, Keep k)
        : Item(std::move(loop)), work(std::move(w)), keep(std::move(k)) {}
    bool run(soci::session& session) override {
      result.emplace(work(session));
      return keep(static_cast<const R&>(*result));
    }
    F work;
    Keep keep;
    std::optional<R> result;
  };
  using Group = std::vector<std::shared_ptr<Item>>;

  void submit(std::shared_ptr<Item> item);
  static boost::asio::awaitable<void> wait(Item& item);
  boost::asio::awaitable<void> drain();
  // On a storage thread: the group's transaction, each item in its savepoint, one commit.
  static void write(soci::session& session, const Group& group);

  boost::asio::any_io_executor loop_;
  StorageExecutor& storage_;
  int max_group_;
  std::deque<std::shared_ptr<Item>> queue_;
  bool draining_ = false;
  Stats stats_;
  std::function<void()> after_commit_;
};

}  // namespace fangfan
