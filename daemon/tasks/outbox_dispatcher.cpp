#include "daemon/tasks/outbox_dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <random>
#include <set>
#include <utility>

#include "adapters/channels/attachment.h"
#include "adapters/storage/database.h"
#include "daemon/tasks/outbox_messages.h"
#include "workflows/date.h"
#include "workflows/delivery_decisions.h"
#include "workflows/message_templates.h"

namespace fangfan {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds kMaxSleep{60};
constexpr std::chrono::seconds kStorageRetry{5};

std::shared_ptr<const Config> defaults(int max_attempts) {
  auto c = std::make_shared<Config>();
  c->delivery.max_attempts = max_attempts;
  return c;
}

// A claimed message handed back unsent: pending again at `until`, its attempt given back.
OutboxAnswer unsent(std::int64_t id, TimePoint until, std::string reason) {
  OutboxAnswer a;
  a.id = id;
  a.at = until;
  a.count_attempt = false;
  a.hold_reason = std::move(reason);
  return a;
}

// Runs `release` when it goes out of scope, unless it was emptied.
struct ProbeRelease {
  std::function<void()> release;
  ProbeRelease() = default;
  ProbeRelease(const ProbeRelease&) = delete;
  ProbeRelease& operator=(const ProbeRelease&) = delete;
  ~ProbeRelease() {
    if (release) release();
  }
};

}  // namespace

OutboxDispatcher::OutboxDispatcher(asio::any_io_executor loop, StorageExecutor& storage,
                                   const Clock& clock, std::shared_ptr<const Config> config,
                                   Random random)
    : loop_(loop),
      storage_(storage),
      clock_(clock),
      config_(std::move(config)),
      random_(std::move(random)),
      timer_(loop),
      slot_timer_(loop),
      feed_timer_(loop) {
  if (!random_) {
    auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); };
  }
}

OutboxDispatcher::OutboxDispatcher(asio::any_io_executor loop, StorageExecutor& storage,
                                   const Clock& clock, int max_attempts)
    : OutboxDispatcher(loop, storage, clock, defaults(max_attempts)) {}

void OutboxDispatcher::set_config(std::shared_ptr<const Config> config) {
  config_ = std::move(config);
  breakers_.clear();  // a new breaker policy starts from closed
}

void OutboxDispatcher::add_channel(std::shared_ptr<Channel> channel) {
  channels_[channel->name()] = std::move(channel);
}

std::optional<OutboxLease> OutboxDispatcher::lease() const {
  if (holder_.empty()) return std::nullopt;
  return OutboxLease{holder_, clock_.now() + lease_};
}

CircuitBreaker& OutboxDispatcher::breaker(const std::string& channel) {
  auto it = breakers_.find(channel);
  if (it == breakers_.end()) {
    it = breakers_.emplace(channel, CircuitBreaker(config_->delivery.breaker)).first;
  }
  return it->second;
}

std::string OutboxDispatcher::render(const OutboxRecord& m,
                                     std::map<std::string, std::string>* params_out) const {
  auto params = body_params(m.body);
  if (!params) return m.body;  // plain text (rows written before templates)
  std::string text = render_message(m.message_type, *params, config_->templates);
  if (params_out) *params_out = std::move(*params);
  return text;
}

std::optional<OutboxDispatcher::Deferral> OutboxDispatcher::gate(const OutboxRecord& m,
                                                                 TimePoint now) {
  const bool known = channels_.count(m.channel) > 0;
  CircuitBreaker* b = known ? &breaker(m.channel) : nullptr;
  if (b) {
    const bool half_open = b->state(now) == CircuitBreaker::State::kHalfOpen;
    if (auto until = b->admit(now)) {
      return Deferral{m.id, *until, breaker_hold_reason(m.channel, *until)};
    }
    if (half_open) probes_.insert(m.id);
  }
  const int limit = config_->delivery.per_minute_for(m.channel);
  // The provider's limit is per destination: a robot group shared by several people counts once.
  const std::string destination =
      known ? channels_.at(m.channel)->pacing_key(m.recipient) : m.recipient;
  if (auto until = pacer_.reserve(m.channel, destination, limit, now)) {
    if (b && probes_.erase(m.id) > 0) b->release_probe();
    return Deferral{m.id, *until, pacing_hold_reason(limit, *until)};
  }
  return std::nullopt;
}

