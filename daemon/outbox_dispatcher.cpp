#include "daemon/outbox_dispatcher.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include "adapters/storage/database.h"
#include "adapters/storage/outbox_store.h"

namespace fangfan {

namespace asio = boost::asio;

namespace {
constexpr int kBatch = 50;
constexpr std::chrono::seconds kMaxSleep{60};
constexpr std::chrono::seconds kStorageRetry{5};
}  // namespace

std::chrono::seconds retry_delay(int attempts) {
  const int shift = std::clamp(attempts - 1, 0, 7);
  return std::min(std::chrono::seconds(30) * (1 << shift), std::chrono::seconds(3600));
}

OutboxDispatcher::OutboxDispatcher(asio::any_io_executor loop, StorageExecutor& storage,
                                   const Clock& clock, int max_attempts)
    : storage_(storage), clock_(clock), max_attempts_(max_attempts), timer_(loop) {}

void OutboxDispatcher::add_channel(std::shared_ptr<Channel> channel) {
  channels_[channel->name()] = std::move(channel);
}

asio::awaitable<bool> OutboxDispatcher::send_one(std::int64_t id) {
  // Claim, deliver and record on a pool thread: the loop never waits on I/O.
  co_return co_await storage_.run([this, id](soci::session& s) {
    if (!claim_outbox(s, id)) return false;  // someone else took it
    auto m = load_outbox(s, id);
    if (!m) return false;
    auto it = channels_.find(m->channel);
    if (it == channels_.end()) {
      const std::string why = "channel '" + m->channel + "' is not configured in this daemon";
      mark_outbox_failed(s, id, OutboxStatus::kFailed, why);
      spdlog::error("outbox.failed id={} channel={} error=\"{}\"", id, m->channel, why);
      return true;
    }
    auto r = it->second->deliver({m->id, m->recipient, m->message_type, m->body});
    switch (r.outcome) {
      case DeliveryResult::Outcome::kSent:
        mark_outbox_sent(s, id, r.provider_message_id, clock_.now());
        spdlog::info("outbox.sent id={} channel={} type={} provider_id={}", id, m->channel,
                     m->message_type, r.provider_message_id);
        break;
      case DeliveryResult::Outcome::kPermanent:
        mark_outbox_failed(s, id, OutboxStatus::kFailed, r.error);
        spdlog::error("outbox.failed id={} channel={} error=\"{}\"", id, m->channel, r.error);
        break;
      case DeliveryResult::Outcome::kRetry:
        if (m->attempts >= max_attempts_) {
          mark_outbox_failed(s, id, OutboxStatus::kDead, r.error);
          spdlog::error("outbox.dead id={} channel={} attempts={} error=\"{}\"", id, m->channel,
                        m->attempts, r.error);
        } else {
          auto delay =
              std::max(retry_delay(m->attempts), r.retry_after.value_or(std::chrono::seconds{0}));
          mark_outbox_retry(s, id, r.error, clock_.now() + delay);
          spdlog::warn("outbox.retry id={} channel={} attempts={} in_seconds={} error=\"{}\"", id,
                       m->channel, m->attempts, delay.count(), r.error);
        }
        break;
    }
    return true;
  });
}

asio::awaitable<void> OutboxDispatcher::run() {
  const int recovered = co_await storage_.run(
      [this](soci::session& s) { return recover_stuck_sending(s, clock_.now()); });
  if (recovered > 0) spdlog::warn("outbox.recovered_sending count={}", recovered);

  auto cancelled = [](asio::cancellation_state cs) {
    return cs.cancelled() != asio::cancellation_type::none;
  };
  for (;;) {
    woken_ = false;
    auto sleep = kMaxSleep;
    try {
      auto batch = co_await storage_.run(
          [this](soci::session& s) { return due_outbox(s, clock_.now(), kBatch); });
      for (const auto& m : batch) co_await send_one(m.id);
      if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
      if (batch.size() == size_t(kBatch)) {
        // More are due: let the rest of the loop run first, then go on.
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        continue;
      }
      auto next = co_await storage_.run([](soci::session& s) { return next_outbox_attempt(s); });
      if (next) {
        sleep = std::clamp(std::chrono::duration_cast<std::chrono::seconds>(*next - clock_.now()),
                           std::chrono::seconds{0}, kMaxSleep);
      }
    } catch (const StorageError& e) {
      // The messages stay where they are (pending, or sending until the next
      // start recovers them); try again after a pause.
      spdlog::error("outbox.storage_error error=\"{}\" retry_in_seconds={}", e.what(),
                    kStorageRetry.count());
      sleep = kStorageRetry;
    }
    if (woken_) continue;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // woken or timed out
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

}  // namespace fangfan
