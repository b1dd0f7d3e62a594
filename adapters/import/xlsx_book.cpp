// The workbook-level parts of an XLSX file, read whole with expat (xlsx_book.h).
#include "adapters/import/xlsx_book.h"

#include <expat.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>

namespace fangfan {

const std::string& not_xlsx_message() {
  static const std::string kNotXlsx =
      "文件不是有效的 XLSX 工作簿，请用 Excel 另存为 .xlsx 或 CSV 后重新导入 (the file is not a "
      "valid XLSX workbook; save it from Excel as .xlsx or CSV and import it again)";
  return kNotXlsx;
}

namespace {

constexpr zip_uint64_t kMaxPartBytes = 16ull * 1024 * 1024;
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
  if (f == nullptr) throw XlsxProblem{not_xlsx_message()};
  std::string out(static_cast<std::size_t>(st.size), '\0');
  zip_int64_t got = 0;
  while (static_cast<zip_uint64_t>(got) < st.size) {
    const zip_int64_t n = zip_fread(f, out.data() + got, st.size - static_cast<zip_uint64_t>(got));
    if (n <= 0) break;
    got += n;
  }
  zip_fclose(f);
  if (static_cast<zip_uint64_t>(got) != st.size) throw XlsxProblem{not_xlsx_message()};
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

}  // namespace

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

Workbook workbook(zip_t* archive) {
  Workbook out;
  auto xml = read_part(archive, "xl/workbook.xml");
  if (!xml) throw XlsxProblem{not_xlsx_message()};
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

}  // namespace fangfan
