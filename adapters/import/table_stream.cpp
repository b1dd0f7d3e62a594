// Opening a table stream: the file's first bytes tell the format; CSV reads through a
// ByteSource, XLSX through libzip.
#include "adapters/import/table_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "adapters/import/table_stream_parts.h"

namespace fangfan {
namespace {

constexpr std::string_view kZipMagic = "PK\x03\x04";

class FileSource final : public ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::optional<std::size_t> read(char* buffer, std::size_t size) override {
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return std::nullopt;
    }
  }

 private:
  int fd_;
};

class BytesSource final : public ByteSource {
 public:
  BytesSource(std::shared_ptr<const std::string> owned, std::string_view bytes)
      : owned_(std::move(owned)), bytes_(bytes) {}

  std::optional<std::size_t> read(char* buffer, std::size_t size) override {
    const std::size_t n = std::min(size, bytes_.size());
    std::memcpy(buffer, bytes_.data(), n);
    bytes_.remove_prefix(n);
    return n;
  }

 private:
  std::shared_ptr<const std::string> owned_;
  std::string_view bytes_;
};

TableStreamResult open_from_memory(std::shared_ptr<const std::string> owned, std::string_view bytes,
                                   const TableStreamOptions& options) {
  if (bytes.substr(0, kZipMagic.size()) == kZipMagic) {
    return open_xlsx_stream(std::move(owned), bytes, options);
  }
  return open_csv_stream(std::make_unique<BytesSource>(std::move(owned), bytes), options);
}

}  // namespace

std::unique_ptr<ByteSource> bytes_source(std::string_view bytes) {
  return std::make_unique<BytesSource>(nullptr, bytes);
}

std::string_view trim_view(std::string_view text) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  for (;;) {
    if (!text.empty() && space(text.front())) {
      text.remove_prefix(1);
    } else if (text.substr(0, 3) == kIdeographicSpace) {
      text.remove_prefix(3);
    } else {
      break;
    }
  }
  for (;;) {
    if (!text.empty() && space(text.back())) {
      text.remove_suffix(1);
    } else if (text.size() >= 3 && text.substr(text.size() - 3) == kIdeographicSpace) {
      text.remove_suffix(3);
    } else {
      break;
    }
  }
  return text;
}

std::string expanded_limit_message(std::uint64_t limit, std::string_view where_cn,
                                   std::string_view where_en) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  const bool mib = limit % kMiB == 0;
  const std::string n = std::to_string(mib ? limit / kMiB : limit);
  return "文件展开后超过 " + n + (mib ? " MiB" : " 字节") + " 的上限（" + std::string(where_cn) +
         "），拒绝继续读取 (the file expands beyond the limit of " + n +
         (mib ? " MiB " : " bytes ") + std::string(where_en) + "; not read further)";
}

TableStreamResult open_table_file(const std::string& path, const TableStreamOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    return "无法打开文件 (cannot open the file: " + why + ")";
  }
  char magic[4] = {};
  std::size_t got = 0;
  while (got < sizeof magic) {
    const ssize_t n = ::pread(fd, magic + got, sizeof magic - got, static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (std::string_view(magic, got) == kZipMagic) {
    ::close(fd);
    return open_xlsx_file_stream(path, options);
  }
  return open_csv_stream(std::make_unique<FileSource>(fd), options);
}

TableStreamResult open_table_bytes(std::string bytes, const TableStreamOptions& options) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view view = *owned;
  return open_from_memory(std::move(owned), view, options);
}

TableStreamResult open_table_view(std::string_view bytes, const TableStreamOptions& options) {
  return open_from_memory(nullptr, bytes, options);
}

}  // namespace fangfan
