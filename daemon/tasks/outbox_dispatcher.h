// Sends due outbox messages through their channels on the event loop, never blocking it:
// database work runs on the StorageExecutor, channels deliver asynchronously (HTTP through
// curl multi), and at most `[delivery] concurrency` deliveries are in flight at once.
//
// One pass (dispatch_due) takes the due messages in batches and for each decides, in this
// order (workflows/delivery_rules.h):
//   1. quiet hours of its channel -> wait until they end (no attempt used);
//   2. a reminder (digestible type, never attempted) -> its recipient's group waits out the
//      digest window; then one "digest" row lists the group and the members follow it;
//   3. the channel's circuit breaker is open -> wait for the cool-down (one probe after it;
//      a probe that fails does not use one of its message's attempts, and a message claimed
//      while the breaker was closed goes back unsent, its attempt given back, when the breaker
//      opened before its turn to be sent);
//   4. per-recipient pacing -> wait for the next free slot in the minute;
//   5. claim (pending -> sending, attempts + 1), render with the config's templates (a file the
//      params name, attachment_path/_name/_sha256/_size, goes along as the attachment), deliver
//      (a text holding an unmasked ID number or phone never leaves), and apply what
//      decide_delivery (workflows/delivery_decisions.h, where the table is) makes of the
//      answer: sent; retry after backoff; pending after a rate limit or a failed probe with
//      the attempt given back; a copy on the person's next channel (the row's person, config
//      Person.channels; dedupe key + ">channel") queued in the same transaction; failed or
//      dead, with a dead_letter row per county admin (dedupe key on the message id).
//
// Database work is batched, because SQLite syncs every commit to disk: due messages are read
// claim_batch at a time and claimed claim_chunk at a time, one statement and one transaction per
// chunk, ahead of their sending (the feed: the next messages are read and claimed while the
// claimed ones go out); the answers (sent, retry) are recorded in the background, one
// transaction per group: a write starts when at least answers_per_commit answers wait and no
// other write of this dispatcher runs, and takes all that wait, while deliveries go on (group
// commit: the slower the disk, the bigger the groups); a claim takes the answers waiting into
// its transaction. This dispatcher's writes (answers, claims, deferrals) take turns. Failures with
// follow-ups (fallback copy, dead letters) are written at once, each in its own transaction with
// its follow-ups. The writes stay on the StorageExecutor's pool: on its one writing thread
// (run_writing, one session whose page cache stays valid) a memory-channel drain ran at about
// half the rate, 7,846-9,267 against 14,309-21,485 messages/s in three alternating pairs
// (issue 15, 2026-12-07, not understood yet).
//
// Duplicates: a message is claimed before it is handed to a channel, so one process never
// sends it twice. A crash after the provider accepted a message but before its answer was
// recorded leaves it "sending", and the next start sends it again. The duplicate bound: a
// delivery starts only while fewer than unrecorded_bound(`concurrency`) = max(128,
// 4 x `concurrency`) messages are unrecorded (in flight, answered and waiting, or in a write not
// yet committed), and only a delivery's start adds one. So a SIGKILL re-sends at most that many
// (128 at concurrency up to 32): the README's bound per crash, which
// tests/daemon/outbox_process_test.cpp, crash_loop_process_test.cpp and
// multi_daemon_process_test.cpp assert per kill. (It was `concurrency` + max(16, `concurrency`)
// with one synchronous commit per max(16, `concurrency`) answers, which bound the rate to about
// 6,500 messages/s at concurrency 32; issue 15.) Claimed messages not yet handed to a channel
// are not in it: recovered, they go out for the first time.
// A storage failure puts the answers of a failed write and the claimed messages not started back
// in the queue of answers, and the next pass records them before it looks for due messages, so
// they do not stay "sending" until a restart (run() starts that pass after its pause). The
// answers waiting then are still within the bound: the claims given back were never sent.
// Several daemons on one PostgreSQL (share_database): the same bound per daemon killed; its
// unrecorded sends go out again when it restarts (same identity) or, when it stays down, from a
// neighbour once its lease ran out (kDefaultLease after its last flush); a live daemon's sends
// are never taken back.
// Bounded further where the provider takes the outbox id as an idempotency key (Alibaba OutId,
// Tencent SessionContext, the webhook's Idempotency-Key).
//
// Thread-safety: every member function runs on the loop the dispatcher was built with.
// Storage failures are logged and retried after a pause; they never stop the daemon.
#pragma once

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/tasks/advance_delivery.h"
#include "daemon/tasks/loop_mutex.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/clock.h"
#include "workflows/delivery_decisions.h"
#include "workflows/delivery_rules.h"

