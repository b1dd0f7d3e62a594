// Reading back a workbook the project wrote (department lists, reports) with the project's own
// XLSX reader (adapters/import), never with the writer: what a department's Excel would show.
// The reader reads a workbook's first sheet, so read_sheet() reads sheet n of a copy whose first
// sheet points at sheet n. Failures are gtest failures.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fangfan::testing {

struct SheetTable {
  std::vector<std::string> header;             // the first row
  std::vector<std::vector<std::string>> rows;  // the others, as text
};

// The first sheet of an XLSX file (or a CSV file).
SheetTable read_table(const std::filesystem::path& path);
// Sheet `n` (1-based, in workbook order) of `xlsx`; `scratch` is a folder for the copy.
SheetTable read_sheet(const std::filesystem::path& xlsx, int n,
                      const std::filesystem::path& scratch);

}  // namespace fangfan::testing
