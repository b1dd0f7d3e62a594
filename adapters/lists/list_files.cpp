// The files of a department list: XLSX (libxlsxwriter, constant memory), CSV for Excel, an
// AES-256 zip (libzip), digests (OpenSSL), and the atomic writes all of them go through.
#include "adapters/lists/list_files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace fangfan {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kFileMode = 0640;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
// Excel keeps at most 32,767 characters in a cell; bytes are a safe bound for UTF-8 text.
constexpr std::size_t kMaxCellBytes = 32767;

[[noreturn]] void fail(const fs::path& path, const std::string& what_cn,
                       const std::string& what_en) {
  throw ListFileError("名单文件“" + path.string() + "”" + what_cn + " (list file " + path.string() +
                      ": " + what_en + ")");
}

std::string errno_text() { return std::strerror(errno); }

void fsync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(folder, "所在文件夹无法打开", "cannot open the folder: " + errno_text());
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) fail(folder, "所在文件夹无法同步到磁盘", "fsync of the folder: " + errno_text());
}

// A file written under a temporary name in its folder and renamed onto its name by commit(): a
// reader never sees half a file. Not committed: the temporary file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path path) : path_(std::move(path)) {
    const fs::path folder = path_.parent_path().empty() ? fs::path(".") : path_.parent_path();
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) fail(path_, "所在文件夹无法创建", "cannot create the folder: " + ec.message());
    std::string tmpl = (folder / ("." + path_.filename().string() + ".tmp-XXXXXX")).string();
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0)
      fail(path_, "的临时文件无法创建", "cannot create a temporary file: " + errno_text());
    tmp_ = tmpl;
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  const fs::path& tmp() const { return tmp_; }

  void write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(path_, "写入失败", "write: " + errno_text());
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Someone else wrote the temporary file by its name (libxlsxwriter, libzip): reopen it.
  void reopen() {
    ::close(fd_);
    fd_ = ::open(tmp_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0)
      fail(path_, "的临时文件无法打开", "cannot reopen the temporary file: " + errno_text());
  }

  void commit() {
    if (::fchmod(fd_, kFileMode) != 0) fail(path_, "无法设置权限", "chmod: " + errno_text());
    if (::fsync(fd_) != 0) fail(path_, "无法同步到磁盘", "fsync: " + errno_text());
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      fail(path_, "无法改名为正式文件名", "rename: " + errno_text());
    }
    committed_ = true;
    fsync_folder(path_.parent_path().empty() ? fs::path(".") : path_.parent_path());
  }

 private:
  fs::path path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// -- SHA-256

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      throw ListFileError("SHA-256 无法初始化 (SHA-256 init failed)");
    }
  }
  void update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += kHex[md[i] >> 4];
      out += kHex[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// -- CSV

std::string header_of(const std::string& code) {
  const ListColumn* c = find_list_column(code);
  return c != nullptr ? std::string(c->header) : code;
}

// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// The CSV body (no BOM), handed to `sink` in pieces of about 64 KiB.
template <class Sink>
void csv_body(const ListContent& content, Sink&& sink) {
  std::string buffer;
  auto record = [&](auto cell_at, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) buffer += ',';
      append_csv_cell(buffer, cell_at(i));
    }
    buffer += "\r\n";
    if (buffer.size() >= 64 * 1024) {
      sink(std::string_view(buffer));
      buffer.clear();
    }
  };
  record([&](std::size_t i) { return header_of(content.columns[i]); }, content.columns.size());
  for (const ListRow& row : content.rows) {
    record([&](std::size_t i) -> std::string_view { return row.cells[i]; }, row.cells.size());
  }
  if (!buffer.empty()) sink(std::string_view(buffer));
}

// -- XLSX

