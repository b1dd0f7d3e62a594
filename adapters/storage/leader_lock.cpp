#include "adapters/storage/leader_lock.h"

#include "adapters/storage/database.h"

namespace fangfan {

bool try_leader_lock(soci::session& session, long long key) {
  return guarded("获取主守护进程锁失败 (taking the leader lock failed)", [&] {
    int got = 0;
    session << "SELECT CASE WHEN pg_try_advisory_lock(:key) THEN 1 ELSE 0 END", soci::use(key),
        soci::into(got);
    return got == 1;
  });
}

bool holds_leader_lock(soci::session& session, long long key) {
  return guarded("检查主守护进程锁失败 (checking the leader lock failed)", [&] {
    int held = 0;
    const long long low = key & 0xffffffffLL;  // pg_locks shows a bigint key's halves
    session << "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
               " AND pid = pg_backend_pid() AND CAST(objid AS BIGINT) = :low",
        soci::use(low), soci::into(held);
    return held > 0;
  });
}

}  // namespace fangfan
