#include "adapters/reports/report_files.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace fangfan {
namespace {

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void csv_line(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_cell(cells[i]);
  }
  out += "\r\n";
}

// Terminal columns of UTF-8 text: East Asian wide characters take two.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : b & (0xFF >> (len + 1));
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    width += (cp >= 0x1100 && cp != 0x2014) ? 2 : 1;
    i += len;
  }
  return width;
}

struct WorkbookCloser {
  void operator()(lxw_workbook* wb) const {
    if (wb) workbook_close(wb);
  }
};

// An XLSX sheet name: at most 31 characters, none of []:*?/\, unique in the workbook.
std::string sheet_name(const std::string& title, int index) {
  std::string name;
  for (char c : title) {
    if (std::string_view("[]:*?/\\").find(c) == std::string_view::npos) name += c;
  }
  if (name.empty() || name.size() > 31 * 3) name = "Sheet" + std::to_string(index + 1);
  return name;
}

// A short name of each report for the sheets of a workbook holding several (sheet names are
// unique, and "按乡镇" is a section of three reports).
std::string report_label(const std::string& report) {
  static const std::map<std::string, std::string> labels = {
      {"households", "户数人数"}, {"measures", "帮扶措施"},  {"overdue", "逾期事项"},
      {"exchange", "数据交换"},   {"movements", "增减变动"}, {"evaluation", "风险评估"},
      {"campaign", "专项行动"}};
  auto it = labels.find(report);
  return it == labels.end() ? report : it->second;
}

// The first `n` characters (UTF-8 code points) of `text`; a sheet name has at most 31.
std::string first_characters(const std::string& text, std::size_t n) {
  std::size_t chars = 0, i = 0;
  for (; i < text.size() && chars < n; ++chars) {
    const auto b = static_cast<unsigned char>(text[i]);
    i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  }
  return text.substr(0, std::min(i, text.size()));
}

void write_section(lxw_workbook* wb, const ReportTable& table, const ReportSection& s,
                   const std::string& name, lxw_format* bold, lxw_format* header) {
  lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
  if (!ws) throw ReportFileError("报表工作表无法创建 (the report sheet cannot be added): " + name);
  worksheet_write_string(ws, 0, 0, (table.title + "（" + s.title + "）").c_str(), bold);
  worksheet_write_string(ws, 1, 0, table.scope.c_str(), nullptr);
  constexpr lxw_row_t kHeaderRow = 2;
  for (std::size_t c = 0; c < s.headers.size(); ++c) {
    const auto col = static_cast<lxw_col_t>(c);
    worksheet_write_string(ws, kHeaderRow, col, s.headers[c].c_str(), header);
    const int width = c < s.widths.size() ? s.widths[c] : 12;
    worksheet_set_column(ws, col, col, width, nullptr);
  }
  worksheet_freeze_panes(ws, kHeaderRow + 1, 0);
  lxw_row_t row = kHeaderRow + 1;
  for (const auto& cells : s.rows) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      if (const auto* text = std::get_if<std::string>(&cells[c])) {
        worksheet_write_string(ws, row, col, text->c_str(), nullptr);
      } else if (const auto* n = std::get_if<std::int64_t>(&cells[c])) {
        worksheet_write_number(ws, row, col, static_cast<double>(*n), nullptr);
      } else {
        worksheet_write_number(ws, row, col, std::get<double>(cells[c]), nullptr);
      }
    }
    ++row;
  }
  const lxw_row_t last = row - 1;
  ++row;
  for (const std::string& sentence : table.footer) {
    worksheet_write_string(ws, row++, 0, sentence.c_str(), nullptr);
  }
  if (!s.chart || s.rows.empty()) return;
  const ReportChart& spec = *s.chart;
  const lxw_row_t charted =
      spec.rows < 0 ? last
                    : std::min<lxw_row_t>(last, kHeaderRow + static_cast<lxw_row_t>(spec.rows));
  lxw_chart* chart = workbook_add_chart(
      wb, spec.kind == ReportChart::Kind::kBar ? LXW_CHART_BAR : LXW_CHART_COLUMN);
  chart_title_set_name(chart, spec.title.c_str());
  for (int col : spec.series_columns) {
    lxw_chart_series* series = chart_add_series(chart, nullptr, nullptr);
    chart_series_set_categories(series, name.c_str(), kHeaderRow + 1,
                                static_cast<lxw_col_t>(spec.category_column), charted,
                                static_cast<lxw_col_t>(spec.category_column));
    chart_series_set_values(series, name.c_str(), kHeaderRow + 1, static_cast<lxw_col_t>(col),
                            charted, static_cast<lxw_col_t>(col));
    chart_series_set_name_range(series, name.c_str(), kHeaderRow, static_cast<lxw_col_t>(col));
  }
  chart_legend_set_position(
      chart, spec.series_columns.size() > 1 ? LXW_CHART_LEGEND_BOTTOM : LXW_CHART_LEGEND_NONE);
  lxw_chart_options where{};
  where.x_scale = 1.5;
  where.y_scale = 1.3;
  worksheet_insert_chart_opt(ws, kHeaderRow, static_cast<lxw_col_t>(s.headers.size() + 1), chart,
                             &where);
}

}  // namespace

