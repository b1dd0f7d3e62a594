// Internal to adapters/storage: the "sent" answers of a group recorded with a few multi-row
// statements instead of two statements per answer (the row, then a digest's members), which on
// PostgreSQL were two round trips per message (issue 15).
//
// Each answer's row goes sending -> sent with its provider message id, answer code and sent_at;
// a row that is no longer "sending" is left alone. A digest row that changed takes its members
// (digest_of = its id, still "sending") along with the same values. Both are one statement shape
// (mark_sent_sql), 64, 16, 4 or 1 rows each, kept prepared per session.
// Errors: soci_error, for the caller's guarded().
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

#include "adapters/storage/database.h"
#include "adapters/storage/outbox_store.h"

namespace fangfan::storage_detail {

// The statement's forms: kPlain marks rows that are not digests and gives nothing back (the
// count of changed rows says enough); kReturning marks any row and gives back each changed row's
// id and type; kMembers marks the members of digests (by digest_of).
enum class MarkSent { kPlain, kReturning, kMembers };
// The statement for `rows` answers in `form`, in `dialect`'s text.
std::string mark_sent_sql(int rows, MarkSent form, Dialect dialect);

// Marks every answer in `sent` (all with sent = true) as above; returns how many of their rows
// changed (members not counted).
int mark_sent_rows(soci::session& session, const std::vector<const OutboxAnswer*>& sent);

// record_outbox_answers' work inside the caller's open transaction (record_answers_and_claim
// adds a claim to it); returns how many rows changed. Errors: StorageError.
int record_answers_in(soci::session& session, const std::vector<OutboxAnswer>& answers);

}  // namespace fangfan::storage_detail
