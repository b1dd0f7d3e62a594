// A delivery channel: one outside way of reaching a person (file, WeChat Work,
// SMS gateways, a county's webhook). The dispatcher hands it one claimed outbox
// message at a time and records what it answers.
//
// deliver() may block (file or network I/O): call it on the storage/IO pool,
// never on the event loop thread. It never throws; every failure is an answer.
// The outbox id is the idempotency key a channel passes on where the provider
// takes one (Alibaba OutId, Tencent SessionContext).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace fangfan {

struct OutgoingMessage {
  std::int64_t outbox_id = 0;
  std::string recipient;     // the channel's address
  std::string message_type;  // template name
  std::string body;          // rendered text (already masked)
};

struct DeliveryResult {
  enum class Outcome {
    kSent,       // accepted by the provider
    kRetry,      // temporary: network, timeout, 5xx, rate limit; try again later
    kPermanent,  // the provider refused this message for good (bad number, bad template)
  };
  Outcome outcome = Outcome::kSent;
  std::string provider_message_id;                  // kSent
  std::string error;                                // kRetry, kPermanent: provider's code and text
  std::optional<std::chrono::seconds> retry_after;  // kRetry: the provider's own wait, if it said
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual const std::string& name() const = 0;
  virtual DeliveryResult deliver(const OutgoingMessage& message) = 0;
};

}  // namespace fangfan
