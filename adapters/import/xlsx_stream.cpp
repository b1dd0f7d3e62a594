// The XLSX stream (table_stream.h): as much of Office Open XML as an export needs. The first
// worksheet of the workbook (xl/workbook.xml's first <sheet>, found through
// xl/_rels/workbook.xml.rels), shared strings (rich-text runs joined, phonetic runs skipped),
// inline strings, formula results, booleans, and numbers. A number whose cell style is a date
// format (a built-in date format id, or a custom format code with day/month/year letters) is an
// Excel date serial and becomes "YYYY-MM-DD" (the 1900 system with Excel's phantom 1900-02-29,
// or the 1904 system when the workbook says so). Other numbers keep their text, except that an
// integral value Excel wrote in exponent form ("1.3812345678E10") is written out in full.
//
// The archive is read with libzip (from the file or from memory); the workbook, relationships
// and styles with expat (xlsx_book.h), the shared strings and the worksheet with the faster
// scanner of xml_scan.h (namespace prefixes are ignored: some generators write "x:c" for "c"). The
// shared strings are loaded once, trimmed, into one arena (every row needs them); the worksheet is
// decompressed and parsed chunk by chunk, completed rows queued for next(). Shared strings and
// sheet XML together may not expand beyond the caller's limit (checked on the sizes the archive
// declares, and again on the bytes actually read); the small parts (workbook, relationships,
// styles) beyond kMaxPartBytes. So a zip bomb is refused instead of exhausting memory.
#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/import/table_stream_parts.h"
#include "adapters/import/text_encoding.h"
#include "adapters/import/xlsx_book.h"
#include "adapters/import/xml_scan.h"
#include "workflows/utf8.h"

namespace fangfan {
namespace {

const std::string& kNotXlsx = not_xlsx_message();

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// The sentence for a part the scanner (xml_scan.h) refused; `row`: the last row read, if any.
std::string malformed(const std::string& part, const std::string& why, std::int64_t row = 0) {
  const std::string at = row > 0 ? "第 " + std::to_string(row) + " 行之后" : std::string();
  const std::string at_en = row > 0 ? " after row " + std::to_string(row) : std::string();
  // The scanner quotes the file's own bytes (a tag name): escaped, so the sentence is UTF-8.
  return escape_invalid_utf8("XLSX 文件中的 " + part + " " + at + "XML 有误：" + why +
                             " (the XML of " + part + " is malformed" + at_en + ")");
}

struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipFile = std::unique_ptr<zip_file_t, ZipFileCloser>;

// The declared size of a part; nullopt when absent.
std::optional<zip_uint64_t> part_size(zip_t* archive, const std::string& name) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(archive, name.c_str(), 0, &st) != 0) return std::nullopt;
  return (st.valid & ZIP_STAT_SIZE) != 0 ? st.size : ~zip_uint64_t{0};
}

// The shared strings, trimmed, end to end in one arena: string i is [end(i-1), end(i)). Room is
// reserved from the part's declared size (the text is never longer than its XML, and each
// string takes at least 12 bytes of XML), so the arena does not grow by copying itself: only
// the pages written count towards resident memory.
class SharedStrings {
 public:
  void reserve(std::uint64_t xml_bytes) {
    xml_bytes = std::min<std::uint64_t>(xml_bytes, 128 * 1024 * 1024);  // a claim, not yet read
    arena_.reserve(static_cast<std::size_t>(xml_bytes));
    ends_.reserve(static_cast<std::size_t>(xml_bytes / 12));
  }
  std::size_t size() const { return ends_.size(); }
  std::string_view at(std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(arena_).substr(from, ends_[i] - from);
  }
  std::string_view text() const { return arena_; }
  // False when the strings would pass 4 GiB (ends are 32-bit to halve their memory).
  bool add(std::string_view s) {
    arena_.append(trim_view(s));
    if (arena_.size() > UINT32_MAX) return false;
    ends_.push_back(static_cast<std::uint32_t>(arena_.size()));
    return true;
  }

 private:
  std::string arena_;
  std::vector<std::uint32_t> ends_;
};

