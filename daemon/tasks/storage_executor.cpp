#include "daemon/tasks/storage_executor.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <unordered_map>

namespace fangfan {

// One session per (pool thread, database); closed when the thread exits at join().
std::unordered_map<const Database*, std::unique_ptr<soci::session>>& StorageExecutor::sessions() {
  thread_local std::unordered_map<const Database*, std::unique_ptr<soci::session>> by_database;
  return by_database;
}

StorageExecutor::StorageExecutor(std::shared_ptr<Database> db, unsigned threads,
                                 SessionSetup on_writer_session)
    : db_(std::move(db)), on_writer_session_(std::move(on_writer_session)), pool_(threads) {
  // Named for top -H and the benches' per-thread CPU.
  boost::asio::post(writer_, [] { pthread_setname_np(pthread_self(), "storage-writer"); });
}

StorageExecutor::~StorageExecutor() { join(); }

void StorageExecutor::join() {
  pool_.join();
  writer_.join();
}

void StorageExecutor::drop_session() { sessions()[db_.get()].reset(); }

soci::session& StorageExecutor::session(bool writing) {
  auto& s = sessions()[db_.get()];
  if (!s) {
    s = db_->open_session();
    // A setup that throws leaves no session behind: the next work opens and sets up again.
    if (writing && on_writer_session_) {
      try {
        on_writer_session_(*s);
      } catch (...) {
        s.reset();
        throw;
      }
    }
  }
  return *s;
}

}  // namespace fangfan
