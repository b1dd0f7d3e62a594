// claim_outbox_many and record_answers_and_claim (outbox_store.h): due messages taken for
// sending in one transaction, a statement per 1,000 ids.
#include <algorithm>
#include <set>
#include <string>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/id_list.h"
#include "adapters/storage/outbox_answers.h"
#include "adapters/storage/outbox_store.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;

// Ids per claiming statement (the text stays far below SQLite's and PostgreSQL's limits).
constexpr std::size_t kClaimChunk = 1000;

// The claim of the rows `which` selects, under :holder's lease until :until.
std::string claim_sql(const std::string& which) {
  return "UPDATE outbox SET status = 'sending', attempts = attempts + 1, hold_reason = '',"
         " claimed_by = :holder, lease_until = :until WHERE " +
         which;
}

// The plain claim of `ids` (no RETURNING): how many rows changed.
long long claim_plain(soci::session& session, const std::vector<std::int64_t>& ids,
                      const OutboxLease* lease) {
  const long long until = lease ? to_epoch(lease->until) : 0;
  const std::string holder = lease ? lease->holder : std::string();
  soci::indicator holder_ind = lease ? soci::i_ok : soci::i_null, until_ind = holder_ind;
  long long changed = 0;
  for (std::size_t from = 0; from < ids.size(); from += kClaimChunk) {
    const std::string list = storage_detail::id_list(
        {ids.begin() + from, ids.begin() + std::min(ids.size(), from + kClaimChunk)});
    soci::statement st =
        (session.prepare << claim_sql("+status = 'pending' AND id IN (" + list + ")"),
         use(holder, holder_ind), use(until, until_ind));
    st.execute(true);
    changed += st.get_affected_rows();
  }
  return changed;
}

// SQLite: every one of `ids` claimed in one transaction without RETURNING, which had SQLite keep
// each claimed id in a table of its own for the statement (about 6,000 instructions of a claim's
// 44,000 per message, issue 15). When every row was still pending, as nearly always, the count of
// changed rows says so and the claim commits; otherwise (a row cancelled or taken meanwhile, an
// id twice) nothing is kept (false) and the caller claims again asking which rows it got.
bool claim_every_one(soci::session& session, const std::vector<std::int64_t>& ids,
                     const OutboxLease* lease) {
  WriteTransaction tx(session);
  const bool all = guarded("领取待发消息失败 (claiming messages failed)", [&] {
    return claim_plain(session, ids, lease) == static_cast<long long>(ids.size());
  });
  if (!all) return false;  // rolled back
  tx.commit();
  return true;
}

// Claims `ids` with RETURNING, in the open transaction: the ids claimed, in the order of `ids`.
std::vector<std::int64_t> claim_returning(soci::session& session,
                                          const std::vector<std::int64_t>& ids,
                                          const OutboxLease* lease) {
  std::set<std::int64_t> taken;
  guarded("领取待发消息失败 (claiming messages failed)", [&] {
    const long long until = lease ? to_epoch(lease->until) : 0;
    const std::string holder = lease ? lease->holder : std::string();
    soci::indicator holder_ind = lease ? soci::i_ok : soci::i_null, until_ind = holder_ind;
    // PostgreSQL (several daemons): rows another daemon's claim holds right now are skipped, not
    // waited for; the status test then sees its commit. SQLite has one writer at a time.
    // SQLite finds the rows by id: `+status` keeps it from reading them through outbox_by_status
    // (status, id), which this UPDATE changes (see mark_sent_sql).
    const bool shared = dialect_of(session) == Dialect::kPostgresql;
    for (std::size_t from = 0; from < ids.size(); from += kClaimChunk) {
      // The ids are numbers written into the text: one statement per chunk, not one per row.
      const std::string list = storage_detail::id_list(
          {ids.begin() + from, ids.begin() + std::min(ids.size(), from + kClaimChunk)});
      const std::string which =
          shared ? "id IN (SELECT id FROM outbox WHERE status = 'pending' AND id IN (" + list +
                       ") FOR UPDATE SKIP LOCKED)"
                 : "+status = 'pending' AND id IN (" + list + ")";
      long long id = 0;
      soci::statement st = (session.prepare << claim_sql(which + " RETURNING id"),
                            use(holder, holder_ind), use(until, until_ind), into(id));
      st.execute();
      while (st.fetch()) taken.insert(id);
    }
  });
  std::vector<std::int64_t> claimed;
  for (const std::int64_t id : ids) {
    if (taken.count(id)) claimed.push_back(id);
  }
  return claimed;
}

}  // namespace

std::vector<std::int64_t> claim_outbox_many(soci::session& session,
                                            const std::vector<std::int64_t>& ids,
                                            const OutboxLease* lease) {
  if (dialect_of(session) == Dialect::kSqlite && !ids.empty() &&
      claim_every_one(session, ids, lease)) {
    return ids;
  }
  WriteTransaction tx(session);
  auto claimed = claim_returning(session, ids, lease);
  tx.commit();
  return claimed;
}

std::vector<std::int64_t> record_answers_and_claim(soci::session& session,
                                                   const std::vector<OutboxAnswer>& answers,
                                                   const std::vector<std::int64_t>& ids,
                                                   const OutboxLease* lease) {
  if (answers.empty()) return claim_outbox_many(session, ids, lease);
  WriteTransaction tx(session);
  storage_detail::record_answers_in(session, answers);
  if (dialect_of(session) == Dialect::kSqlite && !ids.empty()) {
    // As claim_every_one, with a savepoint in place of the transaction: the answers stay.
    Savepoint every_one(session, "claim_every_one");
    const bool all = guarded("领取待发消息失败 (claiming messages failed)", [&] {
      return claim_plain(session, ids, lease) == static_cast<long long>(ids.size());
    });
    if (all) {
      every_one.release();
      tx.commit();
      return ids;
    }
    if (!every_one.rollback()) {
      throw StorageError(
          StorageError::Kind::kUnavailable,
          "领取待发消息失败 (claiming messages failed): the savepoint did not roll back");
    }
  }
  auto claimed = claim_returning(session, ids, lease);
  tx.commit();
  return claimed;
}

}  // namespace fangfan
