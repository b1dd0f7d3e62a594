#include "adapters/storage/wal_checkpointer.h"

#include <pthread.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace fangfan::storage_detail {
namespace {

// SOCI's header declares SQLite's C API inside this namespace.
using namespace sqlite_api;

// One database file's checkpointer: a thread with its own connection, started when first asked.
class Checkpointer {
 public:
  explicit Checkpointer(std::string file) : file_(std::move(file)) {}

  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // From a committing thread: cheap (a lock and a notification), never waits for the copy.
  void ask() {
    {
      std::lock_guard lock(mutex_);
      if (asked_) return;
      asked_ = true;
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    wake_.notify_one();
  }

  std::atomic<std::int64_t> background{0};
  std::atomic<std::int64_t> on_commit_path{0};
  std::atomic<std::int64_t> thread_cpu_ns{0};
  std::atomic<std::int64_t> finished_on_commit{0};
  std::atomic<std::int64_t> frames{0};
  std::atomic<std::int64_t> restarts{0};  // the WAL's cycles: a commit found it started again
  std::atomic<int> last_wal_pages{0};
  // What the thread's last round left: the WAL's frames it had copied, in which cycle. A round
  // is running while `copying`.
  std::atomic<bool> copying{false};
  std::atomic<int> copied_frames{0};
  std::atomic<std::int64_t> copied_cycle{-1};
  // The cycle in which a commit's finishing checkpoint could not copy everything (a reader
  // still needs old frames): the thread takes the rest of that cycle over again.
  std::atomic<std::int64_t> unfinished_cycle{-1};

 private:
  void run() {
    pthread_setname_np(pthread_self(), "wal-checkpoint");
    sqlite3* connection = nullptr;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return asked_ || stopping_; });
      if (stopping_) break;
      lock.unlock();
      if (connection == nullptr) connection = open_connection();
      // PASSIVE copies what no reader still needs and never waits for a lock. A failure (the
      // file went away, a disk error) leaves the WAL to the commit path's bound.
      const std::int64_t cycle = restarts.load(std::memory_order_relaxed);
      int log = 0, copied = 0;
      copying.store(true, std::memory_order_relaxed);
      if (connection != nullptr &&
          sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied) ==
              SQLITE_OK) {
        background.fetch_add(1, std::memory_order_relaxed);
        copied_frames.store(copied, std::memory_order_relaxed);
        copied_cycle.store(cycle, std::memory_order_relaxed);
      }
      copying.store(false, std::memory_order_release);
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      thread_cpu_ns.store(std::int64_t(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec,
                          std::memory_order_relaxed);
      lock.lock();
      // Asked again while copying: the commits since then wait for the next round.
      asked_ = false;
    }
    lock.unlock();
    // The last connection of the file to close copies what is left and removes the WAL.
    if (connection != nullptr) sqlite3_close(connection);
  }

  sqlite3* open_connection() const {
    sqlite3* connection = nullptr;
    if (sqlite3_open_v2(file_.c_str(), &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      sqlite3_close(connection);
      return nullptr;
    }
    // A checkpoint syncs the WAL before copying and the database file after it at FULL, as the
    // writers' own checkpoints did (configure_sqlite in database.cpp).
    sqlite3_exec(connection, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
    return connection;
  }

  const std::string file_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool asked_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<Checkpointer>>& registry() {
  static std::map<std::string, std::weak_ptr<Checkpointer>> files;
  return files;
}

std::shared_ptr<Checkpointer> checkpointer_for(const std::string& file) {
  std::lock_guard lock(registry_mutex);
  auto& files = registry();
  for (auto it = files.begin(); it != files.end();) {
    it = it->second.expired() ? files.erase(it) : std::next(it);
  }
  std::weak_ptr<Checkpointer>& slot = files[file];
  std::shared_ptr<Checkpointer> found = slot.lock();
  if (!found) {
    found = std::make_shared<Checkpointer>(file);
    slot = found;
  }
  return found;
}

// sqlite3_wal_hook: runs on the committing thread after each commit (its locks released), with
// the WAL's page count.
int after_commit(void* checkpointer, sqlite3* connection, const char* schema, int wal_pages) {
  auto& c = *static_cast<Checkpointer*>(checkpointer);
  // The frames this commit appended: the WAL's growth, or its length when it started again.
  const int before = c.last_wal_pages.exchange(wal_pages, std::memory_order_relaxed);
  c.frames.fetch_add(wal_pages >= before ? wal_pages - before : wal_pages,
                     std::memory_order_relaxed);
  if (wal_pages < before) c.restarts.fetch_add(1, std::memory_order_relaxed);
  if (wal_pages >= kCommitPathPages) {
    if (sqlite3_wal_checkpoint_v2(connection, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr) == SQLITE_OK) {
      c.on_commit_path.fetch_add(1, std::memory_order_relaxed);
    }
    return SQLITE_OK;
  }
  if (wal_pages < kBackgroundPages) return SQLITE_OK;
  if (c.copying.load(std::memory_order_acquire)) return SQLITE_OK;  // its end decides
  const std::int64_t cycle = c.restarts.load(std::memory_order_relaxed);
  const bool copied_this_cycle = c.copied_cycle.load(std::memory_order_relaxed) == cycle;
  const int left = wal_pages - c.copied_frames.load(std::memory_order_relaxed);
  if (copied_this_cycle && left <= kFinishOnCommitPages &&
      c.unfinished_cycle.load(std::memory_order_relaxed) != cycle) {
    // The thread copied all but the commits made during its round. Another round would again
    // miss the commits made during it (each round syncs the WAL and the file, ~10 rounds per
    // cycle under a stream of commits); copied here, between two transactions, the WAL is
    // whole in the file and the next transaction starts it again from its beginning.
    int log = 0, copied = 0;
    if (sqlite3_wal_checkpoint_v2(connection, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) ==
        SQLITE_OK) {
      c.finished_on_commit.fetch_add(1, std::memory_order_relaxed);
      if (copied < log) c.unfinished_cycle.store(cycle, std::memory_order_relaxed);
    }
    return SQLITE_OK;
  }
  c.ask();
  return SQLITE_OK;
}

// The registration's holder lives as long as the connection: SQLite destroys a function's user
// data when the connection closes (after its files are closed).
void answer_null(sqlite3_context* context, int, sqlite3_value**) { sqlite3_result_null(context); }
void release_holder(void* holder) { delete static_cast<std::shared_ptr<Checkpointer>*>(holder); }

}  // namespace

void attach_wal_checkpointer(soci::session& session) {
  using namespace sqlite_api;
  sqlite3* connection = static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
  const char* file = sqlite3_db_filename(connection, "main");
  if (file == nullptr || *file == '\0') {
    throw soci::soci_error("a WAL checkpointer needs a database file");
  }
  auto* holder = new std::shared_ptr<Checkpointer>(checkpointer_for(file));
  Checkpointer* checkpointer = holder->get();
  // On failure SQLite runs release_holder itself.
  if (sqlite3_create_function_v2(connection, "fangfan_wal_checkpointer", 0, SQLITE_UTF8, holder,
                                 &answer_null, nullptr, nullptr, &release_holder) != SQLITE_OK) {
    throw soci::soci_error(std::string("cannot register the WAL checkpointer: ") +
                           sqlite3_errmsg(connection));
  }
  sqlite3_wal_hook(connection, &after_commit, checkpointer);
}

WalCheckpointCounts wal_checkpoint_counts(const std::string& database_file) {
  std::lock_guard lock(registry_mutex);
  auto& files = registry();
  auto it = files.find(database_file);
  if (it == files.end()) {
    std::error_code ec;
    const std::string canonical = std::filesystem::weakly_canonical(database_file, ec).string();
    if (!ec) it = files.find(canonical);
  }
  if (it == files.end()) return {};
  const std::shared_ptr<Checkpointer> c = it->second.lock();
  if (!c) return {};
  return {c->background.load(), c->on_commit_path.load(), c->thread_cpu_ns.load(),
          c->frames.load(),     c->restarts.load(),       c->finished_on_commit.load()};
}

}  // namespace fangfan::storage_detail
