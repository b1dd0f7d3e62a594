#include "adapters/storage/outbox_store.h"

#include <algorithm>
#include <array>
#include <set>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/id_list.h"
#include "adapters/storage/outbox_answers.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Kept;
using storage_detail::Prepared;

constexpr std::array<std::pair<OutboxStatus, std::string_view>, 6> kStatusNames{{
    {OutboxStatus::kPending, "pending"},
    {OutboxStatus::kSending, "sending"},
    {OutboxStatus::kSent, "sent"},
    {OutboxStatus::kFailed, "failed"},
    {OutboxStatus::kDead, "dead"},
    {OutboxStatus::kCancelled, "cancelled"},
}};

constexpr const char* kColumns =
    "SELECT id, dedupe_key, case_id, channel, recipient, message_type, body, status, attempts,"
    " next_attempt_at, last_error, provider_message_id, created_at, sent_at, provider_code,"
    " digest_of, hold_reason, person FROM outbox ";

// The test of a pending row in the readers of pending rows, which SQLite answers from the
// partial indexes outbox_by_due and outbox_by_recipient (they hold pending rows only) only when
// the query repeats their condition. Without statistics SQLite's planner takes any equality on
// an index's first column for a few rows, and would read every pending row through
// outbox_by_status (status, id) and sort them: likely() marks the test as true of most rows it
// looks at, so the partial index is taken (it still implies the index's condition).
// PostgreSQL plans from its statistics and has no likely().
std::string pending_test(soci::session& session) {
  return dialect_of(session) == Dialect::kSqlite ? "likely(status = 'pending')"
                                                 : "status = 'pending'";
}

// The types a digest gathers (workflows/message_templates.h is_digestible), spelled as the
// condition of outbox_by_recipient (throughput_migration.cpp, "outbox recipient index for
// digests"), which holds the rows of these types alone: the same text, or SQLite does not use it.
std::string digestible_test(soci::session& session) {
  return dialect_of(session) == Dialect::kSqlite
             ? "(substr(message_type, -9) = '_reminder' OR substr(message_type, -8) = '_overdue'"
               " OR message_type = 'evaluation_task')"
             : "(right(message_type, 9) = '_reminder' OR right(message_type, 8) = '_overdue'"
               " OR message_type = 'evaluation_task')";
}

struct OutboxRow {
  long long id = 0, case_id = 0, next_attempt_at = 0, created_at = 0, sent_at = 0, digest_of = 0;
  soci::indicator case_ind = soci::i_null, sent_ind = soci::i_null, digest_ind = soci::i_null,
                  person_ind = soci::i_null;
  std::string dedupe_key, channel, recipient, message_type, body, status, last_error,
      provider_message_id, provider_code, hold_reason, person;
  int attempts = 0;

  void bind(Prepared& p) {
    p, into(id), into(dedupe_key), into(case_id, case_ind), into(channel), into(recipient),
        into(message_type), into(body), into(status), into(attempts), into(next_attempt_at),
        into(last_error), into(provider_message_id), into(created_at), into(sent_at, sent_ind),
        into(provider_code), into(digest_of, digest_ind), into(hold_reason),
        into(person, person_ind);
  }
  // Takes the strings (the next fetch assigns them anew): a claim batch reads hundreds of rows.
  OutboxRecord record() {
    OutboxRecord r;
    r.id = id;
    r.dedupe_key = std::move(dedupe_key);
    if (case_ind == soci::i_ok) r.case_id = case_id;
    r.channel = std::move(channel);
    r.recipient = std::move(recipient);
    r.message_type = std::move(message_type);
    r.body = std::move(body);
    r.status = parse_outbox_status(status).value_or(OutboxStatus::kPending);
    r.attempts = attempts;
    r.next_attempt_at = from_epoch(next_attempt_at);
    r.last_error = std::move(last_error);
    r.provider_message_id = std::move(provider_message_id);
    r.created_at = from_epoch(created_at);
    if (sent_ind == soci::i_ok) r.sent_at = from_epoch(sent_at);
    r.provider_code = std::move(provider_code);
    if (digest_ind == soci::i_ok) r.digest_of = digest_of;
    r.hold_reason = std::move(hold_reason);
    if (person_ind == soci::i_ok) r.person = std::move(person);
    return r;
  }
};

