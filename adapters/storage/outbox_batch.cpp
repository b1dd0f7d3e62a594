#include "adapters/storage/outbox_batch.h"

#include <string>
#include <string_view>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/multi_row_insert.h"
#include "adapters/storage/prepared.h"

namespace fangfan {
namespace {

using soci::use;
using storage_detail::Prepared;

// One message's bound values; its columns in the order of kTable's list.
struct OutboxValues {
  static constexpr std::string_view kTable =
      "outbox (dedupe_key, case_id, channel, recipient, message_type, body, next_attempt_at,"
      " created_at, person)";
  static constexpr std::string_view kKey = "dedupe_key";
  std::string key, channel, recipient, type, body, person;
  long long case_id = 0, next = 0, created = 0;
  soci::indicator case_ind = soci::i_null, person_ind = soci::i_null;

  void bind(Prepared& p) {
    p, use(key), use(case_id, case_ind), use(channel), use(recipient), use(type), use(body),
        use(next), use(created), use(person, person_ind);
  }
  void set(const NewOutboxMessage& m) {
    key = m.dedupe_key;
    case_id = m.case_id.value_or(0);
    case_ind = m.case_id ? soci::i_ok : soci::i_null;
    channel = m.channel;
    recipient = m.recipient;
    type = m.message_type;
    body = m.body;
    next = to_epoch(m.next_attempt_at);
    created = to_epoch(m.created_at);
    person = m.person;
    person_ind = m.person.empty() ? soci::i_null : soci::i_ok;
  }
  static const std::string& key_of(const NewOutboxMessage& m) { return m.dedupe_key; }
  // On SQLite: the same values bound in place (multi_row_insert.h SqliteRow).
  static void bind_sqlite(storage_detail::SqliteRow& row, const NewOutboxMessage& m) {
    row.text(m.dedupe_key);
    row.integer_or_null(m.case_id);
    row.text(m.channel);
    row.text(m.recipient);
    row.text(m.message_type);
    row.text(m.body);
    row.integer(to_epoch(m.next_attempt_at));
    row.integer(to_epoch(m.created_at));
    if (m.person.empty()) {
      row.null();
    } else {
      row.text(m.person);
    }
  }
};

}  // namespace

std::vector<EnqueueResult> enqueue_outbox_batch(soci::session& session,
                                                const std::vector<NewOutboxMessage>& messages) {
  if (messages.empty()) return {};
  return guarded("保存待发消息失败 (queueing messages failed)", [&] {
    return storage_detail::insert_keyed<EnqueueResult, OutboxValues>(session, messages);
  });
}

}  // namespace fangfan
