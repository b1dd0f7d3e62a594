#include "daemon/storage_executor.h"

#include <unordered_map>

namespace fangfan {

StorageExecutor::StorageExecutor(std::shared_ptr<Database> db, unsigned threads)
    : db_(std::move(db)), pool_(threads) {}

StorageExecutor::~StorageExecutor() { join(); }

void StorageExecutor::join() { pool_.join(); }

soci::session& StorageExecutor::session() {
  // One session per (pool thread, database); closed when the thread exits at join().
  thread_local std::unordered_map<const Database*, std::unique_ptr<soci::session>> sessions;
  auto& s = sessions[db_.get()];
  if (!s) s = db_->open_session();
  return *s;
}

}  // namespace fangfan