// The insert of every queued message, kept prepared (prepared.h).
struct InsertOutbox {
  long long case_id = 0, created = 0, next = 0, id = 0;
  soci::indicator case_ind = soci::i_null, person_ind = soci::i_null;
  std::string key, channel, recipient, type, body, person;
  static std::string sql() {
    return "INSERT INTO outbox (dedupe_key, case_id, channel, recipient, message_type, body,"
           " next_attempt_at, created_at, person) VALUES (:key, :case_id, :channel, :recipient,"
           " :type, :body, :next, :created, :person) ON CONFLICT (dedupe_key) DO NOTHING"
           " RETURNING id";
  }
  void bind(Prepared& p) {
    p, use(key), use(case_id, case_ind), use(channel), use(recipient), use(type), use(body),
        use(next), use(created), use(person, person_ind), into(id);
  }
};

struct OutboxIdByKey {
  std::string key;
  long long id = 0;
  static std::string sql() { return "SELECT id FROM outbox WHERE dedupe_key = :key"; }
  void bind(Prepared& p) { p, use(key), into(id); }
};

// The answers' statements, kept prepared (prepared.h): a flush records hundreds at a time;
// sent answers go through outbox_answers.h.
struct MarkRetry {
  long long id = 0, next = 0;
  int refund = 0;
  std::string error, code;
  static std::string sql() {
    return "UPDATE outbox SET status = 'pending', last_error = :error,"
           " provider_code = :code, next_attempt_at = :next,"
           " attempts = attempts - :refund WHERE id = :id AND status = 'sending'";
  }
  void bind(Prepared& p) { p, use(error), use(code), use(next), use(refund), use(id); }
};

struct Unclaim {
  long long id = 0, next = 0;
  std::string reason;
  static std::string sql() {
    return "UPDATE outbox SET status = 'pending', hold_reason = :reason,"
           " next_attempt_at = :next,"
           " attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"
           " WHERE id = :id AND status = 'sending'";
  }
  void bind(Prepared& p) { p, use(reason), use(next), use(id); }
};

// Runs an UPDATE and reports whether it changed exactly one row.
template <class... Uses>
bool update_one(soci::session& session, const std::string& sql, Uses&&... uses) {
  Prepared p = (session.prepare << sql);
  (p, ..., std::forward<Uses>(uses));
  soci::statement st(p);
  st.execute(true);
  return st.get_affected_rows() == 1;
}

std::string what(std::string_view action_zh, std::string_view action_en, std::int64_t id) {
  const std::string n = std::to_string(id);
  return std::string(action_zh) + " " + n + " 失败 (" + std::string(action_en) + " " + n +
         " failed)";
}

}  // namespace

std::string_view outbox_status_name(OutboxStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "pending";
}

