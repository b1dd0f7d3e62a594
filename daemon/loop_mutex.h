// A mutex for coroutines on one event loop: lock() suspends until the holder unlocks, waiters
// are served in arrival order. The scheduler uses it so that run()'s firing and advance_to()
// take turns; the outbox dispatcher so that its own loop and the scheduler's advance never run
// a delivery pass at the same time.
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
        std::erase(waiters_, waiter);
        throw boost::system::system_error(asio::error::operation_aborted);
      }
    }
    busy_ = true;
  }

  void unlock() {
    busy_ = false;
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.pop_front();
    }
  }

  bool locked() const { return busy_; }

 private:
  bool busy_ = false;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

}  // namespace fangfan
