// The XLSX stream (table_stream.h): as much of Office Open XML as an export needs. The first
// worksheet of the workbook (xl/workbook.xml's first <sheet>, found through
// xl/_rels/workbook.xml.rels), shared strings (rich-text runs joined, phonetic runs skipped),
// inline strings, formula results, booleans, and numbers. A number whose cell style is a date
// format (a built-in date format id, or a custom format code with day/month/year letters) is an
// Excel date serial and becomes "YYYY-MM-DD" (the 1900 system with Excel's phantom 1900-02-29,
// or the 1904 system when the workbook says so). Other numbers keep their text, except that an
// integral value Excel wrote in exponent form ("1.3812345678E10") is written out in full.
//
// The archive is read with libzip (from the file or from memory), the XML with expat (namespace
// prefixes are ignored: some generators write "x:c" for "c"). The shared strings are loaded
// once, trimmed, into one arena (every row needs them); the worksheet is decompressed and parsed
// chunk by chunk, completed rows queued for next(). Shared strings and sheet XML together may
// not expand beyond the caller's limit (checked on the sizes the archive declares, and again on
// the bytes actually read); the small parts (workbook, relationships, styles) beyond
// kMaxPartBytes. So a zip bomb is refused instead of exhausting memory.
#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
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

namespace fangfan {
namespace {

constexpr zip_uint64_t kMaxPartBytes = 16ull * 1024 * 1024;

// Thrown inside this file only; read_xlsx() returns its sentence.
struct XlsxProblem {
  std::string message;
};

const std::string kNotXlsx =
    "文件不是有效的 XLSX 工作簿，请用 Excel 另存为 .xlsx 或 CSV 后重新导入 (the file is not a "
    "valid XLSX workbook; save it from Excel as .xlsx or CSV and import it again)";

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// A part of the archive as text; nullopt when absent. Throws XlsxProblem for a broken archive.
std::optional<std::string> read_part(zip_t* archive, const std::string& name) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(archive, name.c_str(), 0, &st) != 0) return std::nullopt;
  if ((st.valid & ZIP_STAT_SIZE) == 0 || st.size > kMaxPartBytes) {
    throw XlsxProblem{std::string("XLSX 文件中的 " + name + " 过大，拒绝读取 (the part " + name +
                                  " of the XLSX file is too large)")};
  }
  zip_file_t* f = zip_fopen(archive, name.c_str(), 0);
  if (f == nullptr) throw XlsxProblem{kNotXlsx};
  std::string out(static_cast<std::size_t>(st.size), '\0');
  zip_int64_t got = 0;
  while (static_cast<zip_uint64_t>(got) < st.size) {
    const zip_int64_t n = zip_fread(f, out.data() + got, st.size - static_cast<zip_uint64_t>(got));
    if (n <= 0) break;
    got += n;
  }
  zip_fclose(f);
  if (static_cast<zip_uint64_t>(got) != st.size) throw XlsxProblem{kNotXlsx};
  return out;
}

std::string_view local_name(const XML_Char* name) {
  std::string_view n(name);
  const std::size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::optional<std::string> attribute(const XML_Char** attrs, std::string_view local) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (local_name(attrs[i]) == local) return std::string(attrs[i + 1]);
  }
  return std::nullopt;
}

std::string xml_error(XML_Parser parser, const std::string& part) {
  const std::string line = std::to_string(XML_GetCurrentLineNumber(parser));
  const std::string why = XML_ErrorString(XML_GetErrorCode(parser));
  return "XLSX 文件中的 " + part + " 第 " + line + " 行 XML 有误：" + why + " (the XML of " + part +
         " is malformed at line " + line + ": " + why + ")";
}

// An expat parse with start/end/text callbacks, fed whole or in chunks. Callbacks must not
// throw (expat is C): they report a problem with fail(), which stops the parse; feed() then
// throws it.
class XmlWalk {
 public:
  std::function<void(std::string_view, const XML_Char**)> on_start;
  std::function<void(std::string_view)> on_end;
  std::function<void(std::string_view)> on_text;

  explicit XmlWalk(std::string part)
      : part_(std::move(part)), parser_(XML_ParserCreate("UTF-8"), &XML_ParserFree) {
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(
        parser_.get(),
        [](void* self, const XML_Char* name, const XML_Char** attrs) {
          auto* w = static_cast<XmlWalk*>(self);
          if (w->on_start && !w->problem_) w->on_start(local_name(name), attrs);
        },
        [](void* self, const XML_Char* name) {
          auto* w = static_cast<XmlWalk*>(self);
          if (w->on_end && !w->problem_) w->on_end(local_name(name));
        });
    XML_SetCharacterDataHandler(parser_.get(), [](void* self, const XML_Char* s, int len) {
      auto* w = static_cast<XmlWalk*>(self);
      if (w->on_text && !w->problem_)
        w->on_text(std::string_view(s, static_cast<std::size_t>(len)));
    });
  }

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
    XML_StopParser(parser_.get(), XML_FALSE);
  }

  // Throws XlsxProblem naming the part when the XML is malformed, or what a callback failed with.
  void feed(std::string_view xml, bool last) {
    const bool parsed = XML_Parse(parser_.get(), xml.data(), static_cast<int>(xml.size()),
                                  last ? XML_TRUE : XML_FALSE) != XML_STATUS_ERROR;
    if (problem_) throw XlsxProblem{*problem_};
    if (!parsed) throw XlsxProblem{xml_error(parser_.get(), part_)};
  }

 private:
  std::string part_;
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser_;
  std::optional<std::string> problem_;
};

