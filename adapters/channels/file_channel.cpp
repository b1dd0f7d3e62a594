#include "adapters/channels/file_channel.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "workflows/date.h"

namespace fangfan {

FileChannel::FileChannel(std::filesystem::path path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

DeliveryResult FileChannel::deliver(const OutgoingMessage& message) {
  boost::json::object line{{"outbox_id", message.outbox_id},
                           {"recipient", message.recipient},
                           {"type", message.message_type},
                           {"body", message.body},
                           {"delivered_at", format_time(clock_.now())}};
  std::string text = boost::json::serialize(line) + "\n";

  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return {DeliveryResult::Outcome::kRetry, "",
            "cannot open " + path_.string() + ": " + std::strerror(errno), std::nullopt};
  }
  off_t offset = ::lseek(fd, 0, SEEK_END);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = "cannot write " + path_.string() + ": " + std::strerror(errno);
      // Cut back a partial line so the file stays one JSON object per line.
      if (ftruncate(fd, offset) != 0) err += " (and could not remove the partial line)";
      ::close(fd);
      return {DeliveryResult::Outcome::kRetry, "", err, std::nullopt};
    }
    p += n;
    left -= size_t(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    return {DeliveryResult::Outcome::kRetry, "", "cannot flush " + path_.string(), std::nullopt};
  }
  return {DeliveryResult::Outcome::kSent, "file:" + std::to_string(offset), "", std::nullopt};
}

}  // namespace fangfan
