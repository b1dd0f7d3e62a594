#include "daemon/tasks/outbox_dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <random>
#include <set>

#include "adapters/storage/database.h"
#include "workflows/date.h"
#include "workflows/message_templates.h"

namespace fangfan {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kMaxSleep{60};
constexpr std::chrono::seconds kStorageRetry{5};
constexpr std::chrono::seconds kRateLimitWait{60};  // when the provider did not say how long
constexpr int kDigestLookup = 200;                  // pending messages read per recipient

std::shared_ptr<const Config> defaults(int max_attempts) {
  auto c = std::make_shared<Config>();
  c->delivery.max_attempts = max_attempts;
  return c;
}

// "HH:MM" China time of `t`, for the reasons operators read.
std::string china_hhmm(TimePoint t) { return format_time(t).substr(11, 5); }
std::string china_day_hhmm(TimePoint t) {
  const std::string s = format_time(t);
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

// Params of a body that is a JSON object; nullopt for a plain-text body.
std::optional<std::map<std::string, std::string>> body_params(const std::string& body) {
  if (body.empty() || body.front() != '{') return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  std::map<std::string, std::string> params;
  for (const auto& [k, val] : v.get_object()) {
    params[std::string(k)] = val.is_string() ? std::string(val.get_string()) : json::serialize(val);
  }
  return params;
}

std::string json_body(const std::map<std::string, std::string>& params) {
  json::object o;
  for (const auto& [k, v] : params) o[k] = v;
  return json::serialize(o);
}

// The configured person an outbox row is addressed to: someone with the row's channel and
// address, preferring the one its dedupe key names ("...:<name>@<scope>").
const Person* person_for(const Config& c, const OutboxRecord& m) {
  const Person* any = nullptr;
  for (const auto& p : c.people) {
    if (std::find(p.channels.begin(), p.channels.end(), m.channel) == p.channels.end()) continue;
    if (address_for(p, m.channel) != m.recipient) continue;
    if (m.dedupe_key.find(":" + p.name + "@" + p.scope) != std::string::npos) return &p;
    if (!any) any = &p;
  }
  return any;
}

// The same message on the person's next channel, or nullopt when there is none.
std::optional<NewOutboxMessage> next_channel_copy(const Config& c, const OutboxRecord& m,
                                                  TimePoint now) {
  const Person* p = person_for(c, m);
  if (!p) return std::nullopt;
  auto it = std::find(p->channels.begin(), p->channels.end(), m.channel);
  if (it == p->channels.end() || ++it == p->channels.end()) return std::nullopt;
  NewOutboxMessage next;
  next.dedupe_key = m.dedupe_key + ">" + *it;
  next.case_id = m.case_id;
  next.channel = *it;
  next.recipient = address_for(*p, *it);
  next.message_type = m.message_type;
  next.body = m.body;
  next.created_at = now;
  next.next_attempt_at = now;
  return next;
}

// One notice per county admin that `m` will not arrive.
std::vector<NewOutboxMessage> dead_letters(const Config& c, const OutboxRecord& m,
                                           const std::string& error, TimePoint now) {
  std::vector<NewOutboxMessage> out;
  if (m.message_type == "dead_letter") return out;  // never a notice about a notice
  const std::string body = json_body({{"outbox_id", std::to_string(m.id)},
                                      {"channel", m.channel},
                                      {"recipient_masked", mask_recipient(m.recipient)},
                                      {"message_type", m.message_type},
                                      {"error", error}});
  for (const auto& p : c.people) {
    if (p.role != Role::kCountyAdmin || p.channels.empty()) continue;
    NewOutboxMessage n;
    n.dedupe_key = "dead_letter:" + std::to_string(m.id) + ":" + p.name + "@" + p.scope;
    n.channel = p.channels.front();
    n.recipient = address_for(p, n.channel);
    n.message_type = "dead_letter";
    n.body = body;
    n.created_at = now;
    n.next_attempt_at = now;
    out.push_back(std::move(n));
  }
  return out;
}

std::string held_reason(const std::string& channel, TimePoint until) {
  return "渠道 " + channel + " 连续发送失败，暂停至 " + china_day_hhmm(until) +
         " (channel held by its circuit breaker)";
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
      slot_timer_(loop) {
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
      return Deferral{m.id, *until, held_reason(m.channel, *until)};
    }
    if (half_open) probes_.insert(m.id);
  }
  const int limit = config_->delivery.per_minute_for(m.channel);
  // The provider's limit is per destination: a robot group shared by several people counts once.
  const std::string destination =
      known ? channels_.at(m.channel)->pacing_key(m.recipient) : m.recipient;
  if (auto until = pacer_.reserve(m.channel, destination, limit, now)) {
    if (b && probes_.erase(m.id) > 0) b->release_probe();
    return Deferral{m.id, *until,
                    "同一收件人每分钟最多 " + std::to_string(limit) + " 条，" + china_hhmm(*until) +
                        " 发送 (paced per recipient)"};
  }
  return std::nullopt;
}

asio::awaitable<void> OutboxDispatcher::acquire_slot() {
  co_await asio::this_coro::throw_if_cancelled(false);
  while (in_flight_ >= std::max(1, config_->delivery.concurrency)) {
    slot_timer_.expires_at(asio::steady_timer::time_point::max());
    co_await slot_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  ++in_flight_;
}

void OutboxDispatcher::release_slot() {
  --in_flight_;
  slot_timer_.cancel();
}

asio::awaitable<void> OutboxDispatcher::handle_digests(
    std::map<RecipientKey, std::vector<OutboxRecord>> due, TimePoint now,
    std::vector<Deferral>& deferrals, std::vector<OutboxRecord>& to_send) {
  const DeliveryPolicy& policy = config_->delivery;
  for (auto& [key, due_rows] : due) {
    const std::string& channel = key.first;
    const std::string& recipient = key.second;
    auto pending = co_await storage_.run([&, now](soci::session& s) {
      return pending_for_recipient(s, channel, recipient, now, kDigestLookup);
    });
    std::map<std::int64_t, OutboxRecord> by_id;
    std::vector<DigestCandidate> candidates;
    for (auto& m : pending) {
      if (!is_digestible(m.message_type)) continue;
      candidates.push_back({m.id, m.channel, m.recipient, m.created_at});
      by_id.emplace(m.id, std::move(m));
    }
    // A due reminder the lookup did not return (created "in the future" by a skewed clock, or
    // beyond the lookup's limit) goes on its own rather than staying due forever.
    for (auto& m : due_rows) {
      if (!by_id.count(m.id)) to_send.push_back(std::move(m));
    }
    for (const auto& group :
         group_digests(candidates, policy.digest_window, policy.digest_max_items)) {
      if (group.ready_at > now) {
        for (auto id : group.ids) {
          if (by_id.at(id).next_attempt_at < group.ready_at) {
            deferrals.push_back({id, group.ready_at,
                                 "等待合并同一收件人的提醒，" + china_hhmm(group.ready_at) +
                                     " 发送 (digest window)"});
          }
        }
        continue;
      }
      if (group.ids.size() == 1) {
        to_send.push_back(by_id.at(group.ids.front()));
        continue;
      }
      std::vector<std::string> texts;
      for (auto id : group.ids) texts.push_back(render(by_id.at(id), nullptr));
      NewOutboxMessage d;
      const OutboxRecord& first = by_id.at(group.ids.front());
      d.dedupe_key = "digest:" + std::to_string(group.ids.front()) + "-" +
                     std::to_string(group.ids.back()) + "/" + std::to_string(group.ids.size()) +
                     "@" + std::to_string(now.time_since_epoch().count());
      d.channel = first.channel;
      d.recipient = first.recipient;
      d.message_type = "digest";
      d.body = json_body(digest_params(texts));
      d.created_at = now;
      d.next_attempt_at = now;
      auto digest_row = co_await storage_.run([&](soci::session& s) -> std::optional<OutboxRecord> {
        auto id = queue_digest(s, d, group.ids);
        if (!id) return std::nullopt;
        return load_outbox(s, *id);
      });
      if (!digest_row) continue;  // a member was taken meanwhile; next pass regroups
      ++stats_.digests;
      stats_.digested += static_cast<long long>(group.ids.size());
      spdlog::info("outbox.digest id={} channel={} recipient={} members={}", digest_row->id,
                   channel, mask_recipient(recipient), group.ids.size());
      to_send.push_back(std::move(*digest_row));
    }
  }
}

asio::awaitable<void> OutboxDispatcher::flush() {
  while (!answers_.empty()) {
    std::vector<OutboxAnswer> batch;
    batch.swap(answers_);
    co_await storage_.run([&batch](soci::session& s) { record_outbox_answers(s, batch); });
  }
}

asio::awaitable<void> OutboxDispatcher::dispatch_due() {
  // On shutdown (cancellation) no new delivery starts, but those in flight are awaited and
  // recorded: a message is never left "sending" by a clean stop.
  co_await asio::this_coro::throw_if_cancelled(false);
  auto stopping = [](asio::cancellation_state cs) {
    return cs.cancelled() != asio::cancellation_type::none;
  };
  for (;;) {
    if (stopping(co_await asio::this_coro::cancellation_state)) break;
    const TimePoint now = clock_.now();
    const DeliveryPolicy& policy = config_->delivery;
    const int batch_size = std::max(100, policy.concurrency * 4);
    auto batch = co_await storage_.run(
        [now, batch_size](soci::session& s) { return due_outbox(s, now, batch_size); });

    std::vector<Deferral> deferrals;
    std::vector<OutboxRecord> to_send;
    std::map<RecipientKey, std::vector<OutboxRecord>> reminders;
    for (auto& m : batch) {
      if (const DailyWindow* quiet = policy.quiet_for(m.channel); quiet && in_window(now, *quiet)) {
        const TimePoint until = next_allowed_instant(now, *quiet);
        deferrals.push_back(
            {m.id, until,
             "静默时段，" + china_day_hhmm(until) + " 发送 (quiet hours of " + m.channel + ")"});
      } else if (policy.digest_window.count() > 0 && m.attempts == 0 &&
                 is_digestible(m.message_type)) {
        reminders[{m.channel, m.recipient}].push_back(std::move(m));
      } else {
        to_send.push_back(std::move(m));
      }
    }
    if (!reminders.empty()) co_await handle_digests(std::move(reminders), now, deferrals, to_send);

    std::vector<OutboxRecord> go;
    for (auto& m : to_send) {
      if (auto d = gate(m, now)) {
        deferrals.push_back(std::move(*d));
      } else {
        go.push_back(std::move(m));
      }
    }
    if (!deferrals.empty()) {
      co_await storage_.run([&deferrals](soci::session& s) {
        WriteTransaction tx(s);
        for (const auto& d : deferrals) defer_outbox(s, d.id, d.until, d.reason);
        tx.commit();
      });
      stats_.deferred += static_cast<long long>(deferrals.size());
      spdlog::debug("outbox.deferred count={}", deferrals.size());
    }
    // Claim the whole batch in one transaction (SQLite syncs every commit to disk).
    std::vector<std::int64_t> ids;
    for (const auto& m : go) ids.push_back(m.id);
    const auto claimed_ids =
        co_await storage_.run([&ids](soci::session& s) { return claim_outbox_many(s, ids); });
    const std::set<std::int64_t> claimed(claimed_ids.begin(), claimed_ids.end());
    for (std::size_t i = 0; i < go.size(); ++i) {
      auto& m = go[i];
      if (!claimed.count(m.id)) {  // someone else took it
        if (probes_.erase(m.id) > 0) breaker(m.channel).release_probe();
        continue;
      }
      ++m.attempts;
      co_await acquire_slot();
      if (answers_.size() >= std::size_t(std::max(16, policy.concurrency))) co_await flush();
      if (stopping(co_await asio::this_coro::cancellation_state)) {
        // Shutting down: the claimed messages not started go back as they were.
        release_slot();
        for (std::size_t j = i; j < go.size(); ++j) {
          if (probes_.erase(go[j].id) > 0) breaker(go[j].channel).release_probe();
          if (claimed.count(go[j].id)) {
            answers_.push_back(
                unsent(go[j].id, clock_.now(), "服务停止，重新排队 (daemon stopping)"));
          }
        }
        break;
      }
      // The breaker is checked again at the moment of sending: the messages of a batch taken
      // while the channel worked must not all run into it once it is known to be down.
      // Half-open by now: the message may go only as the one probe.
      if (channels_.count(m.channel) && !probes_.count(m.id)) {
        const TimePoint at = clock_.now();
        CircuitBreaker& b = breaker(m.channel);
        if (b.state(at) != CircuitBreaker::State::kClosed) {
          if (const auto until = b.admit(at)) {
            release_slot();
            answers_.push_back(unsent(m.id, *until, held_reason(m.channel, *until)));
            ++stats_.deferred;
            continue;
          }
          probes_.insert(m.id);
        }
      }
      asio::co_spawn(loop_, send_one(std::move(m)), [this](std::exception_ptr e) {
        release_slot();
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("outbox.send_error error=\"{}\"", ex.what());
          }
        }
      });
    }
    if (batch.size() < std::size_t(batch_size)) break;
    co_await flush();
    // More are due: let the rest of the loop run first, then go on.
    co_await asio::post(loop_, asio::use_awaitable);
  }
  while (in_flight_ > 0) {
    slot_timer_.expires_at(asio::steady_timer::time_point::max());
    co_await slot_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await flush();
  pacer_.forget_before(clock_.now());
}

asio::awaitable<void> OutboxDispatcher::finish_failed(const OutboxRecord& m, OutboxStatus status,
                                                      std::string error, std::string code,
                                                      bool try_next_channel) {
  const Config& c = *config_;
  const TimePoint now = clock_.now();
  std::vector<NewOutboxMessage> follow_ups;
  bool moved = false;
  if (try_next_channel) {
    if (auto next = next_channel_copy(c, m, now)) {
      error += "；改由 " + next->channel + " 发送 (moved to the next channel)";
      follow_ups.push_back(std::move(*next));
      moved = true;
    }
  }
  if (!moved) follow_ups = dead_letters(c, m, error, now);
  const FailResult r = co_await storage_.run([&](soci::session& s) {
    return fail_outbox(s, m.id, status, error, code, follow_ups, moved);
  });
  if (!r.changed) co_return;
  if (status == OutboxStatus::kDead) {
    ++stats_.dead;
  } else {
    ++stats_.failed;
  }
  if (moved) {
    ++stats_.fallbacks;
    spdlog::warn("outbox.fallback id={} channel={} next_channel={} next_id={} error=\"{}\"", m.id,
                 m.channel, follow_ups.front().channel, r.follow_ups.front().id, error);
  } else {
    stats_.dead_letters += std::count_if(r.follow_ups.begin(), r.follow_ups.end(),
                                         [](const EnqueueResult& e) { return e.inserted; });
    spdlog::error("outbox.{} id={} channel={} recipient={} attempts={} error=\"{}\"",
                  outbox_status_name(status), m.id, m.channel, mask_recipient(m.recipient),
                  m.attempts, error);
  }
  if (!r.follow_ups.empty()) wake();
}

asio::awaitable<void> OutboxDispatcher::send_one(OutboxRecord m) {
  const std::int64_t id = m.id;
  const bool probe = probes_.erase(id) > 0;
  // A probe that leaves without the channel's verdict (its text blocked, an exception) frees
  // the probe, or the channel would stay held for good.
  ProbeRelease unanswered;
  if (probe) {
    unanswered.release = [this, channel = m.channel] {
      if (auto b = breakers_.find(channel); b != breakers_.end()) b->second.release_probe();
    };
  }
  auto it = channels_.find(m.channel);
  if (it == channels_.end()) {
    co_await finish_failed(m, OutboxStatus::kFailed,
                           "渠道 " + m.channel + " 未在本服务中配置 (channel '" + m.channel +
                               "' is not configured in this daemon)",
                           "", true);
    co_return;
  }
  std::map<std::string, std::string> params;
  std::string text = render(m, &params);
  if (contains_unmasked_identifiers(text)) {
    // The same text would leak on any channel: stop here, with the reason, never the text.
    co_await finish_failed(m, OutboxStatus::kFailed,
                           "消息含未打码的身份证号或手机号，已拦截 (the text holds an unmasked ID "
                           "or phone number; not sent)",
                           "", false);
    co_return;
  }
  const std::shared_ptr<Channel> channel = it->second;  // kept alive across the await
  // A named message, not a braced temporary inside the co_await: g++ 12 destroys such a
  // temporary twice across the suspension.
  OutgoingMessage out{m.id, m.recipient, m.message_type, std::move(text), std::move(params)};
  const DeliveryResult r = co_await channel->deliver(std::move(out));
  unanswered.release = nullptr;  // the channel answered: each case below settles the breaker
  const TimePoint now = clock_.now();
  const DeliveryPolicy& policy = config_->delivery;
  switch (r.outcome) {
    case DeliveryResult::Outcome::kSent: {
      breaker(m.channel).record_success();
      answers_.push_back({id, true, r.provider_message_id, r.provider_code, "", now, true});
      ++stats_.sent;
      spdlog::info("outbox.sent id={} channel={} type={} recipient={} provider_id={}", id,
                   m.channel, m.message_type, mask_recipient(m.recipient), r.provider_message_id);
      break;
    }
    case DeliveryResult::Outcome::kPermanent:
      breaker(m.channel).record_success();  // the channel answered; the message was refused
      co_await finish_failed(m, OutboxStatus::kFailed, r.error, r.provider_code, true);
      break;
    case DeliveryResult::Outcome::kRateLimited: {
      if (probe) breaker(m.channel).release_probe();  // the channel works, but say nothing more
      const auto wait = std::max(r.retry_after.value_or(kRateLimitWait), kRateLimitWait);
      answers_.push_back({id, false, "", r.provider_code, r.error, now + wait, false});
      ++stats_.rate_limited;
      spdlog::warn("outbox.rate_limited id={} channel={} in_seconds={} error=\"{}\"", id, m.channel,
                   wait.count(), r.error);
      break;
    }
    case DeliveryResult::Outcome::kRetry: {
      CircuitBreaker& b = breaker(m.channel);
      b.record_failure(now);
      if (now - m.created_at >= policy.give_up_after) {
        const auto hours = std::chrono::duration_cast<std::chrono::hours>(policy.give_up_after);
        co_await finish_failed(m, OutboxStatus::kDead,
                               r.error + "（" + std::to_string(hours.count()) +
                                   " 小时内未能送达 / not delivered within " +
                                   std::to_string(hours.count()) + " hours）",
                               r.provider_code, false);
        break;
      }
      if (probe) {
        // The channel is down, not this message: the probe costs it no attempt, else the
        // message that happens to be the earliest due would die of a long outage alone.
        const TimePoint until = b.admit(now).value_or(now + policy.breaker.cool_down);
        answers_.push_back(
            {id, false, "", r.provider_code,
             r.error + "（渠道试探未通过，不计次数 / channel probe failed, not counted）", until,
             false});
        ++stats_.retried;
        spdlog::warn("outbox.probe_failed id={} channel={} until={} error=\"{}\"", id, m.channel,
                     format_time(until), r.error);
        break;
      }
      if (m.attempts >= policy.max_attempts) {
        co_await finish_failed(m, OutboxStatus::kDead,
                               r.error + "（已尝试 " + std::to_string(m.attempts) + " 次 / after " +
                                   std::to_string(m.attempts) + " attempts）",
                               r.provider_code, false);
        break;
      }
      const auto delay = retry_delay(policy.backoff, m.attempts, random_(), r.retry_after);
      answers_.push_back({id, false, "", r.provider_code, r.error, now + delay, true});
      ++stats_.retried;
      spdlog::warn("outbox.retry id={} channel={} attempts={} in_seconds={} error=\"{}\"", id,
                   m.channel, m.attempts, delay.count(), r.error);
      break;
    }
  }
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
      co_await passes_.lock();
      try {
        co_await dispatch_due();
      } catch (...) {
        passes_.unlock();
        throw;
      }
      passes_.unlock();
      if (cancelled(co_await asio::this_coro::cancellation_state)) co_return;
      auto next = co_await storage_.run([](soci::session& s) { return next_outbox_attempt(s); });
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