// Parses a small part read whole.
void parse_part(XmlWalk& walk, const std::string& xml) { walk.feed(xml, true); }

bool is_builtin_date_format(int id) {
  return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

// A custom number format is a date when, outside quoted text and [..] sections, it has a
// day or year letter, or an 'm' with a day or year letter (so "0.00" and "mm:ss" are not).
bool is_date_format_code(std::string_view code) {
  bool quoted = false, bracket = false, d = false, y = false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '[') bracket = true;
    if (c == ']') bracket = false;
    if (bracket) continue;
    if (c == 'd' || c == 'D') d = true;
    if (c == 'y' || c == 'Y') y = true;
    if (c == ';') break;  // only the positive-number section counts
  }
  return d || y;
}

// Which cell style indexes (the c element's s attribute) show dates.
std::vector<bool> date_styles(zip_t* archive) {
  std::vector<bool> out;
  auto xml = read_part(archive, "xl/styles.xml");
  if (!xml) return out;
  std::map<int, bool> custom;
  bool in_xfs = false;
  XmlWalk w("xl/styles.xml");
  w.on_start = [&](std::string_view n, const XML_Char** a) {
    if (n == "numFmt") {
      auto id = attribute(a, "numFmtId");
      auto code = attribute(a, "formatCode");
      if (id && code) custom[std::atoi(id->c_str())] = is_date_format_code(*code);
    } else if (n == "cellXfs") {
      in_xfs = true;
    } else if (n == "xf" && in_xfs) {
      const int id = std::atoi(attribute(a, "numFmtId").value_or("0").c_str());
      auto it = custom.find(id);
      out.push_back(it != custom.end() ? it->second : is_builtin_date_format(id));
    }
  };
  w.on_end = [&](std::string_view n) {
    if (n == "cellXfs") in_xfs = false;
  };
  parse_part(w, *xml);
  return out;
}

struct Workbook {
  std::string first_sheet = "xl/worksheets/sheet1.xml";
  bool date1904 = false;
};

Workbook workbook(zip_t* archive) {
  Workbook out;
  auto xml = read_part(archive, "xl/workbook.xml");
  if (!xml) throw XlsxProblem{kNotXlsx};
  std::optional<std::string> rid;
  XmlWalk w("xl/workbook.xml");
  w.on_start = [&](std::string_view n, const XML_Char** a) {
    if (n == "sheet" && !rid) rid = attribute(a, "id");
    if (n == "workbookPr") {
      const std::string v = attribute(a, "date1904").value_or("0");
      out.date1904 = v == "1" || v == "true";
    }
  };
  parse_part(w, *xml);
  if (!rid) {
    throw XlsxProblem{std::string("XLSX 工作簿中没有工作表 (the XLSX workbook has no worksheet)")};
  }
  if (auto rels = read_part(archive, "xl/_rels/workbook.xml.rels")) {
    std::optional<std::string> target;
    XmlWalk r("xl/_rels/workbook.xml.rels");
    r.on_start = [&](std::string_view n, const XML_Char** a) {
      if (n == "Relationship" && attribute(a, "Id") == rid) target = attribute(a, "Target");
    };
    parse_part(r, *rels);
    if (target) {
      out.first_sheet = target->front() == '/' ? target->substr(1) : "xl/" + *target;
    }
  }
  return out;
}

// "AB12" -> column 27 (0-based 27) and row 12; nullopt when malformed.
std::optional<std::pair<int, int>> parse_ref(std::string_view ref) {
  int col = 0;
  std::size_t i = 0;
  while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') {
    col = col * 26 + (ref[i] - 'A' + 1);
    if (col > 16384) return std::nullopt;
    ++i;
  }
  if (i == 0) return std::nullopt;
  int row = 0;
  auto [end, ec] = std::from_chars(ref.data() + i, ref.data() + ref.size(), row);
  if (ec != std::errc{} || end != ref.data() + ref.size() || row < 1) return std::nullopt;
  return std::make_pair(col - 1, row);
}

