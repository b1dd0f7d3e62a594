// Sends due outbox messages through their channels, on the event loop, without
// ever blocking it: database work and channel calls run on the StorageExecutor.
//
// At start, messages left "sending" by a process that died mid-send go back to
// pending (they may be delivered twice; the outbox id travels with them as the
// provider's idempotency key). Then: take due messages in batches, claim each
// (pending → sending), deliver, record the answer; sleep until the next message
// falls due, at most a minute, or until wake() says something new is queued.
//
// Failure policy: a temporary failure is retried with capped exponential
// backoff (30 s doubling to 1 h; the channel's Retry-After wins when longer);
// a permanent refusal fails the message at once; after max_attempts the
// message is dead-lettered. Failed and dead messages stay visible and
// retryable by an operator. Nothing is ever deleted. A storage failure (a
// locked or unreachable database) is logged and retried after a pause; it
// never stops the daemon.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>

#include "adapters/channels/channel.h"
#include "daemon/storage_executor.h"
#include "workflows/clock.h"

namespace fangfan {

class OutboxDispatcher {
 public:
  OutboxDispatcher(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                   int max_attempts = 8);

  // Channels by name; the dispatcher does not own them. A message for a
  // channel that is not registered fails permanently with that reason.
  void add_channel(std::shared_ptr<Channel> channel);

  // Runs until cancelled (terminal cancellation on shutdown).
  boost::asio::awaitable<void> run();

  // Something was enqueued: look again now instead of at the next due time.
  void wake() {
    woken_ = true;
    timer_.cancel();
  }

 private:
  boost::asio::awaitable<bool> send_one(std::int64_t id);

  StorageExecutor& storage_;
  const Clock& clock_;
  int max_attempts_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
  boost::asio::steady_timer timer_;
  bool woken_ = false;  // a wake() that came while not sleeping is not lost
};

// Backoff after `attempts` failed attempts: 30 s · 2^(attempts-1), at most 1 h.
std::chrono::seconds retry_delay(int attempts);

}  // namespace fangfan
