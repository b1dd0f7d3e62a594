#include "adapters/channels/file_channel.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "workflows/date.h"

namespace fangfan {

namespace asio = boost::asio;

FileChannel::FileChannel(std::filesystem::path path, const Clock& clock)
    : path_(std::move(path)), clock_(clock) {}

FileChannel::~FileChannel() { pool_.join(); }

asio::awaitable<DeliveryResult> FileChannel::deliver(OutgoingMessage message) {
  return asio::co_spawn(
      pool_,
      [this, message = std::move(message)]() -> asio::awaitable<DeliveryResult> {
        co_return write_line(message);
      },
      // A write that started finishes (and its answer is recorded) even when
      // the awaiting coroutine is cancelled at shutdown.
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

DeliveryResult FileChannel::write_line(const OutgoingMessage& message) {
  using Outcome = DeliveryResult::Outcome;
  boost::json::object params;
  for (const auto& [k, v] : message.params) params[k] = v;
  boost::json::object line{
      {"outbox_id", message.outbox_id}, {"recipient", message.recipient},
      {"type", message.message_type},   {"body", message.text},
      {"params", std::move(params)},    {"delivered_at", format_time(clock_.now())}};
  if (message.attachment) {
    // The file stays where it was produced; the line says which one, to check it by its hash.
    const Attachment& a = *message.attachment;
    line["attachment"] = boost::json::object{
        {"name", a.file_name}, {"path", a.path}, {"sha256", a.sha256}, {"size", a.size}};
  }
  std::string text = boost::json::serialize(line) + "\n";

  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return DeliveryResult::failed(Outcome::kRetry, "",
                                  "cannot open " + path_.string() + ": " + std::strerror(errno));
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
      return DeliveryResult::failed(Outcome::kRetry, "", err);
    }
    p += n;
    left -= size_t(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    return DeliveryResult::failed(Outcome::kRetry, "", "cannot flush " + path_.string());
  }
  return DeliveryResult::sent("file:" + std::to_string(offset));
}

}  // namespace fangfan