bool OutboxDispatcher::at_unrecorded_bound() const {
  const int concurrency = std::max(1, config_->delivery.concurrency);
  return unrecorded() >= std::size_t(unrecorded_bound(concurrency));
}

bool OutboxDispatcher::room_for_delivery() const {
  return in_flight_ < std::max(1, config_->delivery.concurrency) && !at_unrecorded_bound();
}

void OutboxDispatcher::release_slot() {
  --in_flight_;
  slot_timer_.cancel();
}

asio::awaitable<void> OutboxDispatcher::dispatch_due() {
  // On shutdown (cancellation) no new delivery starts, but those in flight are awaited and
  // recorded: a message is never left "sending" by a clean stop.
  co_await asio::this_coro::throw_if_cancelled(false);
  auto stopping = [](asio::cancellation_state cs) {
    return cs.cancelled() != asio::cancellation_type::none;
  };
  // What a pass ended by a storage error could not record comes first: until then its messages
  // are "sending", and the claims it gave back would miss this pass's look at what is due.
  co_await flush();
  in_pass_ = true;
  struct PassEnd {
    bool& in_pass;
    ~PassEnd() { in_pass = false; }
  } pass_end{in_pass_};
  // The feeder claims ahead (outbox_dispatcher_feed.cpp); this loop hands what it claimed to
  // the channels as room frees.
  auto feed = std::make_shared<Feed>();
  {
    auto feeder = feed_pass(feed);
    asio::co_spawn(loop_, std::move(feeder), asio::detached);
  }
  const char* give_back_reason = "服务停止，重新排队 (daemon stopping)";
  std::exception_ptr failed;  // a background write of answers failed
  for (;;) {
    while (feed->ready.empty() && !feed->done) co_await wait_a_moment();
    if (feed->ready.empty()) break;  // nothing more is due (or the feeder failed)
    // A free place for this delivery, waited for here and not in a coroutine of its own (a
    // frame per message); a write of answers that failed meanwhile ends the wait.
    while (!flush_error_ && !room_for_delivery()) {
      // At the bound only a write makes room: write what waits now, however little.
      if (at_unrecorded_bound()) start_flush(true);
      co_await wait_a_moment();
    }
    if (flush_error_) {
      // A write of answers failed: the pass ends (run() pauses); the claimed messages not
      // started go back to pending with the next pass's flush instead of staying "sending"
      // until a restart.
      failed = std::exchange(flush_error_, nullptr);
      give_back_reason = "存储出错，重新排队 (storage error)";
      break;
    }
    if (stopping(co_await asio::this_coro::cancellation_state)) break;
    OutboxRecord m = std::move(feed->ready.front());
    feed->ready.pop_front();
    feed_timer_.cancel();  // the feeder may read again
    ++in_flight_;
    // The breaker is checked again at the moment of sending: the messages of a batch taken
    // while the channel worked must not all run into it once it is known to be down.
    // Half-open by now: the message may go only as the one probe.
    if (channels_.count(m.channel) && !probes_.count(m.id)) {
      const TimePoint at = clock_.now();
      CircuitBreaker& b = breaker(m.channel);
      if (b.state(at) != CircuitBreaker::State::kClosed) {
        if (const auto until = b.admit(at)) {
          release_slot();
          answers_.push_back(unsent(m.id, *until, breaker_hold_reason(m.channel, *until)));
          ++stats_.deferred;
          continue;
        }
        probes_.insert(m.id);
      }
    }
    asio::co_spawn(loop_, send_one(std::move(m)), [this](std::exception_ptr e) {
      release_slot();
      start_flush(false);
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("outbox.send_error error=\"{}\"", ex.what());
        }
      }
    });
  }
  // The feeder ends before the pass does (it works on `feed` and this dispatcher); what it
  // claimed and no channel got goes back as it was.
  feed->stop = true;
  feed_timer_.cancel();
  while (!feed->done) co_await wait_a_moment();
  for (const auto& m : feed->ready) give_back(m, give_back_reason);
  feed->ready.clear();
  if (failed) std::rethrow_exception(failed);
  if (feed->error) std::rethrow_exception(feed->error);
  while (in_flight_ > 0 || writing_) co_await wait_a_moment();
  co_await flush();
  pacer_.forget_before(clock_.now());
}