// The longest prefix of `text` that Excel keeps in a cell, cut at a character boundary.
std::string_view cell_text(std::string_view text) {
  if (text.size() <= kMaxCellBytes) return text;
  std::size_t n = kMaxCellBytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

class Xlsx {
 public:
  Xlsx(const fs::path& path, const fs::path& tmpdir) : path_(path), tmpdir_(tmpdir.string()) {
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    options.tmpdir = tmpdir_.data();
    book_ = workbook_new_opt(path.c_str(), &options);
    if (book_ == nullptr) fail(path, "无法创建工作簿", "workbook_new_opt failed");
    header_ = workbook_add_format(book_);
    format_set_bold(header_);
    format_set_bg_color(header_, 0xD9E1F2);
    format_set_border(header_, LXW_BORDER_THIN);
    text_ = workbook_add_format(book_);
    format_set_num_format(text_, "@");  // 文本: Excel keeps typed-in edits text as well
    label_ = workbook_add_format(book_);
    format_set_bold(label_);
  }
  Xlsx(const Xlsx&) = delete;
  Xlsx& operator=(const Xlsx&) = delete;
  ~Xlsx() {
    if (book_ != nullptr) workbook_close(book_);  // only after a failure: the file is dropped
  }

  lxw_worksheet* sheet(const char* name) {
    lxw_worksheet* ws = workbook_add_worksheet(book_, name);
    if (ws == nullptr) fail(path_, std::string("无法添加工作表") + name, "add worksheet");
    return ws;
  }
  void put(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, const std::string& text,
           lxw_format* format = nullptr) {
    if (text.empty()) return;
    // Only an over-long cell is copied (cut); the rest go straight through.
    const std::string_view kept = cell_text(text);
    write(ws, row, col, kept.size() == text.size() ? text.c_str() : std::string(kept).c_str(),
          format);
  }
  void put(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, std::string_view text,
           lxw_format* format = nullptr) {
    put(ws, row, col, std::string(text), format);
  }
  void put(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, const char* text,
           lxw_format* format = nullptr) {
    put(ws, row, col, std::string(text), format);
  }
  void close() {
    const lxw_error rc = workbook_close(book_);
    book_ = nullptr;
    if (rc != LXW_NO_ERROR) fail(path_, "无法保存工作簿", lxw_strerror(rc));
  }

  lxw_format* header_ = nullptr;
  lxw_format* text_ = nullptr;
  lxw_format* label_ = nullptr;

 private:
  void write(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, const char* text,
             lxw_format* format) {
    const lxw_error rc = worksheet_write_string(ws, row, col, text, format);
    if (rc != LXW_NO_ERROR) fail(path_, "写入单元格失败", lxw_strerror(rc));
  }

  fs::path path_;
  std::string tmpdir_;
  lxw_workbook* book_ = nullptr;
};

void write_cover(Xlsx& x, const ListDocument& d) {
  lxw_worksheet* ws = x.sheet("封面");
  worksheet_set_column(ws, 0, 0, 24, nullptr);
  worksheet_set_column(ws, 1, 1, 72, nullptr);
  const ListContent& c = *d.content;
  int added = 0, changed = 0, left = 0;
  if (d.changes != nullptr) {
    for (const ListChange& ch : *d.changes) {
      (ch.kind == ListChange::Kind::kNew       ? added
       : ch.kind == ListChange::Kind::kChanged ? changed
                                               : left)++;
    }
  }
  const std::string against =
      d.previous_period.empty() ? "首次名单" : "与" + d.previous_period + "名单相比";
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"县（市、区）", d.county_name},
      {"部门", d.department_name},
      {"名单", d.list_name},
      {"期次", d.period},
      {"生成时间", d.generated_at},
      {"户数", std::to_string(c.households)},
      {"人数", std::to_string(c.persons)},
      {"行数", std::to_string(c.rows.size())},
      {"其中：监测对象（户）", std::to_string(c.monitored)},
      {"其中：即时帮扶（户）", std::to_string(c.instant)},
      {"其中：回退（户）", std::to_string(c.rolled_back)},
      {"变化", against + "：新增" + std::to_string(added) + "，信息变更" + std::to_string(changed) +
                   "，移出名单" + std::to_string(left)},
      {"数据校验码（SHA-256）", d.data_sha256},
      {"说明",
       "校验码为同期CSV文件去掉开头BOM后全部内容的SHA-256；名单含身份证号等个人信息，"
       "仅限本部门工作使用，不得外传。"},
  };
  x.put(ws, 0, 0, "防返贫监测帮扶名单", x.header_);
  x.put(ws, 0, 1, d.department_name + " " + d.period, x.header_);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    x.put(ws, lxw_row_t(i + 1), 0, rows[i].first, x.label_);
    x.put(ws, lxw_row_t(i + 1), 1, rows[i].second, x.text_);
  }
}

