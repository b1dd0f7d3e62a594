// An import file read into rows of text: what the CSV and XLSX readers produce and the
// importer consumes.
//
// Lines are the clerk's: for CSV the 1-based physical line of the file where the record
// starts (the header is line 1; a quoted field with line breaks makes a record span several
// lines), for XLSX the spreadsheet's row number. Every cell is UTF-8 text, trimmed of
// surrounding spaces (ASCII and the full-width U+3000 a Chinese keyboard types). Completely
// empty records (blank lines, rows of empty cells) are skipped: Excel leaves many behind.
//
// read_import_table() tells the formats apart by content, not by name or MIME type: an XLSX
// file is a zip archive ("PK\x03\x04"); everything else is read as CSV.
//
// These read the whole table into memory: for small files and tests. Large files go through
// the streams of table_stream.h.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/import/table_stream.h"

namespace fangfan {

// A row: its 64-bit line and its cells (adapters/import/table_stream.h).
using ImportRow = TableRow;

struct ImportTable {
  std::string format;  // "CSV UTF-8", "CSV UTF-8 (BOM)", "CSV GBK" or "XLSX"
  std::vector<std::string> header;
  std::vector<ImportRow> rows;
};

// Either the table or a sentence saying why the file cannot be read (naming the line).
using TableResult = std::variant<ImportTable, std::string>;

// Trims ASCII whitespace and U+3000 (ideographic space) at both ends.
std::string trim_cell(std::string_view text);

// CSV (RFC 4180: comma separated, fields optionally in double quotes, "" inside quotes is a
// quote, quoted fields may hold commas and line breaks; CRLF or LF line ends) in UTF-8, UTF-8
// with BOM or GBK (adapters/import/text_encoding.h). An unterminated quote is an error naming
// the line it began on.
TableResult read_csv(std::string_view bytes);

// XLSX: the first worksheet of the workbook (adapters/import/xlsx_reader.cpp says what is read).
TableResult read_xlsx(std::string_view bytes);

// True when `bytes` begins like a zip archive (XLSX).
bool looks_like_zip(std::string_view bytes);

// read_xlsx for a zip archive, read_csv otherwise. An empty file, or one without a header row,
// is an error.
TableResult read_import_table(std::string_view bytes);

// One CSV field as RFC 4180 writes it: quoted when it holds a comma, quote, CR or LF (or
// begins or ends with a space), with quotes doubled.
std::string csv_field(std::string_view text);

}  // namespace fangfan
