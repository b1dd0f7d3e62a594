// Import files for tests: GBK bytes made with glibc's iconv (independently of the adapter's
// decoder) and minimal XLSX workbooks written with libzip, as Excel lays them out (workbook,
// relationships, shared strings, styles with a date format, one worksheet).
//
// Thread-safety: pure functions (make_xlsx writes and removes its own temporary file).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fangfan::testing {

// `utf8` converted to GBK. Throws std::runtime_error when a character has no GBK form.
std::string to_gbk(std::string_view utf8);

struct XlsxCell {
  enum class Kind { kShared, kInline, kNumber, kDate, kEmpty };
  Kind kind = Kind::kShared;
  std::string text;   // kShared, kInline; kNumber: the <v> text as Excel writes it
  double serial = 0;  // kDate: the Excel serial

  static XlsxCell shared(std::string t) { return {Kind::kShared, std::move(t), 0}; }
  static XlsxCell inline_string(std::string t) { return {Kind::kInline, std::move(t), 0}; }
  static XlsxCell number(std::string v) { return {Kind::kNumber, std::move(v), 0}; }
  static XlsxCell date(double serial) { return {Kind::kDate, "", serial}; }
  static XlsxCell empty() { return {Kind::kEmpty, "", 0}; }
};

// A workbook whose first sheet has `rows` from row 1 (an empty inner vector is an empty row,
// left out of the XML as Excel does). The first sheet is stored as xl/worksheets/data.xml and
// a second one as xl/worksheets/sheet1.xml, so a reader must follow the workbook's
// relationships. Every other shared string is rich text with a phonetic run to skip.
// `date1904`: the workbook uses the 1904 date system. `row_numbers[i]`, when given, is the row
// number (r="…") of rows[i] instead of i + 1.
std::string make_xlsx(const std::vector<std::vector<XlsxCell>>& rows, bool date1904 = false,
                      const std::vector<std::int64_t>& row_numbers = {});

// Plain text cells, shared strings.
std::string make_text_xlsx(const std::vector<std::vector<std::string>>& rows);

}  // namespace fangfan::testing