asio::awaitable<void> OutboxDispatcher::finish_failed(const OutboxRecord& m,
                                                      const DeliveryDecision& d,
                                                      const DeliveryAnswer& answer,
                                                      std::shared_ptr<const Config> config,
                                                      const Person* person) {
  using Outcome = DeliveryDecision::Outcome;
  const TimePoint now = clock_.now();
  const bool moved = d.outcome == Outcome::kFallBack && person;
  const OutboxStatus status =
      d.outcome == Outcome::kDead ? OutboxStatus::kDead : OutboxStatus::kFailed;
  std::vector<NewOutboxMessage> follow_ups;
  if (moved) {
    follow_ups.push_back(channel_copy(*person, m, d.next_channel, now));
  } else if (d.tell_admins) {
    follow_ups = dead_letters(*config, m, d.error, now);
  }
  auto fail = [&](soci::session& s) {
    return fail_outbox(s, m.id, status, d.error, answer.provider_code, follow_ups, moved);
  };
  const FailResult r = co_await storage_.run(fail);
  if (!r.changed) co_return;
  if (status == OutboxStatus::kDead) {
    ++stats_.dead;
  } else {
    ++stats_.failed;
  }
  if (moved) {
    ++stats_.fallbacks;
    spdlog::warn("outbox.fallback id={} channel={} next_channel={} next_id={} error=\"{}\"", m.id,
                 m.channel, follow_ups.front().channel, r.follow_ups.front().id, d.error);
  } else {
    stats_.dead_letters += std::count_if(r.follow_ups.begin(), r.follow_ups.end(),
                                         [](const EnqueueResult& e) { return e.inserted; });
    spdlog::error("outbox.{} id={} channel={} recipient={} attempts={} error=\"{}\"",
                  outbox_status_name(status), m.id, m.channel, mask_recipient(m.recipient),
                  m.attempts, d.error);
  }
  if (!r.follow_ups.empty()) wake();
}

std::optional<OutgoingMessage> OutboxDispatcher::outgoing(const OutboxRecord& m) const {
  std::map<std::string, std::string> params;
  std::string text = render(m, &params);
  if (contains_unmasked_identifiers(text)) return std::nullopt;
  OutgoingMessage out{m.id, m.recipient, m.message_type, std::move(text), std::move(params)};
  // A department list's file, by path and hash: the channel checks it before sending.
  out.attachment = attachment_from_params(out.params);
  return out;
}

asio::awaitable<void> OutboxDispatcher::send_one(OutboxRecord m) {
  using Outcome = DeliveryDecision::Outcome;
  const std::int64_t id = m.id;
  const bool probe = probes_.erase(id) > 0;
  // A probe that leaves without the channel's verdict (an exception) frees the probe, or the
  // channel would stay held for good.
  ProbeRelease unanswered;
  if (probe) {
    unanswered.release = [this, channel = m.channel] {
      if (auto b = breakers_.find(channel); b != breakers_.end()) b->second.release_probe();
    };
  }
  // The channel's answer, or why `m` never reached one (no such channel, unmasked text). In
  // this frame: a coroutine of its own for it was one more frame per message.
  DeliveryAnswer answer{.kind = DeliveryAnswer::Kind::kNoChannel};
  std::shared_ptr<Channel> channel;  // kept alive across the await
  if (auto it = channels_.find(m.channel); it != channels_.end()) channel = it->second;
  std::optional<OutgoingMessage> out;
  if (channel) {
    out = outgoing(m);
    if (!out) answer.kind = DeliveryAnswer::Kind::kBlocked;
  }
  if (out) {
    const DeliveryResult r = co_await channel->deliver(std::move(*out));
    answer = to_answer(r);
  }
  unanswered.release = nullptr;  // the decision settles the breaker

  // Load what the decision needs, decide, apply.
  const std::shared_ptr<const Config> config = config_;
  const Person* person = person_for(*config, m);
  DeliveryAttempt attempt;
  attempt.channel = m.channel;
  attempt.message_type = m.message_type;
  attempt.attempts = m.attempts;
  attempt.created_at = m.created_at;
  attempt.probe = probe;
  if (person) attempt.person_channels = person->channels;
  const bool known = channels_.count(m.channel) > 0;  // only a running channel has a breaker
  const TimePoint now = clock_.now();
  const DeliveryDecision d = decide_delivery(
      config->delivery, attempt, answer,
      known ? breaker(m.channel) : CircuitBreaker(config->delivery.breaker), now, random_());
  if (known) apply_breaker_effect(breaker(m.channel), d.breaker, now);

  const auto in_seconds = std::chrono::duration_cast<std::chrono::seconds>(d.at - now).count();
  switch (d.outcome) {
    case Outcome::kSent:
      ++stats_.sent;
      // The recipient is masked only for a line that is written (one per message).
      if (spdlog::should_log(spdlog::level::info)) {
        spdlog::info("outbox.sent id={} channel={} type={} recipient={} provider_id={}", id,
                     m.channel, m.message_type, mask_recipient(m.recipient),
                     answer.provider_message_id);
      }
      answers_.push_back({id, true, std::move(answer.provider_message_id),
                          std::move(answer.provider_code), "", d.at, true});
      break;
    case Outcome::kRateLimited:
      answers_.push_back({id, false, "", answer.provider_code, d.error, d.at, false});
      ++stats_.rate_limited;
      spdlog::warn("outbox.rate_limited id={} channel={} in_seconds={} error=\"{}\"", id, m.channel,
                   in_seconds, answer.error);
      break;
    case Outcome::kProbeFailed:
      answers_.push_back({id, false, "", answer.provider_code, d.error, d.at, false});
      ++stats_.retried;
      spdlog::warn("outbox.probe_failed id={} channel={} until={} error=\"{}\"", id, m.channel,
                   format_time(d.at), answer.error);
      break;
    case Outcome::kRetry:
      answers_.push_back({id, false, "", answer.provider_code, d.error, d.at, true});
      ++stats_.retried;
      spdlog::warn("outbox.retry id={} channel={} attempts={} in_seconds={} error=\"{}\"", id,
                   m.channel, m.attempts, in_seconds, answer.error);
      break;
    case Outcome::kFallBack:
    case Outcome::kFailed:
    case Outcome::kDead:
      co_await finish_failed(m, d, answer, config, person);
      break;
  }
}

