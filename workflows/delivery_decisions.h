// What the outbox does with one delivery's answer: the decision table of the dispatcher.
//
//   answer                     | decision
//   ---------------------------+-------------------------------------------------------------
//   accepted                   | sent (provider id and code kept); breaker: success
//   rate-limited               | rate_limited: pending after Retry-After, at least a minute, the
//                              | attempt given back; a probe is released, the breaker untouched
//   transient                  | breaker: failure; then the first that applies:
//                              |   queued give_up_after ago or longer -> dead (admins told)
//                              |   it was the half-open probe -> probe_failed: pending until the
//                              |     breaker's next probe, no attempt used
//                              |   attempts >= max_attempts -> dead (admins told)
//                              |   else -> retry after retry_delay(), the attempt counted
//   permanent                  | breaker: success (the channel answered); the person's next
//                              | channel -> fall_back, else failed (admins told)
//   no such channel here       | the person's next channel -> fall_back, else failed (admins told)
//   blocked (unmasked text)    | failed (admins told), never another channel: the same text would
//                              | leak there; a probe is released
//
// "Admins told" is never about a dead_letter itself. The texts are the row's last_error, in
// Chinese first with the English in brackets, as operators read them.
//
// Pure: time, the breaker's state and the jitter draw are passed in; nothing is read or written.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "workflows/clock.h"
#include "workflows/delivery_rules.h"

namespace fangfan {

// The channel's answer, or why the message never reached a channel.
struct DeliveryAnswer {
  enum class Kind {
    kAccepted,     // the provider took it
    kTransient,    // network, timeout, 5xx: try again later
    kRateLimited,  // the provider's rate-limit answer
    kPermanent,    // the provider refused this message for good
    kNoChannel,    // the message's channel does not run in this daemon
    kBlocked,      // refused before sending: the text holds an unmasked ID or phone number
  };
  Kind kind = Kind::kAccepted;
  std::string provider_message_id;  // kAccepted
  std::string provider_code;
  std::string error;                                // not kAccepted: the provider's code and text
  std::optional<std::chrono::seconds> retry_after;  // the provider's Retry-After, if it said
};

// What the decision needs to know about the message that went out.
struct DeliveryAttempt {
  std::string channel;
  std::string message_type;
  int attempts = 1;        // including this one (the claim counted it)
  TimePoint created_at{};  // when it was queued (give_up_after counts from here)
  bool probe = false;      // sent as its channel's one half-open probe
  // The channels of the person the message is for, in delivery order; empty when the message is
  // for nobody known (a digest of a group, a row older than the outbox's person column).
  std::span<const std::string> person_channels;
};

// What happens to the channel's circuit breaker.
enum class BreakerEffect {
  kNone,
  kSuccess,       // CircuitBreaker::record_success
  kFailure,       // CircuitBreaker::record_failure
  kReleaseProbe,  // CircuitBreaker::release_probe: the probe left without the channel's verdict
};

struct DeliveryDecision {
  enum class Outcome {
    kSent,
    kRetry,        // pending again at `at`, the attempt counted
    kProbeFailed,  // pending again at `at` (the breaker's next probe), no attempt used
    kRateLimited,  // pending again at `at`, no attempt used
    kFallBack,     // failed here; a copy goes on `next_channel`
    kFailed,       // failed for good
    kDead,         // out of attempts or time
  };
  Outcome outcome = Outcome::kSent;
  TimePoint at{};              // kSent: sent_at; kRetry, kProbeFailed, kRateLimited: next attempt
  bool count_attempt = false;  // kRetry only
  std::string error;           // the row's last_error (empty for kSent)
  std::string next_channel;    // kFallBack
  bool tell_admins = false;    // kFailed, kDead: a dead_letter notice to every county admin
  BreakerEffect breaker = BreakerEffect::kNone;
  friend bool operator==(const DeliveryDecision&, const DeliveryDecision&) = default;
};

// Where a due message goes first in a pass, before the breaker and pacing are asked:
//   inside its channel's quiet hours       -> kHold until they end (no attempt used);
//   a reminder never attempted, digests on -> kDigest (its recipient's group waits the window);
//   else                                   -> kSend.
struct DueRoute {
  enum class Kind { kSend, kDigest, kHold };
  Kind kind = Kind::kSend;
  TimePoint until{};   // kHold
  std::string reason;  // kHold: the row's hold_reason
  friend bool operator==(const DueRoute&, const DueRoute&) = default;
};
DueRoute route_due(const DeliveryPolicy& policy, std::string_view channel,
                   std::string_view message_type, int attempts, TimePoint now);

// Why a pending message waits, as operators read it (the row's hold_reason).
std::string breaker_hold_reason(std::string_view channel, TimePoint until);
std::string pacing_hold_reason(int per_minute, TimePoint until);
std::string digest_hold_reason(TimePoint ready_at);

// Applies `effect` to `breaker` at `now`.
void apply_breaker_effect(CircuitBreaker& breaker, BreakerEffect effect, TimePoint now);

// The channel after `channel` in `person_channels`, or "" when there is none (the last one, or
// `channel` is not the person's).
std::string next_channel_of(std::span<const std::string> person_channels, std::string_view channel);

// The decision for `answer` to `attempt` at `now`. `breaker` is the channel's breaker as it is
// before the answer (a failed probe waits for its next probe); `random01` in [0, 1) is the
// backoff's jitter draw.
DeliveryDecision decide_delivery(const DeliveryPolicy& policy, const DeliveryAttempt& attempt,
                                 const DeliveryAnswer& answer, CircuitBreaker breaker,
                                 TimePoint now, double random01);

}  // namespace fangfan
