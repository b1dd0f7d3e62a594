#include "adapters/storage/outbox_answers.h"

#include <array>
#include <string>
#include <unordered_map>

#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan::storage_detail {
namespace {

using soci::into;
using soci::use;

// `rows` answers as a VALUES list joined to the rows whose `key` column is the answer's id. Both
// SQLite and PostgreSQL name a VALUES list's columns column1, column2, ...; none is called `id`,
// so RETURNING's `id` is the outbox row's on both.
std::string mark_sent_sql(int rows, const char* key) {
  std::string sql =
      "UPDATE outbox SET status = 'sent', provider_message_id = answer.column2,"
      " provider_code = answer.column3, sent_at = answer.column4, last_error = '' FROM (VALUES ";
  for (int i = 0; i < rows; ++i) {
    const std::string n = std::to_string(i);
    if (i > 0) sql += ", ";
    sql += "(CAST(:id" + n + " AS BIGINT), :provider" + n + ", :code" + n + ", CAST(:at" + n +
           " AS BIGINT))";
  }
  sql += ") AS answer WHERE outbox.";
  sql += key;
  sql += " = answer.column1 AND outbox.status = 'sending' RETURNING id, message_type";
  return sql;
}

// N answers' rows (Members: the members of N digests).
template <int N, bool Members>
struct MarkSentRows {
  std::array<long long, N> id{}, at{};
  std::array<std::string, N> provider, code;
  long long changed = 0;  // a row RETURNING gave back
  std::string type;
  static std::string sql() { return mark_sent_sql(N, Members ? "digest_of" : "id"); }
  void bind(Prepared& p) {
    for (int i = 0; i < N; ++i) p, use(id[i]), use(provider[i]), use(code[i]), use(at[i]);
    p, into(changed), into(type);
  }
};

// Runs the answers [from, from + N) of `answers`; calls `changed(id, type)` for each row changed.
template <int N, bool Members, class Changed>
void run_rows(soci::session& session, const std::vector<const OutboxAnswer*>& answers,
              std::size_t from, Changed&& changed) {
  Kept<MarkSentRows<N, Members>> q(session);
  for (int i = 0; i < N; ++i) {
    const OutboxAnswer& a = *answers[from + std::size_t(i)];
    q->id[i] = a.id;
    q->at[i] = to_epoch(a.at);
    q->provider[i] = a.provider_message_id;
    q->code[i] = a.provider_code;
  }
  for (bool more = q.execute(); more; more = q.fetch()) changed(q->changed, q->type);
}

template <bool Members, class Changed>
void run_all(soci::session& session, const std::vector<const OutboxAnswer*>& answers,
             Changed&& changed) {
  std::size_t from = 0;
  for (; answers.size() - from >= 64; from += 64) {
    run_rows<64, Members>(session, answers, from, changed);
  }
  for (; answers.size() - from >= 8; from += 8)
    run_rows<8, Members>(session, answers, from, changed);
  for (; from < answers.size(); ++from) run_rows<1, Members>(session, answers, from, changed);
}

}  // namespace

int mark_sent_rows(soci::session& session, const std::vector<const OutboxAnswer*>& sent) {
  std::unordered_map<long long, const OutboxAnswer*> by_id;
  for (const OutboxAnswer* a : sent) by_id.emplace(a->id, a);
  int count = 0;
  std::vector<const OutboxAnswer*> digests;
  run_all<false>(session, sent, [&](long long id, const std::string& type) {
    auto it = by_id.find(id);
    if (it == by_id.end()) return;
    ++count;
    if (type == "digest") digests.push_back(it->second);
  });
  if (!digests.empty()) run_all<true>(session, digests, [](long long, const std::string&) {});
  return count;
}

}  // namespace fangfan::storage_detail
