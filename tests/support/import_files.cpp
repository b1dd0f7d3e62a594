#include "tests/support/import_files.h"

#include <iconv.h>
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fangfan::testing {
namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string column_name(std::size_t index) {
  std::string name;
  for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) {
    name.insert(name.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return name;
}

// libzip reads the buffer when the archive is closed: `keep` holds a copy alive until then.
void add(zip_t* z, const std::string& name, const std::string& content,
         std::vector<std::unique_ptr<std::string>>& keep) {
  const std::string* copy = keep.emplace_back(std::make_unique<std::string>(content)).get();
  zip_source_t* src = zip_source_buffer(z, copy->data(), copy->size(), 0);
  if (src == nullptr || zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8) < 0) {
    throw std::runtime_error("zip_file_add failed for " + name);
  }
}

}  // namespace

std::string to_gbk(std::string_view utf8) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv_open GBK failed");
  std::string out(utf8.size() * 2 + 8, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* o = out.data();
  std::size_t out_left = out.size();
  const std::size_t r = iconv(cd, &in, &in_left, &o, &out_left);
  iconv_close(cd);
  if (r == static_cast<std::size_t>(-1)) throw std::runtime_error("not representable in GBK");
  out.resize(out.size() - out_left);
  return out;
}

std::string make_xlsx(const std::vector<std::vector<XlsxCell>>& rows, bool date1904,
                      const std::vector<std::int64_t>& row_numbers) {
  std::vector<std::string> strings;
  std::ostringstream sheet;
  sheet << R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
        << R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")"
        << R"( xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)"
        << "<sheetData>";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].empty()) continue;
    const std::int64_t number =
        r < row_numbers.size() ? row_numbers[r] : static_cast<std::int64_t>(r) + 1;
    sheet << "<row r=\"" << number << "\">";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      const XlsxCell& cell = rows[r][c];
      const std::string ref = column_name(c) + std::to_string(number);
      switch (cell.kind) {
        case XlsxCell::Kind::kEmpty:
          break;
        case XlsxCell::Kind::kShared:
          sheet << "<c r=\"" << ref << "\" t=\"s\"><v>" << strings.size() << "</v></c>";
          strings.push_back(cell.text);
          break;
        case XlsxCell::Kind::kInline:
          sheet << "<c r=\"" << ref << "\" t=\"inlineStr\"><is><t>" << xml_escape(cell.text)
                << "</t></is></c>";
          break;
        case XlsxCell::Kind::kNumber:
          sheet << "<c r=\"" << ref << "\"><v>" << cell.text << "</v></c>";
          break;
        case XlsxCell::Kind::kDate: {
          char v[32];
          std::snprintf(v, sizeof v, "%g", cell.serial);
          sheet << "<c r=\"" << ref << "\" s=\"1\"><v>" << v << "</v></c>";
          break;
        }
      }
    }
    sheet << "</row>";
  }
  sheet << "</sheetData></worksheet>";

  std::ostringstream sst;
  sst << R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      << R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count=")"
      << strings.size() << "\" uniqueCount=\"" << strings.size() << "\">";
  for (const auto& s : strings) {
    // Every other string as rich text in two runs, with a phonetic run that must be skipped.
    if (s.size() > 3 && (&s - strings.data()) % 2 == 1) {
      const std::size_t half = s.size() / 2;
      std::size_t cut = half;
      while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) ++cut;
      sst << "<si><r><t>" << xml_escape(s.substr(0, cut)) << "</t></r><r><rPr><b/></rPr><t>"
          << xml_escape(s.substr(cut))
          << "</t></r><rPh sb=\"0\" eb=\"1\"><t>ふりがな</t></rPh></si>";
    } else {
      sst << "<si><t xml:space=\"preserve\">" << xml_escape(s) << "</t></si>";
    }
  }
  sst << "</sst>";

  const std::string styles =
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
      R"(<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>)"
      R"(<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/></cellXfs>)"
      R"(</styleSheet>)";
  const std::string workbook =
      std::string(
          R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
          R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")"
          R"( xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)") +
      (date1904 ? R"(<workbookPr date1904="1"/>)" : "") +
      R"(<sheets><sheet name="走访记录" sheetId="1" r:id="rId7"/><sheet name="说明" sheetId="2" r:id="rId8"/></sheets></workbook>)";
  const std::string rels =
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
      R"(<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
      R"(<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/>)"
      R"(<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
      R"(</Relationships>)";
  const std::string other_sheet =
      R"(<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>说明页</t></is></c></row></sheetData></worksheet>)";
  const std::string content_types =
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
      R"(<Default Extension="xml" ContentType="application/xml"/>)"
      R"(<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>)"
      R"(</Types>)";

  static std::atomic<int> counter{0};
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("fangfan-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".xlsx");
  int error = 0;
  zip_t* z = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (z == nullptr) throw std::runtime_error("zip_open failed");
  std::vector<std::unique_ptr<std::string>> keep;
  add(z, "[Content_Types].xml", content_types, keep);
  add(z, "xl/worksheets/sheet1.xml", other_sheet, keep);  // not the first sheet: rId8 is second
  add(z, "xl/workbook.xml", workbook, keep);
  add(z, "xl/_rels/workbook.xml.rels", rels, keep);
  add(z, "xl/sharedStrings.xml", sst.str(), keep);
  add(z, "xl/styles.xml", styles, keep);
  add(z, "xl/worksheets/data.xml", sheet.str(), keep);
  if (zip_close(z) != 0) throw std::runtime_error("zip_close failed");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(file);
  return bytes.str();
}

std::string make_text_xlsx(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::vector<XlsxCell>> cells;
  for (const auto& r : rows) {
    std::vector<XlsxCell> row;
    for (const auto& t : r) row.push_back(t.empty() ? XlsxCell::empty() : XlsxCell::shared(t));
    cells.push_back(std::move(row));
  }
  return make_xlsx(cells);
}

}  // namespace fangfan::testing
