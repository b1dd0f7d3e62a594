// Inside adapters/import only: the workbook-level parts of an XLSX file the stream needs before
// the worksheet (xlsx_stream.cpp): which sheet is first, the date system, which cell styles
// show dates; and how cell values are written out. These parts are small and read whole with
// expat; none may expand beyond 16 MiB.
//
// Errors: functions taking the archive throw XlsxProblem with the sentence for the clerk.
#pragma once

#include <zip.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fangfan {

struct XlsxProblem {
  std::string message;
};

// "The file is not a valid XLSX workbook", in Chinese with English in brackets.
const std::string& not_xlsx_message();

struct Workbook {
  std::string first_sheet = "xl/worksheets/sheet1.xml";
  bool date1904 = false;
};

// The first sheet (xl/workbook.xml's first <sheet>, through xl/_rels/workbook.xml.rels).
Workbook workbook(zip_t* archive);

// Which cell style indexes (the c element's s attribute) show dates: a built-in date format
// id, or a custom format code with day or year letters.
std::vector<bool> date_styles(zip_t* archive);

// "AB12" -> column 27 (0-based) and row 12; nullopt when malformed.
std::optional<std::pair<int, int>> parse_ref(std::string_view ref);

// An Excel date serial as YYYY-MM-DD (1900 system with its phantom 1900-02-29, or 1904).
std::string serial_to_date(double serial, bool date1904);

// A number's text; an integral value written in exponent form ("1.38E10") in full.
std::string number_text(const std::string& v);

}  // namespace fangfan