std::string serial_to_date(double serial, bool date1904) {
  using namespace std::chrono;
  const long days = static_cast<long>(std::floor(serial));
  sys_days base = date1904 ? sys_days(year{1904} / 1 / 1) : sys_days(year{1899} / 12 / 30);
  // Excel's 1900 system counts a 1900-02-29 that never was (serial 60): below it, one day less.
  if (!date1904 && days < 61) base += std::chrono::days{1};
  const year_month_day ymd{base + std::chrono::days{days}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string number_text(const std::string& v) {
  if (v.find_first_of("eE") == std::string::npos) return v;
  double x = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || end != v.data() + v.size()) return v;
  if (std::floor(x) == x && std::fabs(x) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  return v;
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

// The shared strings, trimmed, end to end in one arena: string i is [end(i-1), end(i)).
class SharedStrings {
 public:
  std::size_t size() const { return ends_.size(); }
  std::string_view at(std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(arena_).substr(from, ends_[i] - from);
  }
  void add(std::string_view s) {
    arena_.append(trim_view(s));
    ends_.push_back(arena_.size());
  }

 private:
  std::string arena_;
  std::vector<std::size_t> ends_;
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
      load_shared_strings();
      sheet_.reset(zip_fopen(archive_.get(), sheet_name_.c_str(), 0));
      if (!sheet_) throw XlsxProblem{kNotXlsx};
    } catch (const XlsxProblem& problem) {
      return problem.message;
    }
    parser_.reset(XML_ParserCreate("UTF-8"));
    XML_SetUserData(parser_.get(), this);
    XML_SetElementHandler(parser_.get(), &XlsxStream::on_start, &XlsxStream::on_end);
    XML_SetCharacterDataHandler(parser_.get(), &XlsxStream::on_text);
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
  void load_shared_strings() {
    const std::string name = "xl/sharedStrings.xml";
    ZipFile f(zip_fopen(archive_.get(), name.c_str(), 0));
    if (!f) return;  // no shared strings: every text cell is inline
    std::string current;
    bool in_si = false, in_t = false;
    int phonetic = 0;  // inside <rPh> (furigana runs): not part of the text
    XmlWalk w(name);
    w.on_start = [&](std::string_view n, const XML_Char**) {
      if (n == "si") {
        in_si = true;
        current.clear();
      } else if (n == "rPh") {
        ++phonetic;
      } else if (n == "t" && in_si && phonetic == 0) {
        in_t = true;
      }
    };
    w.on_end = [&](std::string_view n) {
      if (n == "si") {
        strings_.add(current);
        in_si = false;
      } else if (n == "rPh") {
        --phonetic;
      } else if (n == "t") {
        in_t = false;
      }
    };
    w.on_text = [&](std::string_view s) {
      if (in_t) current += s;
    };
    for (;;) {
      const zip_int64_t n = zip_fread(f.get(), chunk_.data(), chunk_.size());
      if (n < 0) throw XlsxProblem{kNotXlsx};
      if (!count_expanded(static_cast<std::size_t>(n))) {
        throw XlsxProblem{expanded_limit_message(options_.max_expanded_bytes, "共享字符串",
                                                 "in the shared strings")};
      }
      w.feed(std::string_view(chunk_.data(), static_cast<std::size_t>(n)), n == 0);
      if (n == 0) break;
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
    const bool parsed = XML_Parse(parser_.get(), chunk_.data(), static_cast<int>(n),
                                  done_ ? XML_TRUE : XML_FALSE) != XML_STATUS_ERROR;
    if (problem_) {
      error_ = problem_;
    } else if (!parsed) {
      error_ = xml_error(parser_.get(), sheet_name_);
    }
  }

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
    XML_StopParser(parser_.get(), XML_FALSE);
  }

  static void on_start(void* self, const XML_Char* name, const XML_Char** attrs) {
    auto* s = static_cast<XlsxStream*>(self);
    if (!s->problem_) s->start_element(local_name(name), attrs);
  }
  static void on_end(void* self, const XML_Char* name) {
    auto* s = static_cast<XlsxStream*>(self);
    if (!s->problem_) s->end_element(local_name(name));
  }
  static void on_text(void* self, const XML_Char* text, int size) {
    auto* s = static_cast<XlsxStream*>(self);
    if (s->in_value_ || s->in_inline_t_) s->value_.append(text, static_cast<std::size_t>(size));
  }

  void start_element(std::string_view n, const XML_Char** a) {
    if (n == "row") {
      if (queue_.size() <= count_) queue_.resize(count_ + 1);
      row_ = &queue_[count_];
      row_->line = 0;
      for (int i = 0; a[i] != nullptr; i += 2) {
        if (local_name(a[i]) == "r") {
          const std::string_view v(a[i + 1]);
          std::from_chars(v.data(), v.data() + v.size(), row_->line);
        }
      }
      if (row_->line <= last_row_) row_->line = last_row_ + 1;
      width_ = 0;
      next_col_ = 0;
    } else if (n == "c") {
      col_ = next_col_;
      type_ = 'n';
      style_ = -1;
      for (int i = 0; a[i] != nullptr; i += 2) {
        const std::string_view key = local_name(a[i]);
        const std::string_view v(a[i + 1]);
        if (key == "r") {
          if (auto ref = parse_ref(v)) col_ = ref->first;
        } else if (key == "t") {
          type_ = v == "inlineStr" ? 'i' : v == "str" ? 't' : v.empty() ? '?' : v[0];
          if (v.size() > 1 && type_ != 'i' && type_ != 't') type_ = '?';
        } else if (key == "s") {
          style_ = std::atoi(v.data());
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

  void end_element(std::string_view n) {
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
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser_{nullptr, &XML_ParserFree};
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
