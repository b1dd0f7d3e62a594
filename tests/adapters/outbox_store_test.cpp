// The outbox store's delivery functions (issue 6) on SQLite and on PostgreSQL: deferral,
// rate-limit refunds, provider codes, digests that carry their members, fallback and
// dead-letter follow-ups in one transaction. Compiled once per backend like the storage suite.
#include "adapters/storage/outbox_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_answers.h"
#include "tests/support/test_database.h"
#include "workflows/message_templates.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::Backend;

// outbox_by_recipient's condition on the type, as SQLite needs a query to repeat it.
const std::string kDigestibleSqlite =
    " AND (substr(message_type, -9) = '_reminder' OR substr(message_type, -8) = '_overdue'"
    " OR message_type = 'evaluation_task')";

TimePoint t0() { return china_time(Date{std::chrono::year(2025) / std::chrono::March / 3}, 9h); }

NewOutboxMessage message(std::string key, std::string recipient = "zhangwei",
                         std::string type = "visit_overdue", TimePoint created = t0()) {
  NewOutboxMessage m;
  m.dedupe_key = std::move(key);
  m.channel = "wechat_app";
  m.recipient = std::move(recipient);
  m.message_type = std::move(type);
  m.body = R"({"household":"王*"})";
  m.created_at = created;
  m.next_attempt_at = created;
  return m;
}

class OutboxStore : public test::DatabaseTest {
 protected:
  void SetUp() override { open_database("outbox", t0()); }
  OutboxRecord load(std::int64_t id) {
    auto m = load_outbox(s(), id);
    EXPECT_TRUE(m.has_value()) << id;
    return m.value_or(OutboxRecord{});
  }
};

TEST_P(OutboxStore, KeepsThePersonAMessageIsFor) {
  NewOutboxMessage m = message("for-someone");
  m.person = "李明@379901001001";
  const auto id = enqueue_outbox(s(), m).id;
  EXPECT_EQ(load(id).person, "李明@379901001001");
  // For nobody in particular: stored NULL, read back empty.
  const auto nobody = enqueue_outbox(s(), message("for-nobody")).id;
  EXPECT_EQ(load(nobody).person, "");
  int nulls = 0;
  s() << "SELECT COUNT(*) FROM outbox WHERE person IS NULL", soci::into(nulls);
  EXPECT_EQ(nulls, 1);
}

TEST_P(OutboxStore, DeferMovesAPendingMessageWithoutUsingAnAttempt) {
  const auto id = enqueue_outbox(s(), message("a")).id;
  EXPECT_TRUE(defer_outbox(s(), id, t0() + 23h, "静默时段，08:00 后发送 (quiet hours)"));
  auto m = load(id);
  EXPECT_EQ(m.status, OutboxStatus::kPending);
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ(m.next_attempt_at, t0() + 23h);
  EXPECT_EQ(m.hold_reason, "静默时段，08:00 后发送 (quiet hours)");
  EXPECT_EQ(m.last_error, "");
  EXPECT_TRUE(due_outbox(s(), t0() + 1h, 10).empty());
  ASSERT_TRUE(claim_outbox(s(), id));
  EXPECT_EQ(load(id).hold_reason, "");                   // taken: no longer waiting
  EXPECT_FALSE(defer_outbox(s(), id, t0() + 24h, "x"));  // only pending messages wait
}

TEST_P(OutboxStore, DeferKeepsTheProvidersLastError) {
  const auto id = enqueue_outbox(s(), message("a")).id;
  ASSERT_TRUE(claim_outbox(s(), id));
  ASSERT_TRUE(mark_outbox_retry(s(), id, "HTTP 502", t0() + 1min, true, "502"));
  ASSERT_TRUE(defer_outbox(s(), id, t0() + 5min, "渠道暂停 (breaker)"));
  auto m = load(id);
  EXPECT_EQ(m.last_error, "HTTP 502");
  EXPECT_EQ(m.provider_code, "502");
  EXPECT_EQ(m.hold_reason, "渠道暂停 (breaker)");
  EXPECT_EQ(m.attempts, 1);
}