asio::awaitable<void> OutboxDispatcher::run() {
  // The recovery takes its turn like a pass: a pass already running (an advance) has claimed
  // messages that are "sending" because they are being sent now, not because a process died;
  // put back to pending, they would go out twice.
  try {
    co_await passes_.lock();
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) co_return;  // cancelled waiting for a turn
    throw;
  }
  // Sharing the database: only this daemon's previous life's sends and abandoned ones (lease
  // run out); a neighbour's live sends stay theirs.
  auto recover = [now = clock_.now(), holder = holder_](soci::session& s) {
    return holder.empty() ? recover_stuck_sending(s, now)
                          : recover_abandoned_sending(s, now, holder);
  };
  int recovered = 0;
  try {
    recovered = co_await storage_.run(std::move(recover));
  } catch (...) {
    passes_.unlock();
    throw;
  }
  passes_.unlock();
  if (recovered > 0) spdlog::warn("outbox.recovered_sending count={}", recovered);

  auto cancelled = [](asio::cancellation_state cs) {
    return cs.cancelled() != asio::cancellation_type::none;
  };
  for (;;) {
    woken_ = false;
    auto sleep = kMaxSleep;
    try {
      co_await passes_.lock();
      try {
        if (!holder_.empty()) {
          // A neighbour that died and was not restarted: its sends come back once its lease
          // ran out (within the bound of one crash, like a restart's recovery).
          auto take_back = [now = clock_.now()](soci::session& s) {
            return recover_abandoned_sending(s, now, "");
          };
          if (const int taken = co_await storage_.run(std::move(take_back)); taken > 0) {
            spdlog::warn("outbox.abandoned_taken_back count={}", taken);
          }
        }
        co_await dispatch_due();
      } catch (...) {
        passes_.unlock();
        throw;
      }
      passes_.unlock();
      if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
      auto read_next = [](soci::session& s) { return next_outbox_attempt(s); };
      auto next = co_await storage_.run(read_next);
      if (next) {
        sleep = std::clamp(std::chrono::duration_cast<std::chrono::seconds>(*next - clock_.now()),
                           std::chrono::seconds{0}, kMaxSleep);
      }
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) co_return;  // cancelled waiting for a turn
      throw;
    } catch (const StorageError& e) {
      // The messages stay where they are (pending, or sending until the next start recovers
      // them); try again after a pause.
      spdlog::error("outbox.storage_error error=\"{}\" retry_in_seconds={}", e.what(),
                    kStorageRetry.count());
      sleep = kStorageRetry;
    }
    // A cancellation that came during storage work (which it does not interrupt) is seen here,
    // before a wait that it would no longer reach.
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    if (woken_) continue;
    timer_.expires_after(sleep);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));  // woken or timed out
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
  }
}

}  // namespace fangfan
