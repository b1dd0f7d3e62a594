// The drop-folder channel `list_folder` (department lists, issue 13): the message's attachment is
// copied into the folder named by the recipient (an absolute path), as the attachment's file
// name. A reader of the folder never sees half a file: the bytes go to a hidden temporary name
// in the same folder, are fsynced, renamed over the final name, and the folder is fsynced; the
// file's mode is 0640 whatever the umask. The bytes written are the checked ones
// (attachment.h: missing or changed -> permanent).
//
// Idempotent: a file already there with the recorded SHA-256 is left as it is and the message
// counts as sent (a resend after a crash, a second delivery of the same list). Temporaries a
// crash left for the same name are removed before writing.
// A message without an attachment, a relative folder or a file name with '/' is refused for
// good; a folder that does not exist (a share not mounted) is retried.
//
// The blocking work runs on one thread the channel owns, like the file channel; the awaiting
// coroutine resumes on its own executor. Thread-safety: deliver() may be awaited from several
// coroutines. REQUIRES: the channel outlives every deliver() it started.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "adapters/channels/channel.h"
#include "workflows/list_rules.h"

namespace fangfan {

// Whether any list is delivered to a drop folder (the channel is then enabled).
bool any_list_folder(const ListsConfig& lists);

class FolderChannel final : public Channel {
 public:
  FolderChannel() = default;
  ~FolderChannel() override;
  const std::string& name() const override { return name_; }
  boost::asio::awaitable<DeliveryResult> deliver(OutgoingMessage message) override;

  // The copy itself; blocking (tests call it directly).
  static DeliveryResult copy_into_folder(const std::string& folder, const Attachment& attachment);

 private:
  std::string name_ = "list_folder";
  boost::asio::thread_pool pool_{1};
};

}  // namespace fangfan
