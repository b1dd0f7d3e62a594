// The outbox dispatcher's feed (outbox_dispatcher.h, Feed): due messages read, routed (quiet
// hours, digests), gated (breaker, pacing) and claimed ahead of their sending, so that a pass
// sends while the next messages are claimed instead of taking turns with the claims (issue 15:
// a claim of 512 messages held the channel idle for about a third of a drain's time).
// GCC 12.2 misreports Asio's coroutine frames as -Wmismatched-new-delete (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "adapters/storage/database.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "daemon/tasks/outbox_messages.h"
#include "workflows/delivery_rules.h"

namespace fangfan {

namespace asio = boost::asio;

namespace {

constexpr int kDigestLookup = 200;  // pending messages read per recipient

}  // namespace

void OutboxDispatcher::give_back(const OutboxRecord& m, const char* reason) {
  if (probes_.erase(m.id) > 0) breaker(m.channel).release_probe();
  OutboxAnswer a;
  a.id = m.id;
  a.at = clock_.now();
  a.count_attempt = false;
  a.hold_reason = reason;
  answers_.push_back(std::move(a));
}

asio::awaitable<void> OutboxDispatcher::feed_pass(std::shared_ptr<Feed> f) {
  try {
    co_await feed(*f);
  } catch (...) {
    f->error = std::current_exception();
  }
  f->done = true;
  slot_timer_.cancel();
}

asio::awaitable<void> OutboxDispatcher::feed(Feed& f) {
  for (;;) {
    // Enough waits ready: read again when the pass has taken some (the claims stay ahead of
    // the sends by up to one read).
    const int ahead = claim_batch(std::max(1, config_->delivery.concurrency));
    while (!f.stop && f.ready.size() >= std::size_t(ahead)) co_await wait_a_moment(feed_timer_);
    if (f.stop) co_return;
    const TimePoint now = clock_.now();
    const DeliveryPolicy& policy = config_->delivery;
    const int batch_size = claim_batch(std::max(1, policy.concurrency));
    // Read after the previous claim committed: the rows it took are no longer pending.
    auto batch = co_await storage_.run(
        [now, batch_size](soci::session& s) { return due_outbox(s, now, batch_size); });
    if (f.stop) co_return;

    std::vector<Deferral> deferrals;
    std::vector<OutboxRecord> to_send;
    std::map<RecipientKey, std::vector<OutboxRecord>> reminders;
    for (auto& m : batch) {
      const DueRoute route = route_due(policy, m.channel, m.message_type, m.attempts, now);
      switch (route.kind) {
        case DueRoute::Kind::kHold:
          deferrals.push_back({m.id, route.until, route.reason});
          break;
        case DueRoute::Kind::kDigest:
          reminders[{m.channel, m.recipient}].push_back(std::move(m));
          break;
        case DueRoute::Kind::kSend:
          to_send.push_back(std::move(m));
          break;
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
    // This dispatcher's writes take turns (a flush of answers may be under way): on SQLite two
    // at once would only wait for each other's lock.
    if (!deferrals.empty()) {
      co_await write_turn(feed_timer_);
      auto defer = [&deferrals](soci::session& s) {
        WriteTransaction tx(s);
        for (const auto& d : deferrals) defer_outbox(s, d.id, d.until, d.reason);
        tx.commit();
      };
      try {
        co_await storage_.run(std::move(defer));
      } catch (...) {
        end_write();
        throw;
      }
      end_write();
      stats_.deferred += static_cast<long long>(deferrals.size());
      spdlog::debug("outbox.deferred count={}", deferrals.size());
    }
    co_await claim_into(f, std::move(go));
    if (f.stop || batch.size() < std::size_t(batch_size)) co_return;
    // More are due: let the rest of the loop run first, then go on.
    co_await asio::post(loop_, asio::use_awaitable);
  }
}

asio::awaitable<void> OutboxDispatcher::claim_into(Feed& f, std::vector<OutboxRecord> go) {
  const std::size_t chunk = std::size_t(claim_chunk(std::max(1, config_->delivery.concurrency)));
  for (std::size_t from = 0; from < go.size(); from += chunk) {
    const std::size_t to = std::min(go.size(), from + chunk);
    bool turn = false;
    if (!f.stop) {
      co_await write_turn(feed_timer_);
      turn = true;
    }
    if (f.stop) {
      // The pass ended: what was gated and not claimed stays pending (its probe freed).
      if (turn) end_write();
      for (std::size_t i = from; i < go.size(); ++i) {
        if (probes_.erase(go[i].id) > 0) breaker(go[i].channel).release_probe();
      }
      co_return;
    }
    // One statement per chunk, in one transaction with the answers that wait (SQLite syncs
    // every commit): the claims ahead cost no commit of their own while messages go out.
    std::vector<std::int64_t> ids;
    ids.reserve(to - from);
    for (std::size_t i = from; i < to; ++i) ids.push_back(go[i].id);
    std::vector<OutboxAnswer> answers = take_answers();
    auto claim = [&ids, &answers, lease = lease()](soci::session& s) {
      auto claimed = record_answers_and_claim(s, answers, ids, lease ? &*lease : nullptr);
      if (lease && !answers.empty()) renew_outbox_leases(s, *lease);
      return claimed;
    };
    std::vector<std::int64_t> claimed_ids;
    std::exception_ptr failed;
    try {
      claimed_ids = co_await storage_.run(std::move(claim));
    } catch (...) {
      failed = std::current_exception();
    }
    end_answer_write(answers, failed != nullptr);
    if (failed) {
      end_write();
      std::rethrow_exception(failed);
    }
    ++stats_.claims;
    stats_.claimed += static_cast<long long>(claimed_ids.size());
    stats_.answers_with_claims += static_cast<long long>(answers.size());
    end_write();
    start_flush(false);
    // Nearly always every one: then no set is built.
    const bool all = claimed_ids.size() == ids.size();
    const std::set<std::int64_t> claimed =
        all ? std::set<std::int64_t>()
            : std::set<std::int64_t>(claimed_ids.begin(), claimed_ids.end());
    for (std::size_t i = from; i < to; ++i) {
      OutboxRecord& m = go[i];
      if (!all && !claimed.count(m.id)) {  // someone else took it
        if (probes_.erase(m.id) > 0) breaker(m.channel).release_probe();
        continue;
      }
      ++m.attempts;
      f.ready.push_back(std::move(m));
    }
    slot_timer_.cancel();
  }
}

asio::awaitable<void> OutboxDispatcher::handle_digests(
    std::map<RecipientKey, std::vector<OutboxRecord>> due, TimePoint now,
    std::vector<Deferral>& deferrals, std::vector<OutboxRecord>& to_send) {
  const DeliveryPolicy& policy = config_->delivery;
  for (auto& [key, due_rows] : due) {
    const std::string& channel = key.first;
    const std::string& recipient = key.second;
    auto lookup = [&, now](soci::session& s) {
      return pending_for_recipient(s, channel, recipient, now, kDigestLookup);
    };
    auto pending = co_await storage_.run(lookup);
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
            deferrals.push_back({id, group.ready_at, digest_hold_reason(group.ready_at)});
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
      d.person = first.person;  // every member goes to this address; its fallback is theirs
      // Named, not a temporary inside co_await (GCC 12).
      auto queue = [&](soci::session& s) -> std::optional<OutboxRecord> {
        auto id = queue_digest(s, d, group.ids);
        if (!id) return std::nullopt;
        return load_outbox(s, *id);
      };
      auto digest_row = co_await storage_.run(queue);
      if (!digest_row) continue;  // a member was taken meanwhile; next pass regroups
      ++stats_.digests;
      stats_.digested += static_cast<long long>(group.ids.size());
      spdlog::info("outbox.digest id={} channel={} recipient={} members={}", digest_row->id,
                   channel, mask_recipient(recipient), group.ids.size());
      to_send.push_back(std::move(*digest_row));
    }
  }
}

}  // namespace fangfan
