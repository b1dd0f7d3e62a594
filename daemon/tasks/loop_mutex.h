// A mutex for coroutines on one event loop: lock() suspends until the holder unlocks; waiters
// are woken in arrival order (a new lock() may still take it before the woken one resumes). The
// scheduler uses it so that run()'s firing and advance_to() take turns; the outbox dispatcher so
// that its own loop and the scheduler's advance never run a delivery pass at the same time.
//
// Thread-safety: every call on the loop the coroutines run on. lock() throws
// boost::system::system_error(operation_aborted) when the waiting coroutine is cancelled.
#pragma once

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>

namespace fangfan {

class LoopMutex {
 public:
  boost::asio::awaitable<void> lock() {
    namespace asio = boost::asio;
    while (busy_) {
      auto waiter = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                         asio::steady_timer::time_point::max());
      waiters_.push_back(waiter);
      co_await waiter->async_wait(asio::as_tuple(asio::use_awaitable));
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none) {
        if (std::erase(waiters_, waiter) == 0 && !busy_) {
          // unlock() had already chosen this waiter: pass the turn on, or it is lost.
          wake_next();
        }
        throw boost::system::system_error(asio::error::operation_aborted);
      }
    }
    busy_ = true;
  }

  void unlock() {
    busy_ = false;
    wake_next();
  }

  bool locked() const { return busy_; }

 private:
  void wake_next() {
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.pop_front();
    }
  }

  bool busy_ = false;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace fangfan