class XlsxStream final : public TableStream {
 public:
  XlsxStream(std::shared_ptr<const std::string> owned, zip_t* archive,
             const TableStreamOptions& options)
      : owned_(std::move(owned)), archive_(archive), options_(options) {
    format_ = "XLSX";
    chunk_.resize(std::clamp<std::size_t>(options_.chunk_bytes, 1, 256 * 1024));
  }

  // Reads the workbook, styles and shared strings and opens the sheet, then reads the header.
  std::optional<std::string> start() {
    try {
      const Workbook book = workbook(archive_.get());
      sheet_name_ = book.first_sheet;
      date1904_ = book.date1904;
      dates_ = date_styles(archive_.get());
      const auto sheet_size = part_size(archive_.get(), sheet_name_);
      if (!sheet_size) throw XlsxProblem{kNotXlsx};
      const zip_uint64_t strings_size =
          part_size(archive_.get(), "xl/sharedStrings.xml").value_or(0);
      if (strings_size > options_.max_expanded_bytes ||
          *sheet_size > options_.max_expanded_bytes - strings_size) {
        return expanded_limit_message(options_.max_expanded_bytes, "共享字符串和工作表",
                                      "in the shared strings and worksheet");
      }
      strings_.reserve(strings_size);
      load_shared_strings();
      sheet_.reset(zip_fopen(archive_.get(), sheet_name_.c_str(), 0));
      if (!sheet_) throw XlsxProblem{kNotXlsx};
    } catch (const XlsxProblem& problem) {
      return problem.message;
    }
    TableRow first;
    if (!next(first)) {
      if (error_) return error_;
      return std::string("文件是空的，没有表头行 (the file is empty: there is no header row)");
    }
    header_ = std::move(first.cells);
    return std::nullopt;
  }

  bool next(TableRow& row) override {
    while (head_ == count_) {
      if (done_ || error_) return false;
      // Every queued row is handed out: start the queue again, keeping a row in progress.
      if (row_ != nullptr && count_ != 0) {
        std::swap(queue_[0], queue_[count_]);
        row_ = &queue_[0];
      }
      head_ = count_ = 0;
      feed();
    }
    std::swap(row, queue_[head_++]);  // the caller's old buffers go back to the queue
    return true;
  }

 private:
  // Collects <si> texts: rich-text runs joined, phonetic runs (<rPh>, furigana) skipped.
  struct StringsHandler {
    SharedStrings& out;
    std::string current;
    bool in_si = false, in_t = false, too_long = false;
    int phonetic = 0;

    void start(std::string_view n, const std::vector<XmlAttr>&) {
      if (n == "si") {
        in_si = true;
        current.clear();
      } else if (n == "rPh") {
        ++phonetic;
      } else if (n == "t" && in_si && phonetic == 0) {
        in_t = true;
      }
    }
    void end(std::string_view n) {
      if (n == "si") {
        too_long = too_long || !out.add(current);
        in_si = false;
      } else if (n == "rPh") {
        --phonetic;
      } else if (n == "t") {
        in_t = false;
      }
    }
    void text(std::string_view s) {
      if (in_t) current += s;
    }
  };

  void load_shared_strings() {
    const std::string name = "xl/sharedStrings.xml";
    ZipFile f(zip_fopen(archive_.get(), name.c_str(), 0));
    if (!f) return;  // no shared strings: every text cell is inline
    StringsHandler handler{strings_};
    XmlScanner scanner;
    for (;;) {
      const zip_int64_t n = zip_fread(f.get(), chunk_.data(), chunk_.size());
      if (n < 0) throw XlsxProblem{kNotXlsx};
      if (!count_expanded(static_cast<std::size_t>(n))) {
        throw XlsxProblem{expanded_limit_message(options_.max_expanded_bytes, "共享字符串",
                                                 "in the shared strings")};
      }
      if (!scanner.feed(handler, std::string_view(chunk_.data(), static_cast<std::size_t>(n)),
                        n == 0)) {
        throw XlsxProblem{malformed(name, scanner.problem())};
      }
      if (n == 0) break;
    }
    if (handler.too_long) {
      throw XlsxProblem{
          expanded_limit_message(UINT32_MAX + 1ull, "共享字符串", "in the shared strings")};
    }
    if (!is_valid_utf8(strings_.text())) {
      throw XlsxProblem{
          std::string("XLSX 文件的共享字符串不是有效的 UTF-8 文本 (the shared strings "
                      "of the XLSX file are not valid UTF-8)")};
    }
  }

