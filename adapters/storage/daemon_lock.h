// One daemon per SQLite file: an exclusive lock (flock) on "<database file>.daemon-lock", held
// while the object lives (the kernel also releases it when the process dies, even by SIGKILL).
// fangfand takes it at start and keeps it for the life of the process
// (daemon/tasks/leadership.h hold_sqlite_daemon_lock); `fangfanctl storage copy` takes it for the
// copy, so a daemon cannot start on the file meanwhile and a running one refuses the copy.
// Errors are values: taken() false and why in held_elsewhere()/error(). Thread-safety: none needed.
#pragma once

#include <filesystem>
#include <string>

namespace fangfan {

class SqliteDaemonLock {
 public:
  // Tries once, without waiting.
  explicit SqliteDaemonLock(const std::filesystem::path& database_file);
  ~SqliteDaemonLock();
  SqliteDaemonLock(const SqliteDaemonLock&) = delete;
  SqliteDaemonLock& operator=(const SqliteDaemonLock&) = delete;

  bool taken() const { return fd_ >= 0 && error_.empty() && !held_elsewhere_; }
  // Another process holds it (a daemon on the file).
  bool held_elsewhere() const { return held_elsewhere_; }
  // When neither taken nor held elsewhere: the sentence naming the lock file and the system's
  // reason (the file could not be created or locked).
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  // Keeps the lock until the process ends, whatever happens to this object.
  void keep_for_process() { fd_ = -1; }

 private:
  std::string path_;
  int fd_ = -1;
  bool held_elsewhere_ = false;
  std::string error_;
};

}  // namespace fangfan
