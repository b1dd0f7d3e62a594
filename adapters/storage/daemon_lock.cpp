#include "adapters/storage/daemon_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fangfan {

SqliteDaemonLock::SqliteDaemonLock(const std::filesystem::path& database_file)
    : path_(database_file.string() + ".daemon-lock") {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    error_ = "无法创建守护进程锁文件 " + path_ + " (cannot create the daemon lock file " + path_ +
             "): " + std::strerror(errno);
    return;
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      held_elsewhere_ = true;
    } else {
      error_ = "无法锁定 " + path_ + " (cannot lock " + path_ + "): " + std::strerror(error);
    }
  }
}

SqliteDaemonLock::~SqliteDaemonLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace fangfan
