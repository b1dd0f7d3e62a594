// What the channels that send files share (department lists, issue 13): the Attachment a queued
// message names in its params, reading it back checked against what was recorded, the refusal
// of channels that take no files, and a multipart/form-data body.
//
// Never other data than recorded: read_attachment() returns the bytes only when their size and
// SHA-256 are the recorded ones, and the channels send exactly those bytes. A missing or changed
// file is a permanent failure naming the file (sending again would not bring it back); another
// read error (I/O, a share gone for a moment) is retried.
// Thread-safety: the free functions are pure or touch only the named file; AttachmentReader's
// read() may be awaited from several coroutines. REQUIRES: a reader outlives its reads.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/channels/channel.h"

namespace fangfan {

// The attachment a message's params name (attachment_path, attachment_name, attachment_sha256,
// attachment_size); nullopt when there is no attachment_path. A size that is not a number
// reads as 0 (and then fails the check).
std::optional<Attachment> attachment_from_params(const std::map<std::string, std::string>& params);

// The file's bytes when its size and SHA-256 are the recorded ones; else why not: missing or
// changed -> kPermanent, another read error -> kRetry. Blocking.
std::variant<std::string, DeliveryResult> read_attachment(const Attachment& attachment);

// read_attachment() on a thread of its own, off the event loop.
class AttachmentReader {
 public:
  AttachmentReader() = default;
  ~AttachmentReader();
  AttachmentReader(const AttachmentReader&) = delete;
  AttachmentReader& operator=(const AttachmentReader&) = delete;
  boost::asio::awaitable<std::variant<std::string, DeliveryResult>> read(Attachment attachment);

 private:
  boost::asio::thread_pool pool_{1};
};

// The permanent answer of a channel that takes no files to a message with one.
DeliveryResult cannot_send_files(std::string_view channel);

// A multipart/form-data body (RFC 7578). The boundary is random and checked against every
// part, so no content can end a part early. Field and file names are UTF-8; '"', CR and LF in
// them are percent-encoded as browsers do.
class MultipartBody {
 public:
  void add_field(std::string name, std::string value);
  // `file_length` adds WeChat Work's "filelength=N" to the part's Content-Disposition.
  void add_file(std::string name, std::string file_name, std::string bytes,
                std::string content_type = "application/octet-stream", bool file_length = false);
  // The body and its Content-Type header value ("multipart/form-data; boundary=...").
  struct Encoded {
    std::string content_type;
    std::string body;
  };
  Encoded encode() const;

 private:
  struct Part {
    std::string name;
    std::optional<std::string> file_name;
    std::string content_type;
    bool file_length = false;
    std::string bytes;
  };
  std::vector<Part> parts_;
};

// The content type a file name suggests: .xlsx, .csv, .zip; application/octet-stream else.
std::string content_type_for(std::string_view file_name);

}  // namespace fangfan
