// Fuzz target: the XLSX reader (adapters/import/xlsx_book.h, xlsx_stream.cpp through
// table_stream.h). Two kinds of input:
//   - a file beginning "PK\x03\x04" is read as it is (archives, broken and whole);
//   - anything else is a workbook's XML parts separated by the byte 0x1E, in the order of
//     kParts below; the target writes them into a stored ZIP with correct CRCs (stored_zip.h),
//     a part left out taking a minimal valid default, so mutations reach the XML readers.
// Properties: no exception escapes (errors are values); cells and errors are UTF-8; rows come in
// increasing row order (the sheet's own numbers, 64-bit); limits hold.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/import/table_stream.h"
#include "adapters/import/text_encoding.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/stored_zip.h"

namespace {

struct Part {
  const char* name;
  const char* fallback;
};

constexpr Part kParts[] = {
    {"xl/worksheets/sheet1.xml",
     R"(<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>)"},
    {"xl/sharedStrings.xml",
     R"(<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>户编号</t></si></sst>)"},
    {"xl/styles.xml",
     R"(<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>)"},
    {"xl/workbook.xml",
     R"(<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
    {"xl/_rels/workbook.xml.rels",
     R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>)"},
    {"[Content_Types].xml",
     R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)"},
};

std::string workbook_of_parts(std::string_view input) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::size_t start = 0;
  for (const Part& part : kParts) {
    if (start <= input.size()) {
      const std::size_t end = std::min(input.find('\x1e', start), input.size());
      entries.emplace_back(part.name, std::string(input.substr(start, end - start)));
      start = end + 1;
    } else {
      entries.emplace_back(part.name, part.fallback);
    }
  }
  return fangfan::fuzz::stored_zip(entries);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fangfan;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string bytes =
      input.starts_with("PK\x03\x04") ? std::string(input) : workbook_of_parts(input);

  TableStreamOptions options;
  options.chunk_bytes = 64 + (size % 193);
  options.max_expanded_bytes = 256 * 1024;
  auto opened = open_table_view(bytes, options);
  if (auto* error = std::get_if<std::string>(&opened)) {
    FUZZ_CHECK_SENTENCE(*error, "an opening error is a UTF-8 sentence");
    return 0;
  }
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  FUZZ_CHECK(stream.format() == "XLSX", "a PK archive is XLSX");
  for (const std::string& cell : stream.header()) FUZZ_CHECK(is_valid_utf8(cell), "header UTF-8");
  TableRow row;
  std::int64_t last_line = 0;
  while (stream.next(row)) {
    FUZZ_CHECK(row.line > last_line, "XLSX rows come in increasing row order");
    last_line = row.line;
    for (const std::string& cell : row.cells) FUZZ_CHECK(is_valid_utf8(cell), "cell UTF-8");
  }
  if (stream.error()) {
    FUZZ_CHECK_SENTENCE(*stream.error(), "error is UTF-8");
  } else {
    FUZZ_CHECK(stream.expanded_bytes() <= options.max_expanded_bytes, "the limit holds");
  }
  return 0;
}
