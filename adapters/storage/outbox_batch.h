// Queueing many outbox messages at once (issue 15: a firing batch's messages).
//
// enqueue_outbox_batch() is enqueue_outbox() (outbox_store.h) for a list: multi-row INSERTs ...
// ON CONFLICT (dedupe_key) DO NOTHING of up to 64 rows (the engine of multi_row_insert.h, kept
// prepared per row count), then one read of the ids of the keys that already existed. Answers in
// the order given, as enqueue_outbox() called for each in turn would: a key already stored, or
// given twice, is inserted once (the first time) and answers the stored id with inserted = false.
// Errors: StorageError; call it inside a transaction, which then rolls back what it wrote.
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <vector>

#include "adapters/storage/outbox_store.h"

namespace fangfan {

std::vector<EnqueueResult> enqueue_outbox_batch(soci::session& session,
                                                const std::vector<NewOutboxMessage>& messages);

}  // namespace fangfan
