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
//   sending --recover_abandoned_sending--> pending (shared database: the lease ran out, or the
//                                           holder is this daemon's previous life)
//   pending --defer--> pending later (quiet hours, pacing, digest wait, open breaker; no attempt)
//
// Digests: queue_digest() folds several pending reminders for one recipient into one new
// "digest" row; the members wait in "sending" with digest_of = that row and follow it: sent,
// failed, dead, cancelled or requeued together (provider id and code included). A member's own
// operator retry detaches it from the digest. recover_stuck_sending leaves members alone (they
// wait on their digest, which it recovers).
//
// Functions named "one transaction" open their own WriteTransaction (REQUIRES: none is open on
// the session); the others are single statements and join the caller's transaction, if any.
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
  // The configured person it is for, "name@scope" (config Person); "" (stored NULL) when for
  // nobody in particular. The dispatcher finds the person's next channel by it.
  std::string person;
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
  std::string provider_code;              // the provider's last answer code ("OK", "45009", ...)
  std::optional<std::int64_t> digest_of;  // the digest row this message goes out in
  std::string hold_reason;  // why a pending message waits (quiet hours, digest, breaker, pacing)
  std::string person;       // as NewOutboxMessage::person; "" for rows queued before it was kept
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

// Several daemons on one PostgreSQL (issue 15): a claim may record which daemon holds the
// message and until when. Another daemon takes the message back (recover_abandoned_sending) only
// once the lease ran out; the holder renews its leases while it works (renew_outbox_leases).
struct OutboxLease {
  std::string holder;  // the daemon's identity (daemon/tasks/leadership.h daemon_identity)
  TimePoint until{};
};

// pending -> sending, attempts + 1, held under `lease` (none: held by nobody known, the single
// daemon's claim). False when it was not pending.
bool claim_outbox(soci::session& session, std::int64_t id, const OutboxLease* lease = nullptr);
// sending -> sent, keeping the provider's message id and answer code; a digest's members too.
bool mark_outbox_sent(soci::session& session, std::int64_t id, std::string_view provider_message_id,
                      TimePoint now, std::string_view provider_code = {});
// sending -> pending, to be tried again at next_attempt_at. count_attempt false (a provider's
// rate-limit answer) gives back the attempt the claim took.
bool mark_outbox_retry(soci::session& session, std::int64_t id, std::string_view error,
                       TimePoint next_attempt_at, bool count_attempt = true,
                       std::string_view provider_code = {});
// sending -> failed or dead; a digest's members too. REQUIRES: final_status is kFailed or kDead.
bool mark_outbox_failed(soci::session& session, std::int64_t id, OutboxStatus final_status,
                        std::string_view error, std::string_view provider_code = {});
// pending -> pending, not before `until`, without using an attempt; `reason` becomes
// hold_reason so an operator sees why it waits (last_error keeps the provider's last answer;
// claiming clears the hold reason). False when it was not pending.
bool defer_outbox(soci::session& session, std::int64_t id, TimePoint until,
                  std::string_view reason);
// sending -> pending, not before `until`, the claim's attempt given back and last_error kept:
// a claimed message that was not handed to its channel after all (the channel's breaker opened
// meanwhile, or the daemon is stopping). `reason` becomes hold_reason. False when it was not
// sending.
bool unclaim_outbox(soci::session& session, std::int64_t id, TimePoint until,
                    std::string_view reason);
// pending | failed | dead -> cancelled; a digest's waiting members too.
bool cancel_outbox(soci::session& session, std::int64_t id);
// failed | dead -> pending with attempts reset, due at `now` and queued anew (created_at = now,
// so [delivery] give_up_after counts from the operator's retry). A digest's members wait on it
// again; a member retried on its own leaves its digest.
bool requeue_outbox(soci::session& session, std::int64_t id, TimePoint now);
// Every sending -> pending, due at `now`; returns how many. Call once at start, before the
// dispatcher runs: those sends may or may not have reached the provider (see the channel's
// idempotency key, the outbox id). Digest members stay with their digest.
int recover_stuck_sending(soci::session& session, TimePoint now);
// The same for a daemon that shares its database: sending -> pending, due at `now`, only for
// messages whose lease ran out before `now`, and, when `previous_life` is not empty (at start),
// those held by it (this daemon's identity: its previous process died mid-send) or by nobody
// known (claimed without a lease, e.g. before the upgrade). A live neighbour's sends stay.
// Digest members stay with their digest. Returns how many.
int recover_abandoned_sending(soci::session& session, TimePoint now,
                              std::string_view previous_life);
