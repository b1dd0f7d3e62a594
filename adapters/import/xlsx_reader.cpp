// XLSX (Office Open XML spreadsheet) reading, as much of it as an export needs: the first
// worksheet of the workbook (xl/workbook.xml's first <sheet>, found through
// xl/_rels/workbook.xml.rels), shared strings (rich-text runs joined, phonetic runs skipped),
// inline strings, formula results, booleans, and numbers. A number whose cell style is a date
// format (a built-in date format id, or a custom format code with day/month/year letters) is an
// Excel date serial and becomes "YYYY-MM-DD" (the 1900 system with Excel's phantom 1900-02-29,
// or the 1904 system when the workbook says so). Other numbers keep their text, except that an
// integral value Excel wrote in exponent form ("1.3812345678E10") is written out in full.
//
// The archive is read with libzip from memory, the XML with expat (namespace prefixes are
// ignored: some generators write "x:c" for "c"). No part may expand beyond kMaxPartBytes, so a
// zip bomb is refused instead of exhausting memory.
#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/import/import_table.h"

namespace fangfan {
namespace {

constexpr zip_uint64_t kMaxPartBytes = 256ull * 1024 * 1024;

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

// A streaming expat parse with start/end/text callbacks. Callbacks must not throw (expat is C):
// they report a problem with fail(), which stops the parse; parse() then throws it.
class XmlWalk {
 public:
  std::function<void(std::string_view, const XML_Char**)> on_start;
  std::function<void(std::string_view)> on_end;
  std::function<void(std::string_view)> on_text;

  void fail(std::string message) {
    if (!problem_) problem_ = std::move(message);
    if (parser_ != nullptr) XML_StopParser(parser_, XML_FALSE);
  }

  // Throws XlsxProblem naming `part` when the XML is malformed, or what a callback failed with.
  void parse(const std::string& xml, const std::string& part) {
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> p(XML_ParserCreate("UTF-8"),
                                                                   &XML_ParserFree);
    parser_ = p.get();
    XML_SetUserData(p.get(), this);
    XML_SetElementHandler(
        p.get(),
        [](void* self, const XML_Char* name, const XML_Char** attrs) {
          auto* w = static_cast<XmlWalk*>(self);
          if (w->on_start && !w->problem_) w->on_start(local_name(name), attrs);
        },
        [](void* self, const XML_Char* name) {
          auto* w = static_cast<XmlWalk*>(self);
          if (w->on_end && !w->problem_) w->on_end(local_name(name));
        });
    XML_SetCharacterDataHandler(p.get(), [](void* self, const XML_Char* s, int len) {
      auto* w = static_cast<XmlWalk*>(self);
      if (w->on_text && !w->problem_)
        w->on_text(std::string_view(s, static_cast<std::size_t>(len)));
    });
    const bool parsed =
        XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) != XML_STATUS_ERROR;
    parser_ = nullptr;
    if (problem_) throw XlsxProblem{*problem_};
    if (!parsed) {
      const std::string line = std::to_string(XML_GetCurrentLineNumber(p.get()));
      const std::string why = XML_ErrorString(XML_GetErrorCode(p.get()));
      throw XlsxProblem{"XLSX 文件中的 " + part + " 第 " + line + " 行 XML 有误：" + why +
                        " (the XML of " + part + " is malformed at line " + line + ": " + why +
                        ")"};
    }
  }