namespace fangfan {

struct DispatchStats {
  long long sent = 0;          // messages accepted by a channel (a digest counts once)
  long long retried = 0;       // transport failures rescheduled
  long long rate_limited = 0;  // provider rate-limit answers rescheduled
  long long failed = 0;        // permanent failures (including unmasked text)
  long long fallbacks = 0;     // copies queued on a person's next channel
  long long dead = 0;          // attempts used up
  long long dead_letters = 0;  // notices queued for county admins
  long long deferred = 0;      // quiet hours, digest wait, breaker, pacing
  long long digests = 0;       // digest rows queued
  long long digested = 0;      // messages folded into them
  // The pass's commits of answers and claims (bench/outbox_drain prints them): writes of answers
  // alone and the answers they held; claims, the messages they took and the answers riding along.
  long long answer_writes = 0;
  long long answers_written = 0;
  long long claims = 0;
  long long claimed = 0;
  long long answers_with_claims = 0;
};

class OutboxDispatcher : public AdvanceDelivery {
 public:
  // A number in [0, 1) for backoff jitter.
  using Random = std::function<double()>;

  // `config` supplies the delivery policy, templates, people (fallback order, county admins).
  // An empty `random` uses a seeded std::mt19937_64.
  OutboxDispatcher(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                   std::shared_ptr<const Config> config, Random random = {});
  // Built-in defaults only (no people: no fallback, no dead-letter notices); for a daemon
  // that has not handed over its config yet.
  OutboxDispatcher(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                   int max_attempts = 8);

  // A reloaded config (SIGHUP) applies from the next message on. REQUIRES: config != nullptr.
  void set_config(std::shared_ptr<const Config> config);

  // Channels by name; the dispatcher shares ownership.
  void add_channel(std::shared_ptr<Channel> channel);

  // At start, in its turn with the passes (see pause()): every "sending" message back to
  // pending (the process died mid-send); then dispatch_due whenever something falls due or
  // wake() is called, until cancelled.
  boost::asio::awaitable<void> run();

  // One pass over everything due at clock.now(); returns when the deliveries it started have
  // answered and been recorded (except after a StorageError, which it throws at once and
  // run() catches, pausing; deliveries then in flight finish on their own). run() and an
  // advance (pause()) take turns through one lock, so their passes do not overlap.
  boost::asio::awaitable<void> dispatch_due();

  // AdvanceDelivery (Scheduler::advance_to on a simulated clock): between pause() and resume()
  // run() starts no pass, and deliver_due() runs one at the clock's now.
  boost::asio::awaitable<void> pause() override { return passes_.lock(); }
  boost::asio::awaitable<void> deliver_due() override { return dispatch_due(); }
  void resume() override { passes_.unlock(); }

  // Several daemons on one database (PostgreSQL, issue 15): claims carry this daemon's lease
  // (`identity`, held for `lease` and renewed at every flush); at start only this identity's
  // previous life's sends and those whose lease ran out are taken back, never a live
  // neighbour's, and every pass takes back the sends of a daemon whose lease ran out (it died
  // and was not restarted). Without it (SQLite: one daemon per file) every "sending" message is
  // taken back at start, as before. Call before run().
  static constexpr std::chrono::seconds kDefaultLease{300};
  void share_database(std::string identity, std::chrono::seconds lease = kDefaultLease) {
    holder_ = std::move(identity);
    lease_ = lease;
  }

