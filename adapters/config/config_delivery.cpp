// [delivery] and [templates]: how the outbox dispatcher delivers (attempts, backoff, quiet
// hours, digests, per-recipient pacing, circuit breaker) and the county's own wording of each
// message type. Both are optional; absent keys keep DeliveryPolicy's defaults and the built-in
// Chinese templates.
#include "adapters/config/config_reader.h"
#include "workflows/delivery_rules.h"
#include "workflows/message_templates.h"

namespace fangfan::config_detail {
namespace {

const std::set<std::string, std::less<>> kDeliveryChannels = {
    "file", "wechat_robot", "wechat_app", "sms_aliyun", "sms_tencent", "webhook"};

// A whole number in [lo, hi] into `out`; an error naming the range otherwise.
template <class T>
void bounded(Reader& r, std::string_view key, long long lo, long long hi, T& out,
             const char* unit) {
  auto v = r.integer(key, false);
  if (!v) return;
  if (*v < lo || *v > hi) {
    r.error(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " " +
                     unit + ", got " + std::to_string(*v));
    return;
  }
  if constexpr (std::is_same_v<T, std::chrono::seconds>) {
    out = std::chrono::seconds(*v);
  } else {
    out = T(*v);
  }
}

bool known_channel(Reader& r, std::string_view key) {
  if (kDeliveryChannels.count(key)) return true;
  r.error(key, "'" + std::string(key) +
                   "' is not a channel fangfan knows (file, wechat_robot, wechat_app, sms_aliyun, "
                   "sms_tencent, webhook)");
  return false;
}

void read_policy(Reader& r, DeliveryPolicy& p) {
  bounded(r, "max_attempts", 1, 100, p.max_attempts, "attempts");
  bounded(r, "concurrency", 1, 1024, p.concurrency, "deliveries at once");
  bounded(r, "backoff_initial_seconds", 1, 86400, p.backoff.initial, "seconds");
  bounded(r, "backoff_max_seconds", 1, 7 * 86400, p.backoff.max, "seconds");
  if (p.backoff.max < p.backoff.initial) {
    r.error("backoff_max_seconds", "must not be less than backoff_initial_seconds (" +
                                       std::to_string(p.backoff.initial.count()) + ")");
  }
  if (auto j = r.number("backoff_jitter", false)) {
    if (*j < 0 || *j > 1) {
      r.error("backoff_jitter", "must be between 0 and 1 (a share of the delay)");
    } else {
      p.backoff.jitter = *j;
    }
  }
  bounded(r, "digest_window_seconds", 0, 86400, p.digest_window, "seconds (0 = no digests)");
  bounded(r, "digest_max_items", 1, 50, p.digest_max_items, "items");
  bounded(r, "breaker_failures", 1, 1000, p.breaker.failures, "failures");
  bounded(r, "breaker_cooldown_seconds", 1, 86400, p.breaker.cool_down, "seconds");
  if (auto hours = r.integer("give_up_after_hours", false)) {
    if (*hours < 1 || *hours > 30 * 24) {
      r.error("give_up_after_hours",
              "must be between 1 and 720 hours, got " + std::to_string(*hours));
    } else {
      p.give_up_after = std::chrono::hours(*hours);
    }
  }

  if (const toml::table* t = r.table("quiet_hours", false)) {
    Reader q(*t, r.key_path("quiet_hours"), r.errors());
    for (auto&& [k, v] : *t) {
      const std::string channel(k.str());
      auto text = q.string(channel);
      if (!text || !known_channel(q, channel)) continue;
      auto window = parse_daily_window(*text);
      if (!window) {
        q.error(channel,
                "must be \"HH:MM-HH:MM\" in China time (e.g. \"21:00-08:00\") or \"\" "
                "for none, got '" +
                    *text + "'");
        continue;
      }
      p.quiet_hours[channel] = *window;
    }
  }
  if (const toml::table* t = r.table("per_recipient_per_minute", false)) {
    Reader q(*t, r.key_path("per_recipient_per_minute"), r.errors());
    for (auto&& [k, v] : *t) {
      const std::string channel(k.str());
      auto n = q.integer(channel);
      if (!n || !known_channel(q, channel)) continue;
      if (*n < 0 || *n > 10000) {
        q.error(channel, "must be between 0 (no limit) and 10000 messages a minute, got " +
                             std::to_string(*n));
        continue;
      }
      p.per_recipient_per_minute[channel] = int(*n);
    }
  }
}

}  // namespace

void read_delivery(Reader& top, Config& c, const fs::path& /*dir*/, Errors& errors) {
  if (const toml::table* t = top.table("delivery", false)) {
    Reader r(*t, "delivery", errors);
    read_policy(r, c.delivery);
  }
  if (const toml::table* t = top.table("templates", false)) {
    Reader r(*t, "templates", errors);
    for (auto&& [k, v] : *t) {
      const std::string type(k.str());
      auto text = r.string(type);
      if (!text) continue;
      if (auto problem = template_problem(type, *text)) {
        r.error(type, *problem);
        continue;
      }
      c.templates.overrides[type] = *text;
    }
  }
}

}  // namespace fangfan::config_detail
