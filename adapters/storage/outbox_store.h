// The transactional outbox: messages to send, written in the same transaction as the case change
// or timer firing that caused them, and sent later by the dispatcher.
//
// A message's dedupe_key (e.g. case + step + rung + day) is unique: enqueueing it again is a
// no-op reported as inserted == false, so a restart or replay never queues a message twice.
//
// Status lifecycle (each transition conditional on the current status, so two dispatchers can
// never both own a message):
//   pending --claim--> sending --sent--> sent
//                         |----retry---> pending (attempts kept, next_attempt_at later)
//                         |----fail----> failed (permanent provider error) | dead (attempts used
//                         up)
//   pending | failed | dead --cancel--> cancelled;  failed | dead --requeue--> pending
//   sending --recover_stuck_sending--> pending (at start: the process died mid-send)
//
// Errors: StorageError (see database.h). Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

enum class OutboxStatus { kPending, kSending, kSent, kFailed, kDead, kCancelled };
std::string_view outbox_status_name(OutboxStatus status);  // "pending", "sending", ...
std::optional<OutboxStatus> parse_outbox_status(std::string_view name);

struct NewOutboxMessage {
  std::string dedupe_key;
  std::optional<std::int64_t> case_id;
  std::string channel;       // channel name from config, e.g. "wecom_app", "sms", "file"
  std::string recipient;     // the channel's address: phone, WeChat Work user id, group key name
  std::string message_type;  // template name, e.g. "deadline_reminder"
  std::string body;          // rendered text or the channel's JSON parameters
  TimePoint created_at{};
  TimePoint next_attempt_at{};  // usually created_at; later for quiet hours or digests
};

struct OutboxRecord {
  std::int64_t id = 0;
  std::string dedupe_key;
  std::optional<std::int64_t> case_id;
  std::string channel;
  std::string recipient;
  std::string message_type;
  std::string body;
  OutboxStatus status = OutboxStatus::kPending;
  int attempts = 0;
  TimePoint next_attempt_at{};
  std::string last_error;
  std::string provider_message_id;
  TimePoint created_at{};
  std::optional<TimePoint> sent_at;
};

struct EnqueueResult {
  bool inserted = false;  // false: a message with this dedupe_key already existed (any status)
  std::int64_t id = 0;    // the new message, or the existing one
};

EnqueueResult enqueue_outbox(soci::session& session, const NewOutboxMessage& message);

std::optional<OutboxRecord> load_outbox(soci::session& session, std::int64_t id);

// Pending messages with next_attempt_at <= now, earliest first, at most `limit`.
std::vector<OutboxRecord> due_outbox(soci::session& session, TimePoint now, int limit);

// When the earliest pending message is due (what the dispatcher sleeps until).
std::optional<TimePoint> next_outbox_attempt(soci::session& session);

// Operators' view: messages in one status (or all), newest first, at most `limit`.
std::vector<OutboxRecord> list_outbox(soci::session& session, std::optional<OutboxStatus> status,
                                      int limit);

// pending -> sending, attempts + 1. False when it was not pending.
bool claim_outbox(soci::session& session, std::int64_t id);
// sending -> sent, keeping the provider's message id.
bool mark_outbox_sent(soci::session& session, std::int64_t id, std::string_view provider_message_id,
                      TimePoint now);
// sending -> pending, to be tried again at next_attempt_at.
bool mark_outbox_retry(soci::session& session, std::int64_t id, std::string_view error,
                       TimePoint next_attempt_at);
// sending -> failed or dead. REQUIRES: final_status is kFailed or kDead.
bool mark_outbox_failed(soci::session& session, std::int64_t id, OutboxStatus final_status,
                        std::string_view error);
// pending | failed | dead -> cancelled.
bool cancel_outbox(soci::session& session, std::int64_t id);
// failed | dead -> pending with attempts reset, due at `now` (an operator's retry).
bool requeue_outbox(soci::session& session, std::int64_t id, TimePoint now);
// Every sending -> pending, due at `now`; returns how many. Call once at start, before the
// dispatcher runs: those sends may or may not have reached the provider (see the channel's
// idempotency key, the outbox id).
int recover_stuck_sending(soci::session& session, TimePoint now);

}  // namespace fangfan
