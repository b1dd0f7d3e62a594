#include "adapters/storage/outbox_answers.h"

#include <array>
#include <string>
#include <unordered_map>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan::storage_detail {
namespace {

using soci::into;
using soci::use;

// N answers' rows in form F, in dialect D's text.
template <int N, MarkSent F, Dialect D>
struct MarkSentRows {
  std::array<long long, N> id{}, at{};
  std::array<std::string, N> provider, code;
  long long changed = 0;  // a row RETURNING gave back
  std::string type;
  static std::string sql() { return mark_sent_sql(N, F, D); }
  void bind(Prepared& p) {
    for (int i = 0; i < N; ++i) p, use(id[i]), use(provider[i]), use(code[i]), use(at[i]);
    if (F != MarkSent::kPlain) p, into(changed), into(type);
  }
};

// Runs the answers [from, from + N) of `answers` in form F; calls `changed(id, type)` for each
// row RETURNING gives back. Returns how many rows changed.
template <int N, MarkSent F, Dialect D, class Changed>
long long run_rows(soci::session& session, const std::vector<const OutboxAnswer*>& answers,
                   std::size_t from, Changed&& changed) {
  Kept<MarkSentRows<N, F, D>> q(session);
  for (int i = 0; i < N; ++i) {
    const OutboxAnswer& a = *answers[from + std::size_t(i)];
    q->id[i] = a.id;
    q->at[i] = to_epoch(a.at);
    q->provider[i] = a.provider_message_id;
    q->code[i] = a.provider_code;
  }
  if constexpr (F == MarkSent::kPlain) {
    q.execute();
    return q.affected_rows();
  } else {
    long long rows = 0;
    for (bool more = q.execute(); more; more = q.fetch(), ++rows) changed(q->changed, q->type);
    return rows;
  }
}

// One chunk of N answers. Members: the members of N digests. Else the answers' rows: first
// without RETURNING and without digests (SQLite kept each row RETURNING gives back in a table of
// its own for the statement, about 5,700 instructions per row, issue 15); when not every row
// changed that way (a digest, or a row no longer "sending"), the same answers again with
// RETURNING, which finds only the rows the first left.
template <int N, bool Members, Dialect D, class Changed>
long long run_chunk(soci::session& session, const std::vector<const OutboxAnswer*>& answers,
                    std::size_t from, Changed&& changed) {
  if constexpr (Members) {
    return run_rows<N, MarkSent::kMembers, D>(session, answers, from, changed);
  } else {
    const long long plain = run_rows<N, MarkSent::kPlain, D>(session, answers, from, changed);
    if (plain == N) return plain;
    return plain + run_rows<N, MarkSent::kReturning, D>(session, answers, from, changed);
  }
}

// Every answer in chunks of 64, 16, 4 and 1 rows (statement shapes kept prepared). A group of
// any size (the claims ahead take whatever waits, issue 15) needs at most 3 statements of each
// smaller shape; with 64, 8 and 1 up to 7 single rows, each a statement of its own.
template <bool Members, Dialect D, class Changed>
long long run_all(soci::session& session, const std::vector<const OutboxAnswer*>& answers,
                  Changed&& changed) {
  long long rows = 0;
  std::size_t from = 0;
  for (; answers.size() - from >= 64; from += 64) {
    rows += run_chunk<64, Members, D>(session, answers, from, changed);
  }
  for (; answers.size() - from >= 16; from += 16) {
    rows += run_chunk<16, Members, D>(session, answers, from, changed);
  }
  for (; answers.size() - from >= 4; from += 4) {
    rows += run_chunk<4, Members, D>(session, answers, from, changed);
  }
  for (; from < answers.size(); ++from) {
    rows += run_chunk<1, Members, D>(session, answers, from, changed);
  }
  return rows;
}

}  // namespace

// Both SQLite and PostgreSQL name a VALUES list's columns column1, column2, ...; none is called
// `id`, so RETURNING's `id` is the outbox row's on both.
// By id on SQLite the status test is `+outbox.status`: the unary plus keeps SQLite from
// answering `status = ? AND id = ?` through outbox_by_status (status, id), the index this very
// UPDATE changes, which it chose before: each row was found through the index and the update
// could not run in one pass. By the primary key it is one seek per row (about 2,000 fewer
// instructions per row, issue 15). The members of a digest are found by outbox_by_digest.
std::string mark_sent_sql(int rows, MarkSent form, Dialect dialect) {
  std::string sql =
      "UPDATE outbox SET status = 'sent', provider_message_id = answer.column2,"
      " provider_code = answer.column3, sent_at = answer.column4, last_error = '' FROM (VALUES ";
  for (int i = 0; i < rows; ++i) {
    const std::string n = std::to_string(i);
    if (i > 0) sql += ", ";
    sql += "(CAST(:id" + n + " AS BIGINT), :provider" + n + ", :code" + n + ", CAST(:at" + n +
           " AS BIGINT))";
  }
  if (form == MarkSent::kMembers) {
    return sql +
           ") AS answer WHERE outbox.digest_of = answer.column1 AND outbox.status = 'sending'"
           " RETURNING id, message_type";
  }
  sql += ") AS answer WHERE outbox.id = answer.column1 AND ";
  sql += dialect == Dialect::kSqlite ? "+outbox.status" : "outbox.status";
  sql += " = 'sending'";
  return sql + (form == MarkSent::kPlain ? " AND outbox.message_type <> 'digest'"
                                         : " RETURNING id, message_type");
}

int mark_sent_rows(soci::session& session, const std::vector<const OutboxAnswer*>& sent) {
  std::unordered_map<long long, const OutboxAnswer*> by_id;
  std::vector<const OutboxAnswer*> digests;
  auto changed = [&](long long id, const std::string& type) {
    if (type != "digest") return;
    if (by_id.empty()) {
      for (const OutboxAnswer* a : sent) by_id.emplace(a->id, a);
    }
    if (auto it = by_id.find(id); it != by_id.end()) digests.push_back(it->second);
  };
  const bool sqlite = dialect_of(session) == Dialect::kSqlite;
  const long long count = sqlite ? run_all<false, Dialect::kSqlite>(session, sent, changed)
                                 : run_all<false, Dialect::kPostgresql>(session, sent, changed);
  if (!digests.empty()) {
    auto members = [](long long, const std::string&) {};
    if (sqlite) {
      run_all<true, Dialect::kSqlite>(session, digests, members);
    } else {
      run_all<true, Dialect::kPostgresql>(session, digests, members);
    }
  }
  return static_cast<int>(count);
}

}  // namespace fangfan::storage_detail