 private:
  XML_Parser parser_ = nullptr;
  std::optional<std::string> problem_;
};

std::vector<std::string> shared_strings(zip_t* archive) {
  std::vector<std::string> out;
  auto xml = read_part(archive, "xl/sharedStrings.xml");
  if (!xml) return out;
  std::string current;
  bool in_si = false, in_t = false;
  int phonetic = 0;  // inside <rPh> (furigana runs): not part of the text
  XmlWalk w;
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
      out.push_back(current);
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
  w.parse(*xml, "xl/sharedStrings.xml");
  return out;
}

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
  XmlWalk w;
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
  w.parse(*xml, "xl/styles.xml");
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
  XmlWalk w;
  w.on_start = [&](std::string_view n, const XML_Char** a) {
    if (n == "sheet" && !rid) rid = attribute(a, "id");
    if (n == "workbookPr") {
      const std::string v = attribute(a, "date1904").value_or("0");
      out.date1904 = v == "1" || v == "true";
    }
  };
  w.parse(*xml, "xl/workbook.xml");
  if (!rid) {
    throw XlsxProblem{std::string("XLSX 工作簿中没有工作表 (the XLSX workbook has no worksheet)")};
  }
  if (auto rels = read_part(archive, "xl/_rels/workbook.xml.rels")) {
    std::optional<std::string> target;
    XmlWalk r;
    r.on_start = [&](std::string_view n, const XML_Char** a) {
      if (n == "Relationship" && attribute(a, "Id") == rid) target = attribute(a, "Target");
    };
    r.parse(*rels, "xl/_rels/workbook.xml.rels");
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

ImportTable read_sheet(zip_t* archive, const Workbook& book) {
  const std::vector<std::string> strings = shared_strings(archive);
  const std::vector<bool> dates = date_styles(archive);
  auto xml = read_part(archive, book.first_sheet);
  if (!xml) throw XlsxProblem{kNotXlsx};

  std::vector<ImportRow> rows;
  ImportRow row;
  int last_row = 0;
  int next_col = 0;
  // The current cell.
  int col = 0;
  std::string type, value;
  int style = -1;
  bool in_value = false, in_inline = false, in_inline_t = false;
  int phonetic = 0;
  XmlWalk w;
  w.on_start = [&](std::string_view n, const XML_Char** a) {
    if (n == "row") {
      row = ImportRow{};
      auto r = attribute(a, "r");
      row.line = r ? std::atoi(r->c_str()) : last_row + 1;
      if (row.line <= last_row) row.line = last_row + 1;
      next_col = 0;
    } else if (n == "c") {
      col = next_col;
      if (auto r = attribute(a, "r")) {
        if (auto ref = parse_ref(*r)) col = ref->first;
      }
      type = attribute(a, "t").value_or("n");
      style = std::atoi(attribute(a, "s").value_or("-1").c_str());
      value.clear();
    } else if (n == "v") {
      in_value = true;
    } else if (n == "is") {
      in_inline = true;
    } else if (n == "rPh") {
      ++phonetic;
    } else if (n == "t" && in_inline && phonetic == 0) {
      in_inline_t = true;
    }
  };
  w.on_end = [&](std::string_view n) {
    if (n == "v") {
      in_value = false;
    } else if (n == "t") {
      in_inline_t = false;
    } else if (n == "is") {
      in_inline = false;
    } else if (n == "rPh") {
      --phonetic;
    } else if (n == "c") {
      std::string text;
      if (type == "s") {
        std::size_t index = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), index);
        if (ec != std::errc{} || index >= strings.size()) {
          w.fail(std::string("XLSX 文件第 " + std::to_string(row.line) +
                             " 行引用了不存在的共享字符串 (row " + std::to_string(row.line) +
                             " of the XLSX file refers to a shared string that does not exist)"));
          return;
        }
        text = strings[index];
      } else if (type == "b") {
        text = value == "1" ? "是" : "否";
      } else if (type == "n" && !value.empty() && style >= 0 &&
                 static_cast<std::size_t>(style) < dates.size() && dates[style]) {
        double serial = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), serial);
        text = ec == std::errc{} && serial >= 1 && serial < 2958466
                   ? serial_to_date(serial, book.date1904)
                   : value;
      } else if (type == "n") {
        text = number_text(value);
      } else if (type == "e") {
        text.clear();  // #N/A, #REF!: no value
      } else {
        text = value;  // inlineStr, str (formula result), d (ISO date text)
      }
      if (col >= 0 && col < 16384) {
        if (row.cells.size() <= static_cast<std::size_t>(col)) row.cells.resize(col + 1);
        row.cells[col] = trim_cell(text);
      }
      next_col = col + 1;
    } else if (n == "row") {
      last_row = row.line;
      rows.push_back(std::move(row));
    }
  };
  w.on_text = [&](std::string_view s) {
    if (in_value || in_inline_t) value += s;
  };
  w.parse(*xml, book.first_sheet);

  ImportTable table;
  table.format = "XLSX";
  bool have_header = false;
  for (auto& r : rows) {
    const bool blank =
        std::all_of(r.cells.begin(), r.cells.end(), [](const std::string& c) { return c.empty(); });
    if (blank) continue;
    if (!have_header) {
      table.header = std::move(r.cells);
      have_header = true;
      continue;
    }
    table.rows.push_back(std::move(r));
  }
  return table;
}

}  // namespace

TableResult read_xlsx(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return kNotXlsx;
  }
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
  zip_error_fini(&error);
  if (!archive) {
    zip_source_free(source);
    return kNotXlsx;
  }
  try {
    return read_sheet(archive.get(), workbook(archive.get()));
  } catch (const XlsxProblem& problem) {
    return problem.message;
  }
}

}  // namespace fangfan
