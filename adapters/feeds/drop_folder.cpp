#include "adapters/feeds/drop_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace fangfan {
namespace fs = std::filesystem;
namespace {

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Files a writer is still producing, or that are not data at all.
bool skipped_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.substr(0, 2) == "~$") return true;
  for (std::string_view tail : {".tmp", ".part", ".crdownload", ".swp"}) {
    if (ends_with(name, tail)) return true;
  }
  return false;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

bool fsync_path(const fs::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool feed_name_matches(std::string_view pattern, std::string_view name) {
  // Iterative wildcard matching with one backtrack point (linear in practice).
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string feed_file_pattern(const FeedSource& source, std::string_view period) {
  std::string out = source.file_pattern;
  for (std::size_t at = out.find("{period}"); at != std::string::npos;
       at = out.find("{period}", at + period.size())) {
    out.replace(at, 8, period);
  }
  return out;
}

DropLook look_in_drop_folder(const FeedSource& source, std::string_view period,
                             fs::file_time_type fs_now) {
  const fs::path folder(source.folder);
  const std::string pattern = feed_file_pattern(source, period);
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) {
    return "交换文件夹 " + quoted(folder) +
           " 无法读取 (the drop folder cannot be read: " + ec.message() + ")";
  }
  struct Candidate {
    fs::path path;
    fs::file_time_type mtime;
    std::uintmax_t size;
  };
  std::vector<Candidate> found;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    if (skipped_name(name) || !feed_name_matches(pattern, name)) continue;
    std::error_code fe;
    if (!e.is_regular_file(fe)) continue;
    const auto mtime = e.last_write_time(fe);
    const auto size = e.file_size(fe);
    if (fe) continue;  // vanished meanwhile
    found.push_back({e.path(), mtime, size});
  }
  if (ec) {
    return "交换文件夹 " + quoted(folder) +
           " 读取中断 (listing the drop folder failed: " + ec.message() + ")";
  }
  if (found.empty()) {
    return NotYet{"交换文件夹中没有本期文件 (no file matching '" + pattern + "' in " +
                  quoted(folder) + ")"};
  }
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    return a.mtime != b.mtime ? a.mtime < b.mtime : a.path.filename() < b.path.filename();
  });
  const Candidate& c = found.front();
  if (fs_now - c.mtime < std::chrono::seconds(source.settle_seconds)) {
    return NotYet{"文件 " + c.path.filename().string() +
                  " 仍在写入，稍后再取 (the file changed less than " +
                  std::to_string(source.settle_seconds) + " s ago; taken once it is complete)"};
  }
  return DropFile{c.path, c.size};
}

std::variant<fs::path, std::string> move_to_processed(const FeedSource& source,
                                                      const fs::path& file, std::int64_t run_id) {
  const fs::path dir = source.processed_folder.empty() ? fs::path(source.folder) / "processed"
                                                       : fs::path(source.processed_folder);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return "无法创建已处理文件夹 " + quoted(dir) +
           " (cannot create the processed folder: " + ec.message() + ")";
  }
  ::chmod(dir.c_str(), 0750);
  // Never over another file (the same data dropped twice keeps both copies).
  fs::path target = dir / (std::to_string(run_id) + "-" + file.filename().string());
  for (int n = 2; fs::exists(target, ec); ++n) {
    target =
        dir / (std::to_string(run_id) + "-" + std::to_string(n) + "-" + file.filename().string());
  }
  fs::rename(file, target, ec);
  if (!ec) {
    fsync_path(dir, O_RDONLY | O_DIRECTORY);
    return target;
  }
  if (ec != std::errc::cross_device_link) {
    return "无法移动文件到已处理文件夹 (moving " + quoted(file) + " to " + quoted(dir) +
           " failed: " + ec.message() + ")";
  }
  // Another file system: copy, make the copy durable, then remove the original.
  fs::copy_file(file, target, fs::copy_options::overwrite_existing, ec);
  if (ec || !fsync_path(target, O_RDONLY)) {
    fs::remove(target, ec);
    return "无法复制文件到已处理文件夹 (copying " + quoted(file) + " to " + quoted(dir) +
           " failed)";
  }
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
  fs::remove(file, ec);
  if (ec) {
    return "文件已复制但无法从交换文件夹移除 (copied to " + quoted(target) +
           " but removing the original failed: " + ec.message() + ")";
  }
  return target;
}

}  // namespace fangfan