TEST_P(OutboxStore, UnclaimGivesTheAttemptBackUnsent) {
  const auto id = enqueue_outbox(s(), message("a")).id;
  ASSERT_TRUE(claim_outbox(s(), id));
  ASSERT_TRUE(mark_outbox_retry(s(), id, "HTTP 502", t0(), true, "502"));
  ASSERT_TRUE(claim_outbox(s(), id));
  EXPECT_EQ(load(id).attempts, 2);
  std::vector<OutboxAnswer> answers(1);
  answers[0].id = id;
  answers[0].at = t0() + 5min;
  answers[0].hold_reason = "渠道暂停 (breaker)";
  EXPECT_EQ(record_outbox_answers(s(), answers), 1);
  auto m = load(id);
  EXPECT_EQ(m.status, OutboxStatus::kPending);
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.last_error, "HTTP 502");
  EXPECT_EQ(m.hold_reason, "渠道暂停 (breaker)");
  EXPECT_EQ(m.next_attempt_at, t0() + 5min);
  EXPECT_FALSE(unclaim_outbox(s(), id, t0(), "x"));  // only a claimed message goes back
}

TEST_P(OutboxStore, RateLimitedRetryGivesTheAttemptBackAndKeepsTheCode) {
  const auto id = enqueue_outbox(s(), message("a")).id;
  ASSERT_TRUE(claim_outbox(s(), id));
  EXPECT_TRUE(
      mark_outbox_retry(s(), id, "45009 api freq out of limit", t0() + 1min, false, "45009"));
  auto m = load(id);
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ(m.provider_code, "45009");
  ASSERT_TRUE(claim_outbox(s(), id));
  EXPECT_TRUE(mark_outbox_retry(s(), id, "HTTP 503", t0() + 2min));
  EXPECT_EQ(load(id).attempts, 1);
  ASSERT_TRUE(claim_outbox(s(), id));
  EXPECT_TRUE(mark_outbox_sent(s(), id, "msgid-77", t0() + 3min, "0"));
  m = load(id);
  EXPECT_EQ(m.status, OutboxStatus::kSent);
  EXPECT_EQ(m.provider_message_id, "msgid-77");
  EXPECT_EQ(m.provider_code, "0");
  EXPECT_EQ(m.last_error, "");
}

TEST_P(OutboxStore, PendingForRecipientTakesOnlyFreshUngroupedMessagesOldestFirst) {
  const auto b = enqueue_outbox(s(), message("b", "zhangwei", "visit_overdue", t0() + 2s)).id;
  const auto a = enqueue_outbox(s(), message("a", "zhangwei", "visit_overdue", t0())).id;
  enqueue_outbox(s(), message("other", "lina"));
  enqueue_outbox(s(), message("later", "zhangwei", "visit_overdue", t0() + 1h));
  const auto tried = enqueue_outbox(s(), message("tried")).id;
  ASSERT_TRUE(claim_outbox(s(), tried));
  ASSERT_TRUE(mark_outbox_retry(s(), tried, "HTTP 500", t0()));
  const auto got = pending_for_recipient(s(), "wechat_app", "zhangwei", t0() + 1min, 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, a);
  EXPECT_EQ(got[1].id, b);
  EXPECT_EQ(pending_for_recipient(s(), "wechat_app", "zhangwei", t0() + 1min, 1).size(), 1u);
  EXPECT_TRUE(pending_for_recipient(s(), "sms_aliyun", "zhangwei", t0() + 1min, 10).empty());
}

// The recipient's digest candidates are of the types a digest gathers, exactly as
// workflows/message_templates.h is_digestible says (outbox_by_recipient holds those alone: a
// type the SQL misses would never be gathered, one it adds would cost every enqueue and claim).
TEST_P(OutboxStore, PendingForRecipientTakesTheTypesADigestGathers) {
  const std::vector<std::string> types = {"visit_overdue",   "step_reminder", "evaluation_task",
                                          "written_notice",  "dead_letter",   "digest",
                                          "reminder",        "overdue",       "evaluation_tasks",
                                          "x_reminder_sent", "case_overdue"};
  std::map<std::int64_t, std::string> by_id;
  for (const auto& type : types) {
    by_id[enqueue_outbox(s(), message("type/" + type, "wangfang", type)).id] = type;
  }
  std::set<std::string> got;
  for (const auto& m : pending_for_recipient(s(), "wechat_app", "wangfang", t0(), 100)) {
    got.insert(by_id.at(m.id));
  }
  for (const auto& type : types) EXPECT_EQ(got.count(type) > 0, is_digestible(type)) << type;
  EXPECT_EQ(got.size(), 4u);  // visit_overdue, step_reminder, evaluation_task, case_overdue
}

