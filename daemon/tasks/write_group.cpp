// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "daemon/tasks/write_group.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "adapters/storage/database.h"

namespace fangfan {

namespace asio = boost::asio;

WriteGroup::Item::Item(asio::any_io_executor loop) : signal(std::move(loop)) {
  signal.expires_at(asio::steady_timer::time_point::max());
}

WriteGroup::WriteGroup(asio::any_io_executor loop, StorageExecutor& storage, int max_group)
    : loop_(std::move(loop)), storage_(storage), max_group_(std::max(1, max_group)) {}

void WriteGroup::submit(std::shared_ptr<Item> item) {
  queue_.push_back(std::move(item));
  if (draining_) return;  // the running drain takes it into its next group
  draining_ = true;
  // Posted, not started inline: the writes already ready to run on the loop join this group.
  asio::post(loop_, [this] { asio::co_spawn(loop_, drain(), asio::detached); });
}

asio::awaitable<void> WriteGroup::wait(Item& item) {
  // An empty cancellation slot: the caller's cancellation does not cut the wait short, the
  // answer always comes after the commit that holds (or refused) the write.
  while (!item.done) {
    co_await item.signal.async_wait(asio::bind_cancellation_slot(
        asio::cancellation_slot(), asio::as_tuple(asio::use_awaitable)));
  }
}

asio::awaitable<void> WriteGroup::drain() {
  while (!queue_.empty()) {
    // Shared with the storage thread: the group outlives this frame if the loop stops early.
    auto group = std::make_shared<Group>();
    while (!queue_.empty() && static_cast<int>(group->size()) < max_group_) {
      group->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    auto commit = [group](soci::session& s) { write(s, *group); };
    std::exception_ptr failed;
    try {
      co_await storage_.run_writing(std::move(commit));
    } catch (const std::exception& e) {
      failed = std::current_exception();
      spdlog::error("case_write.group_failed writes={} error=\"{}\"", group->size(), e.what());
    } catch (...) {
      failed = std::current_exception();
      spdlog::error("case_write.group_failed writes={}", group->size());
    }
    ++stats_.groups;
    stats_.writes += static_cast<std::int64_t>(group->size());
    stats_.largest = std::max<std::int64_t>(stats_.largest, group->size());
    if (failed) ++stats_.failed;
    const bool wrote = !failed && std::any_of(group->begin(), group->end(),
                                              [](const auto& item) { return item->kept; });
    if (wrote && after_commit_) after_commit_();
    for (const auto& item : *group) {
      if (failed) item->error = failed;  // nothing of the group was written
      item->done = true;
      item->signal.cancel();
    }
  }
  draining_ = false;
}

void WriteGroup::write(soci::session& session, const Group& group) {
  WriteTransaction tx(session);
  for (const auto& item : group) {
    Savepoint one(session, "case_write");
    bool keep = false;
    try {
      keep = item->run(session);
    } catch (...) {
      // Undo this write only; it gets its own error. A transaction that cannot go back to the
      // savepoint is broken: the whole group fails with that error.
      item->error = std::current_exception();
      if (!one.rollback()) throw;
      continue;
    }
    if (keep) {
      one.release();
      item->kept = true;
    } else if (!one.rollback()) {
      throw StorageError(StorageError::Kind::kUnavailable,
                         "撤销被拒绝的修改失败，本组修改未保存 (rolling back a refused write "
                         "failed; nothing of its group was saved)");
    }
  }
  tx.commit();
}

}  // namespace fangfan
