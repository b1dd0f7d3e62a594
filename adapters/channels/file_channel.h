// The embedded default channel: each delivered message is appended to a file
// as one JSON line {"outbox_id", "recipient", "type", "body", "delivered_at"}
// and flushed to disk before deliver() returns, so nothing external is needed
// to see what fangfan would send.
//
// Duplicates: if the process dies after the write and before the outbox row is
// marked sent, the message is written again after restart; readers dedupe on
// outbox_id. Thread-safety: deliver() may be called from several threads.
#pragma once

#include <filesystem>
#include <mutex>

#include "adapters/channels/channel.h"
#include "workflows/clock.h"

namespace fangfan {

class FileChannel final : public Channel {
 public:
  // The folder of `path` is created when missing.
  FileChannel(std::filesystem::path path, const Clock& clock);
  const std::string& name() const override { return name_; }
  DeliveryResult deliver(const OutgoingMessage& message) override;

 private:
  std::string name_ = "file";
  std::filesystem::path path_;
  const Clock& clock_;
  std::mutex mutex_;
};

}  // namespace fangfan