TEST_P(OutboxStore, DigestCarriesItsMembersThroughSent) {
  std::vector<std::int64_t> members;
  for (int i = 0; i < 3; ++i) {
    members.push_back(enqueue_outbox(s(), message("v" + std::to_string(i))).id);
  }
  auto d = message("digest:x", "zhangwei", "digest");
  const auto digest = queue_digest(s(), d, members);
  ASSERT_TRUE(digest.has_value());
  for (auto id : members) {
    auto m = load(id);
    EXPECT_EQ(m.status, OutboxStatus::kSending);
    EXPECT_EQ(m.digest_of, digest);
  }
  EXPECT_EQ(digest_members(s(), *digest).size(), 3u);
  // Only the digest is due; its members are not.
  const auto due = due_outbox(s(), t0() + 1h, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, *digest);
  // A crash mid-send: the digest returns to pending, its members keep waiting on it.
  ASSERT_TRUE(claim_outbox(s(), *digest));
  EXPECT_EQ(recover_stuck_sending(s(), t0() + 1min), 1);
  EXPECT_EQ(load(members[0]).status, OutboxStatus::kSending);
  ASSERT_TRUE(claim_outbox(s(), *digest));
  ASSERT_TRUE(mark_outbox_sent(s(), *digest, "msgid-9", t0() + 2min, "0"));
  for (auto id : members) {
    auto m = load(id);
    EXPECT_EQ(m.status, OutboxStatus::kSent);
    EXPECT_EQ(m.provider_message_id, "msgid-9");
    EXPECT_EQ(m.sent_at, t0() + 2min);
  }
}

TEST_P(OutboxStore, DigestRefusedWhenAMemberWasTakenMeanwhile) {
  const auto a = enqueue_outbox(s(), message("a")).id;
  const auto b = enqueue_outbox(s(), message("b")).id;
  ASSERT_TRUE(claim_outbox(s(), b));
  EXPECT_EQ(queue_digest(s(), message("digest:y", "zhangwei", "digest"), {a, b}), std::nullopt);
  // Nothing changed: no digest row, the free member still pending.
  EXPECT_EQ(load(a).status, OutboxStatus::kPending);
  EXPECT_EQ(load(a).digest_of, std::nullopt);
  EXPECT_EQ(list_outbox(s(), std::nullopt, 10).size(), 2u);
}