  // The duplicate bound (see the top): messages accepted by a channel and not yet recorded, at
  // most, at any moment; what a SIGKILL can make the next start send again.
  static constexpr int unrecorded_bound(int concurrency) {
    return std::max(128, 4 * std::max(1, concurrency));
  }
  // Answers that make a write start on their own (fewer wait for the bound or the pass's end).
  // Half the bound: each commit (a sync of the disk on SQLite) was about a third of the storage
  // threads' CPU per message at a quarter; a write under way still leaves `concurrency` in flight
  // and at least a quarter of the bound to answer before deliveries wait for it (issue 15).
  static constexpr int answers_per_commit(int concurrency) {
    return unrecorded_bound(concurrency) / 2;
  }
  // Due messages read at once; the feed reads again once fewer than this wait ready.
  static constexpr int claim_batch(int concurrency) { return 4 * unrecorded_bound(concurrency); }
  // Messages claimed in one write: a whole read. A claim deletes each message's entry of
  // outbox_by_recipient, whose entries lie spread over the index by recipient, so a claim dirties
  // (and its commit writes to the WAL) about a page per message up to the index's size: claims
  // of 128 wrote 13,032 pages per 10,000 webhook messages against 10,774 for claims of 512,
  // and took 45-55 µs of CPU per message against 41-42 (issue 15, loaded machine). The answers
  // waiting ride in the claim's transaction, so the writes of answers wait for it less.
  static constexpr int claim_chunk(int concurrency) { return claim_batch(concurrency); }

  // Something was enqueued: look again now instead of at the next due time.
  void wake() {
    woken_ = true;
    timer_.cancel();
  }

  const DispatchStats& stats() const { return stats_; }

 private:
  struct Deferral {
    std::int64_t id;
    TimePoint until;
    std::string reason;
  };

  // A pass's messages claimed ahead of their sending (outbox_dispatcher_feed.cpp): the next due
  // messages are read, gated and claimed while the ones claimed before go out, so the channel
  // never waits for a claim. Claimed messages not handed to a channel are outside the duplicate
  // bound; a pass that ends early gives them back (pending, their attempt returned).
  struct Feed {
    std::deque<OutboxRecord> ready;  // claimed, in claim order, not handed to a channel yet
    bool stop = false;               // the pass ends: claim no more
    bool done = false;               // the feeder returned (no more due, stopped, or failed)
    std::exception_ptr error;        // why it failed (a StorageError), rethrown by the pass
  };
  // Reads, routes, gates and claims due messages into `feed` until none is due or it is told
  // to stop; keeps at most about claim_batch() messages ready. Never throws (see Feed::error).
  boost::asio::awaitable<void> feed_pass(std::shared_ptr<Feed> feed);
  boost::asio::awaitable<void> feed(Feed& feed);
  // Claims `go` (gated, in order) in chunks, each chunk ready for sending once its claim
  // committed; a message someone else took meanwhile is left out.
  boost::asio::awaitable<void> claim_into(Feed& feed, std::vector<OutboxRecord> go);
  // Gives back a message claimed and never handed to a channel (pending again now).
  void give_back(const OutboxRecord& m, const char* reason);

