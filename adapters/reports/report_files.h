// A report table (workflows/reports.h) as the files the county opens in Excel:
//   - CSV: UTF-8 with a BOM (so Excel reads the Chinese), CRLF line ends, a cell quoted when it
//     holds a comma, quote or line break. The title and scope lines come first, then each
//     section (its title in 【】, its header, its rows, a blank line), then the footer.
//   - XLSX (libxlsxwriter): one sheet per section — the title and scope in the first two rows,
//     the Chinese header in the third, frozen, column widths; text cells for codes and names,
//     number cells for counts and rates; the footer under the rows; and the section's chart
//     (ReportChart) beside the table, its series ranges on the same sheet.
// Errors: ReportFileError naming what failed. Thread-safety: functions on values; the XLSX
// writers write files, so run them off the event loop.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "workflows/reports.h"

namespace fangfan {

class ReportFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string report_csv(const ReportTable& table);

// Writes the workbook at `path` (overwritten).
void write_report_xlsx(const std::filesystem::path& path, const ReportTable& table);
// Several reports in ONE workbook at `path` (overwritten; the monthly report, 月报): a sheet per
// section of each table in order, each named "<report label>-<section title>" (户数人数, 帮扶措施,
// 逾期事项, 数据交换, 增减变动, 风险评估; at most 31 characters, unique), charts kept; `title` is
// the workbook's document title.
void write_reports_xlsx(const std::filesystem::path& path, const std::string& title,
                        const std::vector<ReportTable>& tables);
// Its bytes (through a temporary file, like report_xlsx).
std::string reports_xlsx(const std::string& title, const std::vector<ReportTable>& tables);
// The workbook's bytes (written to a temporary file in the system's temporary folder, read back
// and removed: libxlsxwriter writes files only).
std::string report_xlsx(const ReportTable& table);

// The table as aligned text for a terminal (fangfanctl report --format table): columns padded
// to the widest cell, counting a Chinese character as two columns.
std::string report_text(const ReportTable& table);

}  // namespace fangfan