TEST_P(OutboxStore, DeadDigestTakesItsMembersAndAnOperatorRetryBringsThemBack) {
  const auto a = enqueue_outbox(s(), message("a")).id;
  const auto b = enqueue_outbox(s(), message("b")).id;
  const auto digest = *queue_digest(s(), message("digest:z", "zhangwei", "digest"), {a, b});
  ASSERT_TRUE(claim_outbox(s(), digest));
  auto notice =
      message("dead_letter:" + std::to_string(digest) + ":周建国@379901", "周建国", "dead_letter");
  const FailResult r =
      fail_outbox(s(), digest, OutboxStatus::kDead, "HTTP 503", "503", {notice}, false);
  EXPECT_TRUE(r.changed);
  ASSERT_EQ(r.follow_ups.size(), 1u);
  EXPECT_TRUE(r.follow_ups[0].inserted);
  EXPECT_EQ(load(digest).status, OutboxStatus::kDead);
  EXPECT_EQ(load(a).status, OutboxStatus::kDead);
  EXPECT_NE(load(a).last_error.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(load(r.follow_ups[0].id).message_type, "dead_letter");
  // Failing again is refused and queues nothing more.
  EXPECT_FALSE(fail_outbox(s(), digest, OutboxStatus::kDead, "x", "", {notice}, false).changed);

  ASSERT_TRUE(requeue_outbox(s(), digest, t0() + 1h));
  EXPECT_EQ(load(digest).status, OutboxStatus::kPending);
  EXPECT_EQ(load(a).status, OutboxStatus::kSending);
  EXPECT_EQ(load(b).digest_of, digest);
  ASSERT_TRUE(cancel_outbox(s(), digest));
  EXPECT_EQ(load(a).status, OutboxStatus::kCancelled);
  EXPECT_EQ(load(b).status, OutboxStatus::kCancelled);
}

TEST_P(OutboxStore, FallbackMovesDigestMembersToTheNextChannelsCopy) {
  const auto a = enqueue_outbox(s(), message("a")).id;
  const auto b = enqueue_outbox(s(), message("b")).id;
  const auto digest = *queue_digest(s(), message("digest:f", "zhangwei", "digest"), {a, b});
  ASSERT_TRUE(claim_outbox(s(), digest));
  NewOutboxMessage next = message("digest:f>sms_aliyun", "13900000011", "digest");
  next.channel = "sms_aliyun";
  const FailResult r = fail_outbox(s(), digest, OutboxStatus::kFailed, "60020 not allow to access",
                                   "60020", {next}, true);
  ASSERT_TRUE(r.changed);
  const auto copy = r.follow_ups.at(0).id;
  EXPECT_EQ(load(digest).status, OutboxStatus::kFailed);
  EXPECT_EQ(load(digest).provider_code, "60020");
  EXPECT_EQ(load(a).status, OutboxStatus::kSending);
  EXPECT_EQ(load(a).digest_of, copy);
  EXPECT_EQ(digest_members(s(), copy).size(), 2u);
  EXPECT_EQ(load(copy).channel, "sms_aliyun");
}

TEST_P(OutboxStore, MemberRetriedOnItsOwnLeavesItsDigest) {
  const auto a = enqueue_outbox(s(), message("a")).id;
  const auto digest = *queue_digest(s(), message("digest:m", "zhangwei", "digest"), {a});
  ASSERT_TRUE(claim_outbox(s(), digest));
  ASSERT_TRUE(mark_outbox_failed(s(), digest, OutboxStatus::kFailed, "93000 invalid webhook"));
  EXPECT_EQ(load(a).status, OutboxStatus::kFailed);
  ASSERT_TRUE(requeue_outbox(s(), a, t0() + 1h));
  EXPECT_EQ(load(a).status, OutboxStatus::kPending);
  EXPECT_EQ(load(a).digest_of, std::nullopt);
  // Queued anew: [delivery] give_up_after counts from the operator's retry.
  EXPECT_EQ(load(a).created_at, t0() + 1h);
  EXPECT_EQ(load(a).next_attempt_at, t0() + 1h);
}

TEST_P(OutboxStore, ClaimManyAndRecordAnswersInOneTransactionEach) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(enqueue_outbox(s(), message("k" + std::to_string(i))).id);
  ASSERT_TRUE(claim_outbox(s(), ids[4]));  // taken meanwhile
  const auto claimed = claim_outbox_many(s(), ids);
  EXPECT_EQ(claimed, (std::vector<std::int64_t>{ids[0], ids[1], ids[2], ids[3]}));
  // One attempt each: on SQLite a claim of all ids first, undone when one was taken, then the
  // claim that says which.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(load(ids[i]).attempts, 1) << i;
  std::vector<OutboxAnswer> answers;
  answers.push_back({ids[0], true, "pm-0", "0", "", t0() + 1min, true});
  answers.push_back({ids[1], false, "", "503", "HTTP 503", t0() + 5min, true});
  answers.push_back({ids[2], false, "", "45009", "45009 freq", t0() + 2min, false});
  answers.push_back({999999, true, "pm-x", "0", "", t0(), true});  // unknown: changes nothing
  EXPECT_EQ(record_outbox_answers(s(), answers), 3);
  EXPECT_EQ(load(ids[0]).status, OutboxStatus::kSent);
  EXPECT_EQ(load(ids[0]).provider_message_id, "pm-0");
  EXPECT_EQ(load(ids[1]).status, OutboxStatus::kPending);
  EXPECT_EQ(load(ids[1]).attempts, 1);
  EXPECT_EQ(load(ids[1]).next_attempt_at, t0() + 5min);
  EXPECT_EQ(load(ids[2]).attempts, 0);
  EXPECT_EQ(load(ids[3]).status, OutboxStatus::kSending);
}