  using RecipientKey = std::pair<std::string, std::string>;  // channel, recipient
  // Due reminders by recipient -> digests, single sends, or a wait for the window.
  boost::asio::awaitable<void> handle_digests(std::map<RecipientKey, std::vector<OutboxRecord>> due,
                                              TimePoint now, std::vector<Deferral>& deferrals,
                                              std::vector<OutboxRecord>& to_send);
  // Breaker and pacing: nullopt when `m` may go now.
  std::optional<Deferral> gate(const OutboxRecord& m, TimePoint now);
  // Whether one more delivery may start: fewer than `concurrency` in flight and fewer than
  // unrecorded_bound unrecorded (at the bound only a write makes room).
  bool room_for_delivery() const;
  bool at_unrecorded_bound() const;
  void release_slot();
  // Until a delivery ends, a write finishes or the feed changes: the pass waits on slot_timer_,
  // the feeder on feed_timer_ (a timer's expiry set anew cancels its other waiter).
  boost::asio::awaitable<std::tuple<boost::system::error_code>> wait_a_moment(
      boost::asio::steady_timer& timer);
  boost::asio::awaitable<std::tuple<boost::system::error_code>> wait_a_moment() {
    return wait_a_moment(slot_timer_);
  }
  // Wakes every waiter of wait_a_moment.
  void nudge() {
    slot_timer_.cancel();
    feed_timer_.cancel();
  }
  // This dispatcher's writes one at a time: write_turn() waits (on `timer`) for the running one
  // to end.
  boost::asio::awaitable<void> write_turn(boost::asio::steady_timer& timer);
  boost::asio::awaitable<void> write_turn() { return write_turn(slot_timer_); }
  void end_write();
  // Writes every buffered answer (sent, retry), in its turn; throws what the storage threw.
  boost::asio::awaitable<void> flush();
  // During a pass: a write of the waiting answers in the background, when none runs and
  // answers_per_commit wait (or any wait, with `force`).
  void start_flush(bool force);
  boost::asio::awaitable<void> flush_in_background();
  // Writes every waiting answer in one transaction; on failure they wait again (its error).
  boost::asio::awaitable<std::exception_ptr> write_waiting_answers();
  // The waiting answers, taken for one write (counted in flushing_ until it ends), and given
  // back in front of those answered since when that write was rolled back.
  std::vector<OutboxAnswer> take_answers();
  void end_answer_write(std::vector<OutboxAnswer>& taken, bool rolled_back);
  std::function<void(soci::session&)> record_answers(const std::vector<OutboxAnswer>& batch) const;
  std::size_t unrecorded() const { return std::size_t(in_flight_) + answers_.size() + flushing_; }
  // Delivers `m`, decides what its answer means (workflows/delivery_decisions.h) and applies it.
  boost::asio::awaitable<void> send_one(OutboxRecord m);
  // What goes to `m`'s channel: rendered, with its params and attachment; nullopt when the
  // text holds an unmasked ID number or phone (it never leaves).
  std::optional<OutgoingMessage> outgoing(const OutboxRecord& m) const;
  // Failed, dead or moved on: the row and its follow-ups (the copy on `person`'s next channel, or
  // dead letters to the county admins) in one transaction.
  boost::asio::awaitable<void> finish_failed(const OutboxRecord& m, const DeliveryDecision& d,
                                             const DeliveryAnswer& answer,
                                             std::shared_ptr<const Config> config,
                                             const Person* person);
  std::string render(const OutboxRecord& m, std::map<std::string, std::string>* params) const;
  // This daemon's claim from now on; nullopt unless share_database() was called.
  std::optional<OutboxLease> lease() const;
  CircuitBreaker& breaker(const std::string& channel);

  boost::asio::any_io_executor loop_;
  StorageExecutor& storage_;
  const Clock& clock_;
  std::shared_ptr<const Config> config_;
  Random random_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
  std::map<std::string, CircuitBreaker> breakers_;
  RecipientPacer pacer_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer slot_timer_;  // signalled when a delivery finishes
  boost::asio::steady_timer feed_timer_;  // the feeder's: signalled when the pass takes a message
  int in_flight_ = 0;
  std::vector<OutboxAnswer> answers_;  // answered, not yet recorded (flushed in batches)
  std::size_t flushing_ = 0;           // answers in the write under way
  bool writing_ = false;               // a write of this dispatcher runs (answers, claims)
  bool in_pass_ = false;               // background writes only during a pass
  std::exception_ptr flush_error_;     // a background write failed; the pass ends
  bool woken_ = false;                 // a wake() that came while not sleeping is not lost
  std::set<std::int64_t> probes_;      // messages sent as their channel's half-open probe
  LoopMutex passes_;                   // one delivery pass at a time (run() or an advance)
  DispatchStats stats_;
  std::string holder_;  // share_database(): this daemon's identity, else empty
  std::chrono::seconds lease_{0};
};

}  // namespace fangfan