std::optional<OutboxStatus> parse_outbox_status(std::string_view name) {
  for (const auto& [value, text] : kStatusNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

EnqueueResult enqueue_outbox(soci::session& session, const NewOutboxMessage& m) {
  return guarded(
      "保存待发消息 " + m.dedupe_key + " 失败 (queueing message " + m.dedupe_key + " failed)", [&] {
        Kept<InsertOutbox> insert(session);
        insert->key = m.dedupe_key;
        insert->case_id = m.case_id.value_or(0);
        insert->case_ind = m.case_id ? soci::i_ok : soci::i_null;
        insert->channel = m.channel;
        insert->recipient = m.recipient;
        insert->type = m.message_type;
        insert->body = m.body;
        insert->next = to_epoch(m.next_attempt_at);
        insert->created = to_epoch(m.created_at);
        insert->person = m.person;
        insert->person_ind = m.person.empty() ? soci::i_null : soci::i_ok;
        EnqueueResult result;
        result.inserted = insert.execute();
        if (result.inserted) {
          result.id = insert->id;
          return result;
        }
        Kept<OutboxIdByKey> existing(session);
        existing->key = m.dedupe_key;
        existing.execute();
        result.id = existing->id;
        return result;
      });
}

std::optional<OutboxRecord> load_outbox(soci::session& session, std::int64_t message_id) {
  return guarded(what("读取待发消息", "loading message", message_id),
                 [&]() -> std::optional<OutboxRecord> {
                   const long long id = message_id;
                   OutboxRow row;
                   Prepared p = (session.prepare << std::string(kColumns) + "WHERE id = :id");
                   row.bind(p);
                   p, use(id);
                   return fetch_one(p, row);
                 });
}

std::vector<OutboxRecord> due_outbox(soci::session& session, TimePoint now, int limit) {
  return guarded("读取到期的待发消息失败 (loading due messages failed)", [&] {
    const long long until = to_epoch(now);
    OutboxRow row;
    Prepared p = (session.prepare << std::string(kColumns) + "WHERE " + pending_test(session) +
                                         " AND next_attempt_at <= :now"
                                         " ORDER BY next_attempt_at, id LIMIT :limit");
    row.bind(p);
    p, use(until), use(limit);
    return fetch_all(p, row);
  });
}

std::optional<TimePoint> next_outbox_attempt(soci::session& session) {
  return guarded("读取下一条待发消息的时间失败 (loading the next message time failed)",
                 [&]() -> std::optional<TimePoint> {
                   long long next = 0;
                   soci::indicator ind = soci::i_null;
                   session << "SELECT MIN(next_attempt_at) FROM outbox WHERE " +
                                  pending_test(session),
                       into(next, ind);
                   if (ind != soci::i_ok) return std::nullopt;
                   return from_epoch(next);
                 });
}

std::vector<OutboxRecord> list_outbox(soci::session& session, std::optional<OutboxStatus> status,
                                      int limit) {
  return guarded("读取消息列表失败 (listing messages failed)", [&] {
    OutboxRow row;
    if (status) {
      const std::string name(outbox_status_name(*status));
      Prepared p = (session.prepare << std::string(kColumns) +
                                           "WHERE status = :status ORDER BY id DESC LIMIT :limit");
      row.bind(p);
      p, use(name), use(limit);
      return fetch_all(p, row);
    }
    Prepared p = (session.prepare << std::string(kColumns) + "ORDER BY id DESC LIMIT :limit");
    row.bind(p);
    p, use(limit);
    return fetch_all(p, row);
  });
}

bool claim_outbox(soci::session& session, std::int64_t message_id, const OutboxLease* lease) {
  return guarded(what("领取待发消息", "claiming message", message_id), [&] {
    const long long id = message_id, until = lease ? to_epoch(lease->until) : 0;
    const std::string holder = lease ? lease->holder : std::string();
    soci::indicator holder_ind = lease ? soci::i_ok : soci::i_null, until_ind = holder_ind;
    return update_one(session,
                      "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                      " hold_reason = '', claimed_by = :holder, lease_until = :until"
                      " WHERE id = :id AND status = 'pending'",
                      use(holder, holder_ind), use(until, until_ind), use(id));
  });
}

bool mark_outbox_sent(soci::session& session, std::int64_t message_id,
                      std::string_view provider_message_id, TimePoint now,
                      std::string_view provider_code) {
  return guarded(what("记录消息已发送", "marking sent message", message_id), [&] {
    OutboxAnswer a;
    a.id = message_id;
    a.sent = true;
    a.provider_message_id = std::string(provider_message_id);
    a.provider_code = std::string(provider_code);
    a.at = now;
    return storage_detail::mark_sent_rows(session, {&a}) == 1;
  });
}

bool mark_outbox_retry(soci::session& session, std::int64_t message_id, std::string_view error,
                       TimePoint next_attempt_at, bool count_attempt,
                       std::string_view provider_code) {
  return guarded(what("安排消息重发", "rescheduling message", message_id), [&] {
    Kept<MarkRetry> row(session);
    row->id = message_id;
    row->next = to_epoch(next_attempt_at);
    // A claimed message has attempts >= 1: giving one back never goes below zero.
    row->refund = count_attempt ? 0 : 1;
    row->error = std::string(error);
    row->code = std::string(provider_code);
    row.execute();
    return row.affected_rows() == 1;
  });
}

bool unclaim_outbox(soci::session& session, std::int64_t message_id, TimePoint until,
                    std::string_view reason) {
  return guarded(what("退回待发消息", "returning message", message_id), [&] {
    Kept<Unclaim> row(session);
    row->id = message_id;
    row->next = to_epoch(until);
    row->reason = std::string(reason);
    row.execute();
    return row.affected_rows() == 1;
  });
}

bool mark_outbox_failed(soci::session& session, std::int64_t message_id, OutboxStatus final_status,
                        std::string_view error, std::string_view provider_code) {
  return guarded(what("记录消息发送失败", "marking failed message", message_id), [&] {
    const long long id = message_id;
    const std::string status(outbox_status_name(final_status)), text(error), code(provider_code);
    if (!update_one(session,
                    "UPDATE outbox SET status = :status, last_error = :error,"
                    " provider_code = :code WHERE id = :id AND status = 'sending'",
                    use(status), use(text), use(code), use(id))) {
      return false;
    }
    const std::string member_error = "合并在消息 " + std::to_string(id) + " 中发送：" + text;
    session << "UPDATE outbox SET status = :status, last_error = :error, provider_code = :code"
               " WHERE digest_of = :id AND status = 'sending'",
        use(status), use(member_error), use(code), use(id);
    return true;
  });
}

bool defer_outbox(soci::session& session, std::int64_t message_id, TimePoint until,
                  std::string_view reason) {
  return guarded(what("推迟消息", "deferring message", message_id), [&] {
    const long long id = message_id, at = to_epoch(until);
    const std::string text(reason);
    return update_one(session,
                      "UPDATE outbox SET next_attempt_at = :at, hold_reason = :reason"
                      " WHERE id = :id AND status = 'pending'",
                      use(at), use(text), use(id));
  });
}

bool cancel_outbox(soci::session& session, std::int64_t message_id) {
  return guarded(what("取消消息", "cancelling message", message_id), [&] {
    const long long id = message_id;
    if (!update_one(session,
                    "UPDATE outbox SET status = 'cancelled'"
                    " WHERE id = :id AND status IN ('pending', 'failed', 'dead')",
                    use(id))) {
      return false;
    }
    session << "UPDATE outbox SET status = 'cancelled' WHERE digest_of = :id"
               " AND status IN ('sending', 'failed', 'dead')",
        use(id);
    return true;
  });
}

bool requeue_outbox(soci::session& session, std::int64_t message_id, TimePoint now) {
  return guarded(what("重新发送消息", "requeueing message", message_id), [&] {
    const long long id = message_id, at = to_epoch(now);
    if (!update_one(session,
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = :at,"
                    " created_at = :at2, digest_of = NULL"
                    " WHERE id = :id AND status IN ('failed', 'dead')",
                    use(at), use(at), use(id))) {
      return false;
    }
    session << "UPDATE outbox SET status = 'sending', last_error = '' WHERE digest_of = :id"
               " AND status IN ('failed', 'dead')",
        use(id);
    return true;
  });
}

int recover_stuck_sending(soci::session& session, TimePoint now) {
  return guarded("恢复中断的发送失败 (recovering interrupted sends failed)", [&] {
    const long long at = to_epoch(now);
    soci::statement st =
        (session.prepare << "UPDATE outbox SET status = 'pending', next_attempt_at = :at"
                            " WHERE status = 'sending' AND digest_of IS NULL",
         use(at));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
  });
}

int recover_abandoned_sending(soci::session& session, TimePoint now,
                              std::string_view previous_life) {
  return guarded("收回中断的发送失败 (taking back abandoned sends failed)", [&] {
    const long long at = to_epoch(now);
    const std::string holder(previous_life);
    // Without a previous life (the periodic look) only the leases that ran out: a message held
    // by nobody known may be a live process's claim without a lease.
    const std::string mine = previous_life.empty() ? ""
                                                   : " OR claimed_by IS NULL OR lease_until IS NULL"
                                                     " OR claimed_by = :holder";
    Prepared p = (session.prepare << "UPDATE outbox SET status = 'pending', next_attempt_at = :at,"
                                     " claimed_by = NULL, lease_until = NULL"
                                     " WHERE status = 'sending' AND digest_of IS NULL"
                                     " AND (lease_until < :now" +
                                         mine + ")");
    p, use(at), use(at);
    if (!previous_life.empty()) p, use(holder);
    soci::statement st(p);
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
  });
}

int renew_outbox_leases(soci::session& session, const OutboxLease& lease) {
  return guarded("延长发送租约失败 (renewing send leases failed)", [&] {
    const long long until = to_epoch(lease.until);
    soci::statement st = (session.prepare << "UPDATE outbox SET lease_until = :until"
                                             " WHERE status = 'sending' AND claimed_by = :holder",
                          use(until), use(lease.holder));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
  });
}

// Digest candidates are of a type a digest gathers (digestible_test): no other row is in the
// index this reads.
std::vector<OutboxRecord> pending_for_recipient(soci::session& session, std::string_view channel,
                                                std::string_view recipient,
                                                TimePoint created_before, int limit) {
  return guarded(
      "读取同一收件人的待发消息失败 (loading a recipient's pending messages failed)", [&] {
        const std::string ch(channel), to(recipient);
        const long long before = to_epoch(created_before);
        OutboxRow row;
        Prepared p = (session.prepare << std::string(kColumns) + "WHERE " + pending_test(session) +
                                             " AND channel ="
                                             " :channel AND recipient = :recipient"
                                             " AND attempts = 0 AND digest_of IS NULL AND " +
                                             digestible_test(session) +
                                             " AND created_at <= :before"
                                             " ORDER BY created_at, id LIMIT :limit");
        row.bind(p);
        p, use(ch), use(to), use(before), use(limit);
        return fetch_all(p, row);
      });
}

std::vector<OutboxRecord> digest_members(soci::session& session, std::int64_t digest_id) {
  return guarded(what("读取合并消息的成员", "loading digest members of", digest_id), [&] {
    const long long id = digest_id;
    OutboxRow row;
    Prepared p = (session.prepare << std::string(kColumns) +
                                         "WHERE digest_of = :id ORDER BY created_at, id");
    row.bind(p);
    p, use(id);
    return fetch_all(p, row);
  });
}

std::optional<std::int64_t> queue_digest(soci::session& session, const NewOutboxMessage& digest,
                                         const std::vector<std::int64_t>& members) {
  WriteTransaction tx(session);
  const EnqueueResult queued = enqueue_outbox(session, digest);
  if (!queued.inserted) return std::nullopt;  // rolled back by tx
  const bool all = guarded("合并消息失败 (folding messages into a digest failed)", [&] {
    const long long digest_id = queued.id;
    for (const std::int64_t member : members) {
      const long long id = member;
      if (!update_one(session,
                      "UPDATE outbox SET status = 'sending', digest_of = :digest"
                      " WHERE id = :id AND status = 'pending' AND digest_of IS NULL",
                      use(digest_id), use(id))) {
        return false;
      }
    }
    return true;
  });
  if (!all) return std::nullopt;
  tx.commit();
  return queued.id;
}

int record_outbox_answers(soci::session& session, const std::vector<OutboxAnswer>& answers) {
  WriteTransaction tx(session);
  const int changed = storage_detail::record_answers_in(session, answers);
  tx.commit();
  return changed;
}

int storage_detail::record_answers_in(soci::session& session,
                                      const std::vector<OutboxAnswer>& answers) {
  int changed = 0;
  std::vector<const OutboxAnswer*> sent;
  for (const auto& a : answers) {
    if (a.sent) {
      sent.push_back(&a);
      continue;
    }
    const bool ok = !a.hold_reason.empty() ? unclaim_outbox(session, a.id, a.at, a.hold_reason)
                                           : mark_outbox_retry(session, a.id, a.error, a.at,
                                                               a.count_attempt, a.provider_code);
    if (ok) ++changed;
  }
  if (!sent.empty()) {
    changed += guarded("记录已发送的消息失败 (marking sent messages failed)",
                       [&] { return storage_detail::mark_sent_rows(session, sent); });
  }
  return changed;
}

FailResult fail_outbox(soci::session& session, std::int64_t id, OutboxStatus final_status,
                       std::string_view error, std::string_view provider_code,
                       const std::vector<NewOutboxMessage>& follow_ups, bool members_follow) {
  WriteTransaction tx(session);
  FailResult result;
  if (members_follow && !follow_ups.empty()) {
    // The members leave this row before it fails, so they do not fail with it.
    const bool changed = guarded(what("记录消息发送失败", "marking failed message", id), [&] {
      const long long message = id;
      const std::string status(outbox_status_name(final_status)), text(error), code(provider_code);
      return update_one(session,
                        "UPDATE outbox SET status = :status, last_error = :error,"
                        " provider_code = :code WHERE id = :id AND status = 'sending'",
                        use(status), use(text), use(code), use(message));
    });
    if (!changed) return result;
    for (const auto& m : follow_ups) result.follow_ups.push_back(enqueue_outbox(session, m));
    guarded(what("转移合并消息的成员", "moving digest members of", id), [&] {
      const long long from = id, to = result.follow_ups.front().id;
      session << "UPDATE outbox SET digest_of = :to WHERE digest_of = :from"
                 " AND status = 'sending'",
          use(to), use(from);
    });
  } else {
    if (!mark_outbox_failed(session, id, final_status, error, provider_code)) return result;
    for (const auto& m : follow_ups) result.follow_ups.push_back(enqueue_outbox(session, m));
  }
  tx.commit();
  result.changed = true;
  return result;
}

}  // namespace fangfan