// The dispatcher's claim ahead carries the answers that wait (issue 15): one transaction, the
// answers recorded as record_outbox_answers does and the ids claimed as claim_outbox_many does.
// A row taken meanwhile makes the SQLite claim of every id undo itself (a savepoint), not the
// answers.
TEST_P(OutboxStore, RecordAnswersAndClaimWritesBothInOneTransaction) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i)
    ids.push_back(enqueue_outbox(s(), message("ac" + std::to_string(i))).id);
  ASSERT_EQ(claim_outbox_many(s(), {ids[0], ids[1]}).size(), 2u);
  std::vector<OutboxAnswer> answers;
  answers.push_back({ids[0], true, "pm-0", "0", "", t0() + 1min, true});
  answers.push_back({ids[1], false, "", "503", "HTTP 503", t0() + 5min, true});
  const OutboxLease lease{"host:a", t0() + 5min};
  EXPECT_EQ(record_answers_and_claim(s(), answers, {ids[2], ids[3]}, &lease),
            (std::vector<std::int64_t>{ids[2], ids[3]}));
  EXPECT_EQ(load(ids[0]).status, OutboxStatus::kSent);
  EXPECT_EQ(load(ids[0]).provider_message_id, "pm-0");
  EXPECT_EQ(load(ids[1]).status, OutboxStatus::kPending);
  EXPECT_EQ(load(ids[1]).next_attempt_at, t0() + 5min);
  for (const auto id : {ids[2], ids[3]}) {
    EXPECT_EQ(load(id).status, OutboxStatus::kSending) << id;
    EXPECT_EQ(load(id).attempts, 1) << id;
  }
  EXPECT_EQ(renew_outbox_leases(s(), {"host:a", t0() + 10min}), 2);

  // ids[4] taken meanwhile: the others are claimed once each, the answers recorded once.
  ASSERT_TRUE(claim_outbox(s(), ids[4]));
  answers.clear();
  answers.push_back({ids[2], true, "pm-2", "0", "", t0() + 2min, true});
  EXPECT_EQ(record_answers_and_claim(s(), answers, {ids[4], ids[5], ids[1]}),
            (std::vector<std::int64_t>{ids[5], ids[1]}));
  EXPECT_EQ(load(ids[2]).status, OutboxStatus::kSent);
  EXPECT_EQ(load(ids[2]).provider_message_id, "pm-2");
  EXPECT_EQ(load(ids[4]).attempts, 1);
  EXPECT_EQ(load(ids[5]).attempts, 1);
  EXPECT_EQ(load(ids[1]).attempts, 2);  // its retry counted one, this claim another
  EXPECT_EQ(load(ids[1]).status, OutboxStatus::kSending);

  // Without answers it is claim_outbox_many.
  EXPECT_TRUE(record_answers_and_claim(s(), {}, {ids[5]}).empty());
}

// Sent answers are written several rows per statement (64, 16, 4, then 1; outbox_answers.h): every
// group size reaches each row with its own provider id, code and time, leaves rows that are no
// longer "sending" alone, and carries a digest's members (only a digest that changed).
TEST_P(OutboxStore, RecordAnswersMarksEverySentRowAndItsDigestMembersInAnyGroupSize) {
  struct Case {
    int answers;      // sent answers in the group
    int not_sending;  // of them, every n-th is pending (never claimed): unchanged; 0 = none
    bool digest;      // the last answer is a digest with two members
  };
  const std::vector<Case> cases = {{1, 0, false}, {1, 0, true},   {7, 3, false},  {8, 0, true},
                                   {9, 4, true},  {64, 0, false}, {73, 5, true},  {130, 7, false},
                                   {2, 2, true},  {21, 0, true},  {16, 3, false}, {4, 0, true}};
  int serial = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answers);
    std::vector<std::int64_t> ids, members;
    std::vector<bool> claimed;
    for (int i = 0; i < c.answers; ++i) {
      const std::string key = "g" + std::to_string(serial++);
      if (c.digest && i == c.answers - 1) {
        for (int m = 0; m < 2; ++m) {
          members.push_back(enqueue_outbox(s(), message(key + "-m" + std::to_string(m))).id);
        }
        auto d = message(key, "zhangwei", "digest");
        ids.push_back(queue_digest(s(), d, members).value_or(0));
      } else {
        ids.push_back(enqueue_outbox(s(), message(key)).id);
      }
      claimed.push_back(c.not_sending == 0 || i % c.not_sending != 1);
      if (claimed.back()) {
        ASSERT_TRUE(claim_outbox(s(), ids.back()));
      }
    }
    std::vector<OutboxAnswer> answers;
    for (int i = 0; i < c.answers; ++i) {
      answers.push_back({ids[i], true, "pm-" + std::to_string(ids[i]), "c" + std::to_string(i), "",
                         t0() + std::chrono::seconds(i), true});
    }
    const int expected = int(std::count(claimed.begin(), claimed.end(), true));
    EXPECT_EQ(record_outbox_answers(s(), answers), expected);
    for (int i = 0; i < c.answers; ++i) {
      const auto m = load(ids[i]);
      EXPECT_EQ(m.status, claimed[i] ? OutboxStatus::kSent : OutboxStatus::kPending) << i;
      if (!claimed[i]) continue;
      EXPECT_EQ(m.provider_message_id, "pm-" + std::to_string(ids[i])) << i;
      EXPECT_EQ(m.provider_code, "c" + std::to_string(i)) << i;
      EXPECT_EQ(m.sent_at, t0() + std::chrono::seconds(i)) << i;
    }
    for (const auto member : members) {
      const auto m = load(member);
      EXPECT_EQ(m.status, claimed.back() ? OutboxStatus::kSent : OutboxStatus::kSending);
      if (claimed.back()) {
        EXPECT_EQ(m.provider_message_id, "pm-" + std::to_string(ids.back()));
      }
    }
  }
}