void write_rows(Xlsx& x, const ListContent& c) {
  lxw_worksheet* ws = x.sheet("名单");
  std::vector<bool> identity(c.columns.size(), false);
  for (std::size_t i = 0; i < c.columns.size(); ++i) {
    const ListColumn* col = find_list_column(c.columns[i]);
    identity[i] = col == nullptr || col->identity;
    worksheet_set_column(ws, lxw_col_t(i), lxw_col_t(i), col != nullptr ? col->width : 12,
                         identity[i] ? x.text_ : nullptr);
    x.put(ws, 0, lxw_col_t(i), header_of(c.columns[i]), x.header_);
  }
  worksheet_freeze_panes(ws, 1, 0);
  if (!c.columns.empty()) {
    worksheet_autofilter(ws, 0, 0, lxw_row_t(c.rows.size()), lxw_col_t(c.columns.size() - 1));
  }
  for (std::size_t r = 0; r < c.rows.size(); ++r) {
    const ListRow& row = c.rows[r];
    for (std::size_t i = 0; i < row.cells.size() && i < identity.size(); ++i) {
      x.put(ws, lxw_row_t(r + 1), lxw_col_t(i), row.cells[i], identity[i] ? x.text_ : nullptr);
    }
  }
}

void write_changes(Xlsx& x, const std::vector<ListChange>* changes) {
  lxw_worksheet* ws = x.sheet("变化");
  const std::array<std::pair<const char*, double>, 4> headers{
      {{"类型", 10}, {"户编号", 16}, {"姓名", 10}, {"说明", 60}}};
  for (std::size_t i = 0; i < headers.size(); ++i) {
    worksheet_set_column(ws, lxw_col_t(i), lxw_col_t(i), headers[i].second,
                         i == 1 ? x.text_ : nullptr);
    x.put(ws, 0, lxw_col_t(i), headers[i].first, x.header_);
  }
  worksheet_freeze_panes(ws, 1, 0);
  const std::size_t n = changes != nullptr ? changes->size() : 0;
  worksheet_autofilter(ws, 0, 0, lxw_row_t(n), 3);
  for (std::size_t r = 0; r < n; ++r) {
    const ListChange& ch = (*changes)[r];
    x.put(ws, lxw_row_t(r + 1), 0, list_change_label(ch.kind));
    x.put(ws, lxw_row_t(r + 1), 1, ch.household_code, x.text_);
    x.put(ws, lxw_row_t(r + 1), 2, ch.name);
    x.put(ws, lxw_row_t(r + 1), 3, ch.detail);
  }
}

}  // namespace

std::string list_data_sha256(const ListContent& content) {
  Sha256 sha;
  csv_body(content, [&](std::string_view piece) { sha.update(piece); });
  return sha.hex();
}

void write_list_xlsx(const fs::path& path, const ListDocument& document) {
  if (document.content == nullptr) fail(path, "没有名单内容", "no content");
  AtomicFile file(path);
  {
    // libxlsxwriter keeps its own temporary files beside the target (never a memory-backed /tmp)
    // and writes the workbook to our temporary name.
    Xlsx x(file.tmp(), path.parent_path().empty() ? fs::path(".") : path.parent_path());
    write_cover(x, document);  // in constant-memory mode each sheet is written through in turn
    write_rows(x, *document.content);
    write_changes(x, document.changes);
    x.close();
  }
  file.reopen();
  file.commit();
}

