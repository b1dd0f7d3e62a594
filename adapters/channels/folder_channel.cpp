#include "adapters/channels/folder_channel.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <variant>
#include <vector>

#include "adapters/channels/attachment.h"
#include "adapters/channels/gateway_common.h"

namespace fangfan {

namespace asio = boost::asio;
using Outcome = DeliveryResult::Outcome;

namespace {

DeliveryResult refused(std::string error) {
  return DeliveryResult::failed(Outcome::kPermanent, "", std::move(error));
}

DeliveryResult io_failed(const std::string& what, const std::string& path, int err) {
  return DeliveryResult::failed(Outcome::kRetry, "",
                                what + ": " + path + ": " + std::strerror(err));
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string("/\0", 2)) == std::string::npos;
}

// The file at `path` already holds the attachment's bytes.
bool already_there(const std::string& path, const Attachment& a) {
  Attachment there = a;
  there.path = path;
  return std::holds_alternative<std::string>(read_attachment(there));
}

// Removes temporaries an interrupted copy of `file_name` left in `folder`.
void remove_stale_temporaries(const std::string& folder, const std::string& file_name) {
  const std::string prefix = "." + file_name + ".tmp-";
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return;
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) stale.emplace_back(e->d_name);
  }
  ::closedir(dir);
  for (const auto& name : stale) ::unlink((folder + "/" + name).c_str());
}

bool write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= size_t(n);
  }
  return true;
}

}  // namespace

bool any_list_folder(const ListsConfig& lists) {
  for (const auto& l : lists.lists) {
    if (!l.delivery.folder.empty()) return true;
  }
  return false;
}

FolderChannel::~FolderChannel() { pool_.join(); }

asio::awaitable<DeliveryResult> FolderChannel::deliver(OutgoingMessage message) {
  // Not a coroutine itself: the message moves into the pool's coroutine (g++ 12 mishandles a
  // lambda temporary inside a co_await expression).
  return asio::co_spawn(
      pool_,
      [message = std::move(message)]() -> asio::awaitable<DeliveryResult> {
        if (!message.attachment) {
          co_return refused(
              "此渠道只发送文件 (list_folder sends files only; the message has none)");
        }
        co_return copy_into_folder(message.recipient, *message.attachment);
      },
      // A copy that started finishes even when the awaiting coroutine is cancelled at shutdown.
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

DeliveryResult FolderChannel::copy_into_folder(const std::string& folder, const Attachment& a) {
  if (folder.empty() || folder.front() != '/') {
    return refused("投递文件夹须为绝对路径 (the drop folder must be an absolute path): " + folder);
  }
  if (!plain_file_name(a.file_name)) {
    return refused("文件名不可用 (the attachment's file name is not a plain name): " + a.file_name);
  }
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) {
    // A share not mounted right now: try again later rather than write beside it.
    return io_failed("投递文件夹不存在 (drop folder missing)", folder, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return refused("投递文件夹不是文件夹 (the drop folder is not a folder): " + folder);
  }
  const std::string target = folder + "/" + a.file_name;
  if (already_there(target, a)) return DeliveryResult::sent("folder:" + target, "exists");

  auto checked = read_attachment(a);
  if (auto* failed = std::get_if<DeliveryResult>(&checked)) return *failed;
  const std::string& bytes = std::get<std::string>(checked);

  remove_stale_temporaries(folder, a.file_name);
  const std::string temp = folder + "/." + a.file_name + ".tmp-" + random_hex(6);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return io_failed("无法写入投递文件夹 (cannot write the drop folder)", temp, errno);
  // The mode is the file's, not the umask's.
  const bool written = ::fchmod(fd, 0640) == 0 && write_all(fd, bytes) && ::fsync(fd) == 0;
  const int write_errno = errno;
  const bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    ::unlink(temp.c_str());
    return io_failed("无法写入投递文件夹 (cannot write the drop folder)", temp,
                     written ? errno : write_errno);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_failed("无法写入投递文件夹 (cannot rename into the drop folder)", target, err);
  }
  // The rename itself survives a power cut only once the folder is synced.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) return io_failed("无法同步投递文件夹 (cannot sync the drop folder)", folder, errno);
  return DeliveryResult::sent("folder:" + target);
}

}  // namespace fangfan