// Two claimers of one batch (issue 15): each row goes to one of them. On PostgreSQL a row the
// other claimer's open transaction holds is skipped at once (FOR UPDATE SKIP LOCKED), not waited
// for (lock_timeout turns a wait into a failure), and is claimable once that transaction ends.
// A claim carries its lease; more ids than one statement takes are claimed all the same.
TEST_P(OutboxStore, ClaimManyTakesEachRowOnceAndSkipsRowsAnotherClaimerHolds) {
  struct Row {
    const char* key;
    const char* before;  // "pending", "sending" (claimed already), "held" (locked by the other)
    bool first_claim;    // claimed by the first claim_outbox_many
    bool second_claim;   // claimed by the second, after the other transaction ended
  };
  const bool shared = GetParam() == Backend::kPostgresql;
  const std::vector<Row> rows = {
      {"pending-a", "pending", true, false},
      {"sending", "sending", false, false},
      {"held", shared ? "held" : "pending", !shared, shared},
      {"pending-b", "pending", true, false},
  };
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> held;
  for (const Row& r : rows) {
    ids.push_back(enqueue_outbox(s(), message(r.key)).id);
    if (std::string(r.before) == "sending") {
      ASSERT_TRUE(claim_outbox(s(), ids.back()));
    }
    if (std::string(r.before) == "held") held.push_back(ids.back());
  }
  auto other = db_->open_session();
  std::optional<WriteTransaction> holding;
  if (!held.empty()) {
    holding.emplace(*other);
    long long id = held.front();
    *other << "SELECT id FROM outbox WHERE id = :id FOR UPDATE", soci::use(id);
    s() << "SET lock_timeout = '2s'";
  }
  const OutboxLease lease{"host:a", t0() + 5min};
  std::vector<std::int64_t> first, second;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].first_claim) first.push_back(ids[i]);
    if (rows[i].second_claim) second.push_back(ids[i]);
  }
  EXPECT_EQ(claim_outbox_many(s(), ids, &lease), first);
  holding.reset();  // the other claimer's transaction ends without taking the row
  EXPECT_EQ(claim_outbox_many(s(), ids, &lease), second);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const OutboxRecord m = load(ids[i]);
    EXPECT_EQ(m.status, OutboxStatus::kSending) << rows[i].key;
    EXPECT_EQ(m.attempts, 1) << rows[i].key;
  }
  // The lease went with the claim: this holder's renewal reaches exactly its claims.
  EXPECT_EQ(renew_outbox_leases(s(), {"host:a", t0() + 10min}),
            static_cast<int>(first.size() + second.size()));

  // One statement per 1,000 ids: a bigger batch is claimed whole, in the order given.
  std::vector<std::int64_t> many;
  {
    WriteTransaction tx(s());
    for (int i = 0; i < 2500; ++i)
      many.push_back(enqueue_outbox(s(), message("many/" + std::to_string(i))).id);
    tx.commit();
  }
  std::reverse(many.begin(), many.end());
  EXPECT_EQ(claim_outbox_many(s(), many), many);
  EXPECT_TRUE(claim_outbox_many(s(), many).empty());
}

