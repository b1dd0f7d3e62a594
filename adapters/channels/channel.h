// A delivery channel: one outside way of reaching a person (file, WeChat Work,
// SMS gateways, a county's webhook). The dispatcher hands it one claimed outbox
// message at a time and records what it answers.
//
// deliver() runs on the event loop and never blocks it: HTTP goes through
// HttpClient (curl multi on its own thread), file writes through a small pool
// the channel owns. The awaiting coroutine resumes on its own executor. It
// never throws (except cancellation at shutdown); every failure is an answer.
// The outbox id is the idempotency key a channel passes on where the provider
// takes one (Alibaba OutId, Tencent SessionContext).
// Thread-safety: deliver() may be awaited by several coroutines at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace fangfan {

// A file sent with a message (a department list): the dispatcher fills it from the body's
// attachment_path / attachment_name / attachment_sha256 / attachment_size params. A channel that
// takes files checks the file's SHA-256 before sending (a changed or missing file is a permanent
// failure: never send other data than was recorded); a channel that takes none refuses for good.
struct Attachment {
  std::string path;       // absolute
  std::string file_name;  // as the receiver sees it, e.g. "县民政局-2026-12-01.xlsx"
  std::string sha256;     // lowercase hex
  std::uint64_t size = 0;
};

struct OutgoingMessage {
  std::int64_t outbox_id = 0;
  std::string recipient;     // the channel's address: phone, WeChat Work id, group name, ...
  std::string message_type;  // template name, e.g. "step_overdue"
  std::string text;          // rendered text (already masked)
  std::map<std::string, std::string> params;  // template params, for SMS templates (masked)
  std::optional<Attachment> attachment;
};

struct DeliveryResult {
  enum class Outcome {
    kSent,         // accepted by the provider
    kRetry,        // temporary: network, timeout, 5xx, 429; try again later (counts an attempt)
    kRateLimited,  // the provider's rate-limit answer: delay, do not count an attempt
    kPermanent,    // refused for good (bad number, bad template, bad key)
  };
  Outcome outcome = Outcome::kSent;
  std::string provider_code;                        // the provider's code, e.g. "45009", "OK"
  std::string error;                                // not kSent: code and text, no secrets
  std::string provider_message_id;                  // kSent
  std::optional<std::chrono::seconds> retry_after;  // the provider's own wait, if it said

  static DeliveryResult sent(std::string provider_message_id, std::string code = "") {
    DeliveryResult r;
    r.outcome = Outcome::kSent;
    r.provider_code = std::move(code);
    r.provider_message_id = std::move(provider_message_id);
    return r;
  }
  static DeliveryResult failed(Outcome outcome, std::string code, std::string error,
                               std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    DeliveryResult r;
    r.outcome = outcome;
    r.provider_code = std::move(code);
    r.error = std::move(error);
    r.retry_after = retry_after;
    return r;
  }
};

// "sent", "retry", "rate_limited", "permanent".
inline const char* outcome_name(DeliveryResult::Outcome outcome) {
  switch (outcome) {
    case DeliveryResult::Outcome::kSent:
      return "sent";
    case DeliveryResult::Outcome::kRetry:
      return "retry";
    case DeliveryResult::Outcome::kRateLimited:
      return "rate_limited";
    case DeliveryResult::Outcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

class Channel {
 public:
  virtual ~Channel() = default;
  virtual const std::string& name() const = 0;
  // Runs on the event loop; never blocks it.
  virtual boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) = 0;
  // What the provider's per-recipient limit counts for `recipient`: the address itself, except
  // where several addresses reach one destination (WeChat Work group robot: everyone addressed
  // "person@scope" shares the group's 20 messages a minute).
  virtual std::string pacing_key(const std::string& recipient) const { return recipient; }
};

}  // namespace fangfan