void write_list_csv(const fs::path& path, const ListContent& content) {
  AtomicFile file(path);
  file.write(kBom);
  csv_body(content, [&](std::string_view piece) { file.write(piece); });
  file.commit();
}

void write_encrypted_zip(const fs::path& path, const std::vector<fs::path>& files,
                         const std::string& password) {
  if (password.empty()) fail(path, "没有密码", "empty password");
  if (files.empty()) fail(path, "没有要压缩的文件", "no files to put in the zip");
  AtomicFile file(path);
  int error = 0;
  zip_t* zip = zip_open(file.tmp().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    const std::string what = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    fail(path, "无法创建压缩包", "zip_open: " + what);
  }
  auto discard = [&](const std::string& what) {
    const std::string detail = what + ": " + zip_strerror(zip);
    zip_discard(zip);
    fail(path, "无法写入压缩包", detail);
  };
  for (const fs::path& f : files) {
    zip_source_t* source = zip_source_file(zip, f.c_str(), 0, -1);
    if (source == nullptr) discard("zip_source_file " + f.string());
    const zip_int64_t index =
        zip_file_add(zip, f.filename().c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);
      discard("zip_file_add " + f.filename().string());
    }
    if (zip_file_set_encryption(zip, zip_uint64_t(index), ZIP_EM_AES_256, password.c_str()) != 0) {
      discard("zip_file_set_encryption");
    }
  }
  if (zip_close(zip) != 0) discard("zip_close");
  file.reopen();
  file.commit();
}

std::string make_list_password(int length) {
  // No look-alikes (0/O, 1/l/I): the clerk types it from an SMS.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  if (length < 4) length = 4;
  for (;;) {
    std::string out;
    while (int(out.size()) < length) {
      std::array<unsigned char, 64> random{};
      if (RAND_bytes(random.data(), int(random.size())) != 1) {
        throw ListFileError("无法生成随机密码 (RAND_bytes failed)");
      }
      for (unsigned char b : random) {
        // Rejection sampling keeps every character equally likely.
        if (b >= 256 - 256 % kAlphabet.size()) continue;
        if (int(out.size()) < length) out += kAlphabet[b % kAlphabet.size()];
      }
    }
    // Letters and digits both, and never 6 digits in a row: the outbox's guard against unmasked
    // ID and phone numbers must let the password message through.
    bool digit = false, upper = false, lower = false;
    int run = 0, longest = 0;
    for (char c : out) {
      const bool d = c >= '0' && c <= '9';
      digit = digit || d;
      upper = upper || (c >= 'A' && c <= 'Z');
      lower = lower || (c >= 'a' && c <= 'z');
      run = d ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    if (digit && upper && lower && longest < 6) return out;
  }
}

FileDigest file_digest(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "无法读取", "cannot open for reading");
  Sha256 sha;
  FileDigest out;
  std::array<char, 64 * 1024> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    const std::streamsize n = in.gcount();
    if (n <= 0) break;
    sha.update(std::string_view(buffer.data(), std::size_t(n)));
    out.size += std::uint64_t(n);
  }
  if (in.bad()) fail(path, "读取失败", "read error");
  out.sha256 = sha.hex();
  return out;
}

void write_file_atomically(const fs::path& path, const std::string& bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void copy_file_atomically(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail(from, "无法读取", "cannot open for reading");
  AtomicFile file(to);
  std::array<char, 64 * 1024> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    const std::streamsize n = in.gcount();
    if (n > 0) file.write(std::string_view(buffer.data(), std::size_t(n)));
  }
  if (in.bad()) fail(from, "读取失败", "read error");
  file.commit();
}

}  // namespace fangfan
