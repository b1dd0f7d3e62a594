// PostgreSQL's session advisory lock that makes one daemon the leader of the county-wide work
// (daemon/tasks/leadership.h). The lock belongs to the connection: closing it releases the lock.
// PostgreSQL only. Errors: StorageError, like every store.
#pragma once

#include <soci/soci.h>

namespace fangfan {

// Takes the lock `key` on this connection if no other connection holds it; false when one does.
bool try_leader_lock(soci::session& session, long long key);

// Whether this connection still holds lock `key` (asked by name, so that a lock released by hand
// is noticed too).
bool holds_leader_lock(soci::session& session, long long key);

}  // namespace fangfan
