#include "tests/support/xlsx_sheets.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <memory>
#include <variant>

#include "adapters/import/table_stream.h"

namespace fangfan::testing {

namespace fs = std::filesystem;

SheetTable read_table(const fs::path& path) {
  TableStreamResult r = open_table_file(path.string());
  if (auto* error = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << path << ": " << *error;
    return {};
  }
  auto& stream = *std::get<std::unique_ptr<TableStream>>(r);
  SheetTable t;
  t.header = stream.header();
  TableRow row;
  while (stream.next(row)) t.rows.push_back(row.cells);
  EXPECT_FALSE(stream.error()) << *stream.error();
  return t;
}

SheetTable read_sheet(const fs::path& xlsx, int n, const fs::path& scratch) {
  if (n == 1) return read_table(xlsx);
  const fs::path copy = scratch / ("sheet" + std::to_string(n) + "-" + xlsx.filename().string());
  fs::copy_file(xlsx, copy, fs::copy_options::overwrite_existing);
  int error = 0;
  zip_t* zip = zip_open(copy.c_str(), 0, &error);
  EXPECT_NE(zip, nullptr) << copy;
  if (zip == nullptr) return {};
  std::string rels;  // zip_close reads the buffer: it lives until then
  {
    zip_stat_t st;
    zip_stat(zip, "xl/_rels/workbook.xml.rels", 0, &st);
    zip_file_t* f = zip_fopen(zip, "xl/_rels/workbook.xml.rels", 0);
    rels.assign(st.size, '\0');
    zip_fread(f, rels.data(), st.size);
    zip_fclose(f);
  }
  const std::string first = "worksheets/sheet1.xml",
                    other = "worksheets/sheet" + std::to_string(n) + ".xml";
  const std::size_t a = rels.find(first), b = rels.find(other);
  EXPECT_NE(a, std::string::npos);
  EXPECT_NE(b, std::string::npos);
  if (a == std::string::npos || b == std::string::npos) {
    zip_discard(zip);
    return {};
  }
  rels.replace(b, other.size(), first);
  rels.replace(a, first.size(), other);
  zip_source_t* src = zip_source_buffer(zip, rels.data(), rels.size(), 0);
  zip_file_add(zip, "xl/_rels/workbook.xml.rels", src, ZIP_FL_OVERWRITE);
  EXPECT_EQ(zip_close(zip), 0);
  return read_table(copy);
}

}  // namespace fangfan::testing
