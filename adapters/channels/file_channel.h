// The embedded default channel: each delivered message is appended to a file
// as one JSON line {"outbox_id", "recipient", "type", "body", "params",
// "delivered_at"} and flushed to disk (fsync) before deliver() completes, so
// nothing external is needed to see what fangfan would send. A message with an
// attachment (a department list) adds "attachment": {"name", "path", "sha256",
// "size"}; the file itself is not copied.
//
// The blocking write and fsync run on one thread the channel owns; the
// awaiting coroutine resumes on its own executor. One thread also keeps the
// lines of concurrent deliveries whole and in order.
//
// Duplicates: if the process dies after the write and before the outbox row is
// marked sent, the message is written again after restart; readers dedupe on
// outbox_id. Thread-safety: deliver() may be awaited from several coroutines.
// REQUIRES: the channel outlives every deliver() it started.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <filesystem>

#include "adapters/channels/channel.h"
#include "workflows/clock.h"

namespace fangfan {

class FileChannel final : public Channel {
 public:
  // The folder of `path` is created when missing.
  FileChannel(std::filesystem::path path, const Clock& clock);
  ~FileChannel() override;
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

 private:
  DeliveryResult write_line(const OutgoingMessage& message);  // blocking; on pool_ only

  std::string name_ = "file";
  std::filesystem::path path_;
  const Clock& clock_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace fangfan