// Every message `lease.holder` holds ("sending") is held until `lease.until`; returns how many.
int renew_outbox_leases(soci::session& session, const OutboxLease& lease);

// Pending, never attempted, not in a digest: the messages to `recipient` on `channel` created
// at or before `created_before`, oldest first (digest candidates), at most `limit`.
std::vector<OutboxRecord> pending_for_recipient(soci::session& session, std::string_view channel,
                                                std::string_view recipient,
                                                TimePoint created_before, int limit);
// The members waiting on digest `digest_id`, oldest first.
std::vector<OutboxRecord> digest_members(soci::session& session, std::int64_t digest_id);

// One transaction: queues `digest` and moves every member pending -> sending with digest_of =
// the new row. nullopt (nothing changed) when the digest's dedupe key exists or a member is no
// longer pending.
std::optional<std::int64_t> queue_digest(soci::session& session, const NewOutboxMessage& digest,
                                         const std::vector<std::int64_t>& members);

// One transaction: claim_outbox for each id, in one statement per 1,000 ids (not one per row);
// returns the ids claimed (the others were no longer pending), in the order given. PostgreSQL:
// FOR UPDATE SKIP LOCKED, so a row another daemon's claim holds at this moment is left to it
// without waiting for its commit (several daemons on one database do not queue on each other's
// rows); either way a row is claimed by one claimer only.
std::vector<std::int64_t> claim_outbox_many(soci::session& session,
                                            const std::vector<std::int64_t>& ids,
                                            const OutboxLease* lease = nullptr);

// A channel's answer to record: sent, or back to pending for a retry.
struct OutboxAnswer {
  std::int64_t id = 0;
  bool sent = false;
  std::string provider_message_id;  // sent
  std::string provider_code;
  std::string error;          // retry
  TimePoint at{};             // sent: sent_at; retry: next_attempt_at
  bool count_attempt = true;  // retry: false for a rate-limit answer
  std::string hold_reason;    // not empty: never sent, unclaim_outbox until `at` (no answer)
};
// One transaction: mark_outbox_sent / mark_outbox_retry / unclaim_outbox for each answer (the
// sent ones a few multi-row statements for the whole group); returns how many changed (an answer
// for a message no longer "sending" changes nothing).
int record_outbox_answers(soci::session& session, const std::vector<OutboxAnswer>& answers);
// One transaction, one commit: `answers` recorded as record_outbox_answers does, then `ids`
// claimed as claim_outbox_many does (the ids claimed, in order). The dispatcher claims ahead
// while answers wait (issue 15): a commit each was a sync of the disk each on SQLite.
std::vector<std::int64_t> record_answers_and_claim(soci::session& session,
                                                   const std::vector<OutboxAnswer>& answers,
                                                   const std::vector<std::int64_t>& ids,
                                                   const OutboxLease* lease = nullptr);

struct FailResult {
  bool changed = false;  // false: the message was not sending; nothing was queued
  std::vector<EnqueueResult> follow_ups;
};
// One transaction: sending -> failed | dead, and `follow_ups` queued (the next channel's copy,
// dead-letter notices to county admins). With `members_follow`, a digest's members move to the
// first follow-up (its copy on the next channel) instead of failing with it.
// REQUIRES: final_status is kFailed or kDead; members_follow only with a follow-up.
FailResult fail_outbox(soci::session& session, std::int64_t id, OutboxStatus final_status,
                       std::string_view error, std::string_view provider_code,
                       const std::vector<NewOutboxMessage>& follow_ups, bool members_follow);

}  // namespace fangfan
