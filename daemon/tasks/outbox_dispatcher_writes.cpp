// The outbox dispatcher's writes of answers (outbox_dispatcher.h, "Database work is batched"):
// in groups in the background during a pass, one write of this dispatcher at a time, and all
// that waits at a pass's start and end. Kept apart from the delivery pass for the file's size.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <functional>
#include <utility>
#include <vector>

#include "adapters/storage/outbox_store.h"
#include "daemon/tasks/outbox_dispatcher.h"

namespace fangfan {

namespace asio = boost::asio;

// Not a coroutine itself: the timer's own awaitable, so a wait costs no frame of ours (the
// dispatch loop waits for a free place about once per message at full width).
asio::awaitable<std::tuple<boost::system::error_code>> OutboxDispatcher::wait_a_moment(
    asio::steady_timer& timer) {
  timer.expires_at(asio::steady_timer::time_point::max());
  return timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> OutboxDispatcher::write_turn(asio::steady_timer& timer) {
  while (writing_) co_await wait_a_moment(timer);
  writing_ = true;
}

void OutboxDispatcher::end_write() {
  writing_ = false;
  nudge();
}

void OutboxDispatcher::start_flush(bool force) {
  if (!in_pass_ || writing_ || answers_.empty()) return;
  const int concurrency = std::max(1, config_->delivery.concurrency);
  if (!force && answers_.size() < std::size_t(answers_per_commit(concurrency))) return;
  writing_ = true;
  asio::co_spawn(loop_, flush_in_background(), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("outbox.flush_error error=\"{}\"", ex.what());
      }
    }
  });
}

asio::awaitable<void> OutboxDispatcher::flush_in_background() {
  const std::exception_ptr failed = co_await write_waiting_answers();
  // The pass sees the error before its next delivery.
  if (failed) flush_error_ = failed;
  end_write();
  if (!failed) start_flush(false);
}

asio::awaitable<std::exception_ptr> OutboxDispatcher::write_waiting_answers() {
  std::vector<OutboxAnswer> batch = take_answers();
  std::exception_ptr failed;
  auto record = record_answers(batch);
  try {
    co_await storage_.run(std::move(record));
    ++stats_.answer_writes;
    stats_.answers_written += static_cast<long long>(batch.size());
  } catch (...) {
    failed = std::current_exception();
  }
  end_answer_write(batch, failed != nullptr);
  co_return failed;
}

std::vector<OutboxAnswer> OutboxDispatcher::take_answers() {
  std::vector<OutboxAnswer> taken;
  taken.swap(answers_);
  flushing_ = taken.size();
  return taken;
}

void OutboxDispatcher::end_answer_write(std::vector<OutboxAnswer>& taken, bool rolled_back) {
  flushing_ = 0;
  // Rolled back: the answers wait for the next write, or their messages would stay "sending"
  // until a restart and then go out again.
  if (rolled_back) {
    answers_.insert(answers_.begin(), std::make_move_iterator(taken.begin()),
                    std::make_move_iterator(taken.end()));
  }
}

std::function<void(soci::session&)> OutboxDispatcher::record_answers(
    const std::vector<OutboxAnswer>& batch) const {
  // A daemon sharing its database renews its leases with every flush: its claims are never
  // taken for abandoned while it still works on them.
  return [&batch, lease = lease()](soci::session& s) {
    record_outbox_answers(s, batch);
    if (lease) renew_outbox_leases(s, *lease);
  };
}

asio::awaitable<void> OutboxDispatcher::flush() {
  co_await write_turn();
  flush_error_ = nullptr;  // what it left waits in answers_: written now or thrown again
  std::exception_ptr failed;
  while (!answers_.empty() && !failed) failed = co_await write_waiting_answers();
  end_write();
  if (failed) std::rethrow_exception(failed);
}

}  // namespace fangfan