  bool count_expanded(std::size_t n) {
    expanded_ += n;
    return expanded_ <= options_.max_expanded_bytes;
  }

  // Decompresses and parses the next chunk of the sheet; completed rows land in the queue.
  void feed() {
    const zip_int64_t n = zip_fread(sheet_.get(), chunk_.data(), chunk_.size());
    if (n < 0) {
      error_ = kNotXlsx;
      return;
    }
    if (!count_expanded(static_cast<std::size_t>(n))) {
      const std::string line = std::to_string(last_row_);
      error_ = expanded_limit_message(options_.max_expanded_bytes, "读到第 " + line + " 行时",
                                      "at row " + line);
      return;
    }
    done_ = n == 0;
    const bool parsed =
        scanner_.feed(*this, std::string_view(chunk_.data(), static_cast<std::size_t>(n)), done_);
    if (problem_) {
      error_ = problem_;
    } else if (!parsed) {
      error_ = malformed(sheet_name_, scanner_.problem(), last_row_);
    }
  }

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
  }

 public:  // the scanner's handler
  void text(std::string_view s) {
    if (in_value_ || in_inline_t_) value_.append(s);
  }

  void start(std::string_view n, const std::vector<XmlAttr>& a) {
    if (problem_) return;
    if (n == "row") {
      if (queue_.size() <= count_) queue_.resize(count_ + 1);
      row_ = &queue_[count_];
      row_->line = 0;
      for (const XmlAttr& attr : a) {
        if (attr.name == "r") {
          std::from_chars(attr.value.data(), attr.value.data() + attr.value.size(), row_->line);
        }
      }
      if (row_->line <= last_row_) row_->line = last_row_ + 1;
      width_ = 0;
      next_col_ = 0;
    } else if (n == "c") {
      col_ = next_col_;
      type_ = 'n';
      style_ = -1;
      for (const XmlAttr& attr : a) {
        const std::string_view key = attr.name;
        const std::string_view v = attr.value;
        if (key == "r") {
          if (auto ref = parse_ref(v)) col_ = ref->first;
        } else if (key == "t") {
          type_ = v == "inlineStr" ? 'i' : v == "str" ? 't' : v.empty() ? '?' : v[0];
          if (v.size() > 1 && type_ != 'i' && type_ != 't') type_ = '?';
        } else if (key == "s") {
          style_ = -1;
          std::from_chars(v.data(), v.data() + v.size(), style_);
        }
      }
      value_.clear();
    } else if (n == "v") {
      in_value_ = true;
    } else if (n == "is") {
      in_inline_ = true;
    } else if (n == "rPh") {
      ++phonetic_;
    } else if (n == "t" && in_inline_ && phonetic_ == 0) {
      in_inline_t_ = true;
    }
  }

  void end(std::string_view n) {
    if (problem_) return;
    if (n == "v") {
      in_value_ = false;
    } else if (n == "t") {
      in_inline_t_ = false;
    } else if (n == "is") {
      in_inline_ = false;
    } else if (n == "rPh") {
      --phonetic_;
    } else if (n == "c") {
      end_cell();
    } else if (n == "row" && row_ != nullptr) {
      last_row_ = row_->line;
      row_->cells.resize(width_);
      const bool blank = std::all_of(row_->cells.begin(), row_->cells.end(),
                                     [](const std::string& c) { return c.empty(); });
      if (!blank) ++count_;  // a blank row stays in its slot, to be overwritten
      row_ = nullptr;
    }
  }

 private:
  void end_cell() {
    const int col = col_;
    next_col_ = col + 1;
    if (row_ == nullptr || col < 0 || col >= 16384) return;
    auto& cells = row_->cells;
    const auto c = static_cast<std::size_t>(col);
    if (c >= width_) {
      if (cells.size() <= c) cells.resize(c + 1);
      for (std::size_t k = width_; k < c; ++k) cells[k].clear();
      width_ = c + 1;
    }
    std::string& cell = cells[c];
    // Every value written out as it stands (numbers too: a <v> may hold any bytes) is UTF-8.
    if (type_ != 's' && type_ != 'b' && type_ != 'e' && !is_valid_utf8(value_)) {
      const std::string line = std::to_string(row_->line);
      fail("XLSX 文件第 " + line + " 行的文字不是有效的 UTF-8 (row " + line +
           " of the XLSX file holds text that is not valid UTF-8)");
      return;
    }
    switch (type_) {
      case 's': {
        std::size_t index = 0;
        auto [end, ec] = std::from_chars(value_.data(), value_.data() + value_.size(), index);
        if (ec != std::errc{} || index >= strings_.size()) {
          const std::string line = std::to_string(row_->line);
          fail("XLSX 文件第 " + line + " 行引用了不存在的共享字符串 (row " + line +
               " of the XLSX file refers to a shared string that does not exist)");
          return;
        }
        cell.assign(strings_.at(index));
        return;
      }
      case 'b':
        cell.assign(value_ == "1" ? "是" : "否");
        return;
      case 'e':
        cell.clear();  // #N/A, #REF!: no value
        return;
      case 'n':
        if (!value_.empty() && style_ >= 0 && static_cast<std::size_t>(style_) < dates_.size() &&
            dates_[style_]) {
          double serial = 0;
          auto [end, ec] = std::from_chars(value_.data(), value_.data() + value_.size(), serial);
          if (ec == std::errc{} && serial >= 1 && serial < 2958466) {
            cell.assign(serial_to_date(serial, date1904_));
            return;
          }
        } else if (value_.find_first_of("eE") != std::string::npos) {
          cell.assign(trim_view(number_text(value_)));
          return;
        }
        break;
      default:  // inlineStr, str (formula result), d (ISO date text)
        break;
    }
    cell.assign(trim_view(value_));
  }

  std::shared_ptr<const std::string> owned_;  // the bytes a buffer archive reads, if held here
  std::unique_ptr<zip_t, ZipCloser> archive_;
  TableStreamOptions options_;
  std::string chunk_;
  std::string sheet_name_;
  ZipFile sheet_;
  XmlScanner scanner_;
  SharedStrings strings_;
  std::vector<bool> dates_;
  bool date1904_ = false;
  std::optional<std::string> problem_;  // what a parser callback failed with
  bool done_ = false;
  // Completed rows [head_, count_) of queue_; the row being read, if any, is queue_[count_].
  std::vector<TableRow> queue_;
  std::size_t head_ = 0, count_ = 0;
  TableRow* row_ = nullptr;
  std::size_t width_ = 0;  // cells of the current row written so far
  std::int64_t last_row_ = 0;
  int next_col_ = 0;
  // The current cell.
  int col_ = 0;
  char type_ = 'n';  // s, b, n, e, d; i = inlineStr, t = str, ? = other
  int style_ = -1;
  std::string value_;
  bool in_value_ = false, in_inline_ = false, in_inline_t_ = false;
  int phonetic_ = 0;
};

TableStreamResult start_stream(std::unique_ptr<XlsxStream> stream) {
  if (auto problem = stream->start()) return *std::move(problem);
  return std::unique_ptr<TableStream>(std::move(stream));
}

}  // namespace

TableStreamResult open_xlsx_stream(std::shared_ptr<const std::string> owned, std::string_view bytes,
                                   const TableStreamOptions& options) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return kNotXlsx;
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return kNotXlsx;
  }
  return start_stream(std::make_unique<XlsxStream>(std::move(owned), archive, options));
}

TableStreamResult open_xlsx_file_stream(const std::string& path,
                                        const TableStreamOptions& options) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  if (archive == nullptr) return kNotXlsx;
  return start_stream(std::make_unique<XlsxStream>(nullptr, archive, options));
}

}  // namespace fangfan