std::string report_csv(const ReportTable& table) {
  std::string out = "\xEF\xBB\xBF";
  csv_line(out, {table.title});
  csv_line(out, {table.scope});
  for (const ReportSection& s : table.sections) {
    out += "\r\n";
    csv_line(out, {"【" + s.title + "】"});
    csv_line(out, s.headers);
    for (const auto& cells : s.rows) {
      std::vector<std::string> texts;
      for (const auto& c : cells) texts.push_back(report_cell_text(c));
      csv_line(out, texts);
    }
  }
  out += "\r\n";
  for (const std::string& sentence : table.footer) csv_line(out, {sentence});
  return out;
}

namespace {

// Writes `tables` into one workbook at `path`; `labelled`: each sheet's name starts with its
// report's label (a workbook of several reports).
void write_workbook(const std::filesystem::path& path, const std::string& workbook_title,
                    const std::vector<const ReportTable*>& tables, bool labelled) {
  std::unique_ptr<lxw_workbook, WorkbookCloser> wb(workbook_new(path.c_str()));
  if (!wb)
    throw ReportFileError("报表文件无法创建 (the report file cannot be created): " + path.string());
  lxw_doc_properties properties{};
  std::string title = workbook_title;  // the struct wants a char* it does not write through
  properties.title = title.data();
  workbook_set_properties(wb.get(), &properties);
  lxw_format* bold = workbook_add_format(wb.get());
  format_set_bold(bold);
  format_set_font_size(bold, 14);
  lxw_format* header = workbook_add_format(wb.get());
  format_set_bold(header);
  format_set_bg_color(header, 0xDDEBF7);
  format_set_border(header, LXW_BORDER_THIN);
  std::set<std::string> used;
  int index = 0;
  for (const ReportTable* table : tables) {
    for (const ReportSection& section : table->sections) {
      std::string name = sheet_name(section.title, index);
      if (labelled) name = first_characters(report_label(table->name) + "-" + name, 31);
      const std::string base = name;
      for (int n = 2; !used.insert(name).second; ++n) {
        name = first_characters(base, 28) + "_" + std::to_string(n);
      }
      write_section(wb.get(), *table, section, name, bold, header);
      ++index;
    }
  }
  const lxw_error e = workbook_close(wb.release());
  if (e != LXW_NO_ERROR) {
    throw ReportFileError("报表文件写入失败 (writing the report file failed): " + path.string() +
                          ": " + lxw_strerror(e));
  }
}

// The bytes of what `write` writes at a temporary path (libxlsxwriter writes files only).
template <class Write>
std::string workbook_bytes(Write&& write) {
  std::string pattern = (std::filesystem::temp_directory_path() / "fangfan-report-XXXXXX").string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw ReportFileError("临时文件无法创建 (a temporary file cannot be created)");
  ::close(fd);
  const std::filesystem::path path = pattern;
  try {
    write(path);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    std::filesystem::remove(path);
    return bytes.str();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    throw;
  }
}

}  // namespace

void write_report_xlsx(const std::filesystem::path& path, const ReportTable& table) {
  write_workbook(path, table.title, {&table}, false);
}

void write_reports_xlsx(const std::filesystem::path& path, const std::string& title,
                        const std::vector<ReportTable>& tables) {
  std::vector<const ReportTable*> all;
  for (const ReportTable& t : tables) all.push_back(&t);
  write_workbook(path, title, all, true);
}

std::string reports_xlsx(const std::string& title, const std::vector<ReportTable>& tables) {
  return workbook_bytes(
      [&](const std::filesystem::path& p) { write_reports_xlsx(p, title, tables); });
}

std::string report_xlsx(const ReportTable& table) {
  return workbook_bytes([&](const std::filesystem::path& p) { write_report_xlsx(p, table); });
}

std::string report_text(const ReportTable& table) {
  std::string out = table.title + "\n" + table.scope + "\n";
  for (const ReportSection& s : table.sections) {
    std::vector<std::vector<std::string>> lines{s.headers};
    for (const auto& cells : s.rows) {
      std::vector<std::string> texts;
      for (const auto& c : cells) texts.push_back(report_cell_text(c));
      lines.push_back(std::move(texts));
    }
    std::vector<std::size_t> widths(s.headers.size(), 0);
    for (const auto& line : lines) {
      for (std::size_t c = 0; c < line.size() && c < widths.size(); ++c) {
        widths[c] = std::max(widths[c], display_width(line[c]));
      }
    }
    out += "\n【" + s.title + "】\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string text;
      for (std::size_t c = 0; c < lines[i].size() && c < widths.size(); ++c) {
        // Numbers right-aligned, text (and the header) left-aligned.
        const bool number = i > 0 && !std::holds_alternative<std::string>(s.rows[i - 1][c]);
        const std::string& cell = lines[i][c];
        const std::string pad(widths[c] - display_width(cell), ' ');
        text += (c > 0 ? "  " : "") + (number ? pad + cell : cell + pad);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out += text + "\n";
    }
  }
  if (!table.footer.empty()) out += "\n";
  for (const std::string& sentence : table.footer) out += sentence + "\n";
  return out;
}

}  // namespace fangfan
