#include "adapters/channels/attachment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "adapters/channels/gateway_common.h"
#include "adapters/channels/signing.h"

namespace fangfan {

namespace asio = boost::asio;
using Outcome = DeliveryResult::Outcome;

namespace {

DeliveryResult missing(const Attachment& a, const std::string& why) {
  return DeliveryResult::failed(Outcome::kPermanent, "attachment_missing",
                                "名单文件不存在 (attachment file missing): " + a.path + ": " + why);
}

DeliveryResult changed(const Attachment& a, const std::string& what) {
  return DeliveryResult::failed(
      Outcome::kPermanent, "attachment_changed",
      "名单文件已改变，不发送 (attachment file changed since it was recorded, not sent): " +
          a.path + " (" + what + ")");
}

DeliveryResult unreadable(const Attachment& a, int err) {
  return DeliveryResult::failed(
      Outcome::kRetry, "attachment_unreadable",
      "名单文件读取失败 (cannot read attachment file): " + a.path + ": " + std::strerror(err));
}

// What a name may not carry inside a quoted multipart parameter.
std::string quoted_param(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

}  // namespace

std::optional<Attachment> attachment_from_params(const std::map<std::string, std::string>& params) {
  auto get = [&](const char* key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
  };
  Attachment a;
  a.path = get("attachment_path");
  if (a.path.empty()) return std::nullopt;
  a.file_name = get("attachment_name");
  a.sha256 = get("attachment_sha256");
  const std::string size = get("attachment_size");
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
  a.size = (ec == std::errc() && end == size.data() + size.size()) ? n : 0;
  return a;
}

std::variant<std::string, DeliveryResult> read_attachment(const Attachment& a) {
  if (a.path.empty() || a.path.front() != '/') return missing(a, "not an absolute path");
  const int fd = ::open(a.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return missing(a, std::strerror(err));
    return unreadable(a, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return missing(a, "not a regular file");
  }
  if (std::uint64_t(st.st_size) != a.size) {
    ::close(fd);
    return changed(a, std::to_string(st.st_size) + " bytes, recorded " + std::to_string(a.size));
  }
  // Read at most one byte more than recorded: a file that grew meanwhile shows as changed.
  std::string bytes(size_t(a.size) + 1, '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return unreadable(a, err);
    }
    if (n == 0) break;
    got += size_t(n);
  }
  ::close(fd);
  bytes.resize(got);
  if (got != a.size) {
    return changed(a, std::to_string(got) + " bytes read, recorded " + std::to_string(a.size));
  }
  std::string recorded = a.sha256;
  for (char& c : recorded) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (sha256_digest_hex(bytes) != recorded) return changed(a, "SHA-256 differs");
  return bytes;
}

AttachmentReader::~AttachmentReader() { pool_.join(); }

asio::awaitable<std::variant<std::string, DeliveryResult>> AttachmentReader::read(
    Attachment attachment) {
  return asio::co_spawn(
      pool_,
      [attachment =
           std::move(attachment)]() -> asio::awaitable<std::variant<std::string, DeliveryResult>> {
        co_return read_attachment(attachment);
      },
      asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

DeliveryResult cannot_send_files(std::string_view channel) {
  return DeliveryResult::failed(
      Outcome::kPermanent, "attachment_refused",
      "此渠道不能发送文件 (channel cannot send files): " + std::string(channel));
}

void MultipartBody::add_field(std::string name, std::string value) {
  parts_.push_back({std::move(name), std::nullopt, "", false, std::move(value)});
}

void MultipartBody::add_file(std::string name, std::string file_name, std::string bytes,
                             std::string content_type, bool file_length) {
  parts_.push_back({std::move(name), std::move(file_name), std::move(content_type), file_length,
                    std::move(bytes)});
}

MultipartBody::Encoded MultipartBody::encode() const {
  std::string boundary;
  for (;;) {
    boundary = "fangfan-" + random_hex(16);
    bool clash = false;
    for (const auto& p : parts_) clash = clash || p.bytes.find(boundary) != std::string::npos;
    if (!clash) break;
  }
  size_t total = 0;
  for (const auto& p : parts_) total += p.bytes.size() + 256;
  std::string body;
  body.reserve(total + boundary.size() + 8);
  for (const auto& p : parts_) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + quoted_param(p.name) + "\"";
    if (p.file_name) {
      body += "; filename=\"" + quoted_param(*p.file_name) + "\"";
      if (p.file_length) body += "; filelength=" + std::to_string(p.bytes.size());
      body += "\r\nContent-Type: " + p.content_type;
    }
    body += "\r\n\r\n";
    body += p.bytes;
    body += "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {"multipart/form-data; boundary=" + boundary, std::move(body)};
}

std::string content_type_for(std::string_view file_name) {
  if (ends_with(file_name, ".xlsx")) {
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  if (ends_with(file_name, ".csv")) return "text/csv; charset=utf-8";
  if (ends_with(file_name, ".zip")) return "application/zip";
  return "application/octet-stream";
}

}  // namespace fangfan