// Claiming and recording a message moves one index entry, not four (issue 15): the due and
// recipient indexes hold pending rows only, the digest index only rows of a digest, and the
// readers of each still find their rows through an index (on SQLite: no scan of the table, and
// the listing by status reads its page in id order without a sort).
TEST_P(OutboxStore, IndexesHoldPendingRowsAndEveryReaderUsesOne) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(enqueue_outbox(s(), message("ix" + std::to_string(i))).id);
  ASSERT_EQ(claim_outbox_many(s(), {ids[0], ids[1]}).size(), 2u);
  std::vector<OutboxAnswer> answers;
  answers.push_back({ids[0], true, "pm-0", "0", "", t0(), true});
  ASSERT_EQ(record_outbox_answers(s(), answers), 1);
  const auto count = [&](const std::string& sql) {
    long long n = -1;
    s() << sql, soci::into(n);
    return n;
  };
  const bool sqlite = GetParam() == Backend::kSqlite;
  for (const std::string name : {"outbox_by_due", "outbox_by_recipient"}) {
    EXPECT_EQ(count(sqlite ? "SELECT COUNT(*) FROM sqlite_master WHERE name = '" + name +
                                 "' AND sql LIKE '%WHERE status = ''pending''%'"
                           : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = '" + name +
                                 "' AND indexdef LIKE '%WHERE%status%pending%'"),
              1)
        << name;
  }
  EXPECT_EQ(count(sqlite ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'outbox_by_digest'"
                           " AND sql LIKE '%WHERE digest_of IS NOT NULL%'"
                         : "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'outbox_by_digest'"
                           " AND indexdef LIKE '%WHERE%digest_of IS NOT NULL%'"),
            1);
  // What the readers see is unchanged: the due rows, the recipient's pending rows, every status.
  EXPECT_EQ(due_outbox(s(), t0(), 10).size(), 2u);
  EXPECT_EQ(pending_for_recipient(s(), "wechat_app", "zhangwei", t0(), 10).size(), 2u);
  EXPECT_EQ(list_outbox(s(), OutboxStatus::kSending, 10).size(), 1u);
  EXPECT_EQ(list_outbox(s(), OutboxStatus::kSent, 10).front().id, ids[0]);
  EXPECT_EQ(list_outbox(s(), OutboxStatus::kPending, 10).front().id, ids[3]);
  if (!sqlite) {
    // PostgreSQL plans from statistics this small table does not have; with scans of the table
    // off it shows which index it takes for the pending readers: the partial ones.
    s() << "SET enable_seqscan = off";
    const auto plan = [&](const std::string& sql) {
      std::string details, line;
      soci::statement st = (s().prepare << "EXPLAIN " + sql, soci::into(line));
      st.execute();
      while (st.fetch()) details += line + "; ";
      return details;
    };
    const std::string due = plan(
        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= 1"
        " ORDER BY next_attempt_at, id LIMIT 5");
    EXPECT_NE(due.find("outbox_by_due"), std::string::npos) << due;
    const std::string recipient = plan(
        "SELECT id FROM outbox WHERE status = 'pending' AND channel = 'a' AND recipient = 'b'"
        " AND attempts = 0 AND digest_of IS NULL AND (right(message_type, 9) = '_reminder' OR"
        " right(message_type, 8) = '_overdue' OR message_type = 'evaluation_task')"
        " AND created_at <= 1 ORDER BY created_at, id");
    EXPECT_NE(recipient.find("outbox_by_recipient"), std::string::npos) << recipient;
    s() << "RESET enable_seqscan";
    return;
  }
  // The partial indexes hold their own rows only (a partial index counts only its rows).
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox INDEXED BY outbox_by_due WHERE status = 'pending'"),
            2);
  // outbox_by_recipient: the never-attempted pending rows of the types a digest gathers (these
  // are reminders; a written notice enqueued now is not in it).
  enqueue_outbox(s(), message("ix-notice", "zhangwei", "written_notice"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox INDEXED BY outbox_by_recipient"
                  " WHERE status = 'pending' AND attempts = 0 AND digest_of IS NULL" +
                  kDigestibleSqlite),
            2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"), 3);
  const auto plan = [&](const std::string& sql) {
    std::string details;
    soci::rowset<soci::row> rows = s().prepare << "EXPLAIN QUERY PLAN " + sql;
    for (const soci::row& r : rows) details += r.get<std::string>(3) + "; ";
    return details;
  };
  // The statements of outbox_store.cpp (a scan or a sort here would read every message ever sent;
  // without likely() the planner would read every pending row through outbox_by_status).
  const std::string due = plan(
      "SELECT id FROM outbox WHERE likely(status = 'pending') AND next_attempt_at <= 1"
      " ORDER BY next_attempt_at, id LIMIT 5");
  EXPECT_NE(due.find("INDEX outbox_by_due"), std::string::npos) << due;
  EXPECT_EQ(due.find("TEMP B-TREE"), std::string::npos) << due;
  const std::string next =
      plan("SELECT MIN(next_attempt_at) FROM outbox WHERE likely(status = 'pending')");
  EXPECT_NE(next.find("INDEX outbox_by_due"), std::string::npos) << next;
  const std::string recipient = plan(
      "SELECT id FROM outbox WHERE likely(status = 'pending') AND channel = 'a' AND recipient = 'b'"
      " AND attempts = 0 AND digest_of IS NULL" +
      kDigestibleSqlite + " AND created_at <= 1 ORDER BY created_at, id");
  EXPECT_NE(recipient.find("INDEX outbox_by_recipient"), std::string::npos) << recipient;
  for (const std::string status : {"'pending'", "'sent'", "'dead'"}) {
    const std::string listing =
        plan("SELECT id FROM outbox WHERE status = " + status + " ORDER BY id DESC LIMIT 50");
    EXPECT_NE(listing.find("INDEX outbox_by_status"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("TEMP B-TREE"), std::string::npos) << listing;
  }
  // The claim and the answers' UPDATE find their rows by id, not through outbox_by_status, which
  // they change (the UPDATE then could not run in one pass).
  const std::string claim = plan(
      "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE +status = 'pending'"
      " AND id IN (1, 2, 3) RETURNING id");
  EXPECT_NE(claim.find("INTEGER PRIMARY KEY"), std::string::npos) << claim;
  EXPECT_EQ(claim.find("outbox_by_status"), std::string::npos) << claim;
  for (const auto form : {storage_detail::MarkSent::kPlain, storage_detail::MarkSent::kReturning}) {
    for (const int rows : {1, 8}) {
      const std::string sent = plan(storage_detail::mark_sent_sql(rows, form, Dialect::kSqlite));
      EXPECT_NE(sent.find("INTEGER PRIMARY KEY"), std::string::npos) << sent;
      EXPECT_EQ(sent.find("outbox_by_status"), std::string::npos) << sent;
    }
  }
  const std::string of_digest =
      plan(storage_detail::mark_sent_sql(8, storage_detail::MarkSent::kMembers, Dialect::kSqlite));
  EXPECT_NE(of_digest.find("outbox_by_digest"), std::string::npos) << of_digest;
  const std::string bound =
      plan("SELECT id FROM outbox WHERE status = ? ORDER BY id DESC LIMIT 50");
  EXPECT_NE(bound.find("INDEX outbox_by_status"), std::string::npos) << bound;
  EXPECT_EQ(bound.find("TEMP B-TREE"), std::string::npos) << bound;
  const std::string counts = plan("SELECT status, COUNT(*) FROM outbox GROUP BY status");
  EXPECT_NE(counts.find("COVERING INDEX outbox_by_status"), std::string::npos) << counts;
  const std::string sending =
      plan("SELECT id FROM outbox WHERE status = 'sending' AND claimed_by = 'x'");
  EXPECT_NE(sending.find("INDEX outbox_by_status"), std::string::npos) << sending;
  const std::string members = plan("SELECT id FROM outbox WHERE digest_of = 7");
  EXPECT_NE(members.find("INDEX outbox_by_digest"), std::string::npos) << members;
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if FANGFAN_STORAGE_TEST_SQLITE && FANGFAN_STORAGE_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Backends, OutboxStore,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql), backend_name);
#elif FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, OutboxStore, ::testing::Values(Backend::kSqlite), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, OutboxStore, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

}  // namespace
}  // namespace fangfan
