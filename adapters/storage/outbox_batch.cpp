#include "adapters/storage/outbox_batch.h"

#include <algorithm>
#include <unordered_map>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::Kept;
using storage_detail::Prepared;

// Keys read back in one statement (SQLite admits 32,766 bound values, PostgreSQL 65,535).
constexpr std::size_t kKeysPerRead = 500;

// One row's bound values.
struct Row {
  std::string key, channel, recipient, type, body, person;
  long long case_id = 0, next = 0, created = 0;
  soci::indicator case_ind = soci::i_null, person_ind = soci::i_null;
};

void fill(Row& r, const NewOutboxMessage& m) {
  r.key = m.dedupe_key;
  r.case_id = m.case_id.value_or(0);
  r.case_ind = m.case_id ? soci::i_ok : soci::i_null;
  r.channel = m.channel;
  r.recipient = m.recipient;
  r.type = m.message_type;
  r.body = m.body;
  r.next = to_epoch(m.next_attempt_at);
  r.created = to_epoch(m.created_at);
  r.person = m.person;
  r.person_ind = m.person.empty() ? soci::i_null : soci::i_ok;
}

// The insert of N rows, kept prepared (prepared.h): a statement's text is the same for every
// batch, so it is parsed once per session (SQLite looks named parameters up one by one: parsing
// a fresh 500-row text per batch cost more than the inserts).
template <std::size_t N>
struct InsertOutboxRows {
  Row rows[N];
  long long id = 0;
  std::string key;
  static std::string sql() {
    std::string sql =
        "INSERT INTO outbox (dedupe_key, case_id, channel, recipient, message_type, body,"
        " next_attempt_at, created_at, person) VALUES ";
    for (std::size_t i = 0; i < N; ++i) {
      const std::string n = std::to_string(i);
      sql += (i == 0 ? "(" : ", (") + (":k" + n) + ", :c" + n + ", :h" + n + ", :r" + n + ", :t" +
             n + ", :b" + n + ", :n" + n + ", :a" + n + ", :p" + n + ")";
    }
    return sql + " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key";
  }
  void bind(Prepared& p) {
    p, into(id), into(key);
    for (Row& r : rows) {
      p, use(r.key), use(r.case_id, r.case_ind), use(r.channel), use(r.recipient), use(r.type),
          use(r.body), use(r.next), use(r.created), use(r.person, r.person_ind);
    }
  }
};

// Inserts messages [first, first + N); the new rows' ids by key into `inserted`.
template <std::size_t N>
void insert_rows(soci::session& session, const std::vector<NewOutboxMessage>& messages,
                 std::size_t first, std::unordered_map<std::string, long long>& inserted) {
  Kept<InsertOutboxRows<N>> q(session);
  for (std::size_t i = 0; i < N; ++i) fill(q->rows[i], messages[first + i]);
  for (bool more = q.execute(); more; more = q.fetch()) inserted.emplace(q->key, q->id);
}

}  // namespace

std::vector<EnqueueResult> enqueue_outbox_batch(soci::session& session,
                                                const std::vector<NewOutboxMessage>& messages) {
  if (messages.empty()) return {};
  return guarded("保存待发消息失败 (queueing messages failed)", [&] {
    std::unordered_map<std::string, long long> inserted;
    std::size_t first = 0;
    for (; first + 64 <= messages.size(); first += 64)
      insert_rows<64>(session, messages, first, inserted);
    for (; first + 8 <= messages.size(); first += 8)
      insert_rows<8>(session, messages, first, inserted);
    for (; first < messages.size(); ++first) insert_rows<1>(session, messages, first, inserted);
    // Keys that were there before: their stored ids, one read.
    std::unordered_map<std::string, long long> existing;
    std::vector<const std::string*> missing;
    for (const NewOutboxMessage& m : messages) {
      if (!inserted.contains(m.dedupe_key)) missing.push_back(&m.dedupe_key);
    }
    for (std::size_t first = 0; first < missing.size(); first += kKeysPerRead) {
      const std::size_t last = std::min(missing.size(), first + kKeysPerRead);
      std::string sql = "SELECT id, dedupe_key FROM outbox WHERE dedupe_key IN (";
      for (std::size_t i = first; i < last; ++i) {
        sql += (i == first ? ":k" : ", :k") + std::to_string(i - first);
      }
      sql += ")";
      long long id = 0;
      std::string key;
      soci::details::prepare_temp_type p = (session.prepare << sql, into(id), into(key));
      for (std::size_t i = first; i < last; ++i) p, use(*missing[i]);
      soci::statement st(p);
      st.execute();
      while (st.fetch()) existing.emplace(key, id);
    }
    std::vector<EnqueueResult> out;
    out.reserve(messages.size());
    for (const NewOutboxMessage& m : messages) {
      EnqueueResult result;
      if (auto it = inserted.find(m.dedupe_key); it != inserted.end()) {
        result.inserted = true;
        result.id = it->second;
        existing.emplace(m.dedupe_key, it->second);  // a second use of the key: the same row
        inserted.erase(it);
      } else {
        result.id = existing.at(m.dedupe_key);
      }
      out.push_back(result);
    }
    return out;
  });
}

}  // namespace fangfan
