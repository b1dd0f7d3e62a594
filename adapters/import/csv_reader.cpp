#include <string>
#include <string_view>

#include "adapters/import/import_table.h"
#include "adapters/import/text_encoding.h"

namespace fangfan {
namespace {

bool is_blank(const ImportRow& row) {
  for (const auto& c : row.cells) {
    if (!c.empty()) return false;
  }
  return true;
}

}  // namespace

std::string trim_cell(std::string_view text) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (;;) {
    if (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                          text.front() == '\n')) {
      text.remove_prefix(1);
    } else if (text.substr(0, 3) == kIdeographicSpace) {
      text.remove_prefix(3);
    } else {
      break;
    }
  }
  for (;;) {
    if (!text.empty() &&
        (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
      text.remove_suffix(1);
    } else if (text.size() >= 3 && text.substr(text.size() - 3) == kIdeographicSpace) {
      text.remove_suffix(3);
    } else {
      break;
    }
  }
  return std::string(text);
}

TableResult read_csv(std::string_view bytes) {
  auto decoded = decode_import_text(bytes);
  if (auto* error = std::get_if<std::string>(&decoded)) return *error;
  const DecodedText& d = std::get<DecodedText>(decoded);
  const std::string_view text = d.text;

  ImportTable table;
  table.format = "CSV " + d.encoding;
  std::vector<ImportRow> records;
  ImportRow row;
  std::string field;
  int line = 1;
  row.line = 1;
  bool in_quotes = false;
  bool quoted = false;  // the current field began with a quote
  int quote_line = 0;
  bool row_started = false;
  auto end_field = [&] {
    row.cells.push_back(trim_cell(field));
    field.clear();
    quoted = false;
  };
  auto end_row = [&] {
    end_field();
    records.push_back(std::move(row));
    row = ImportRow{};
    row_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!row_started) {
      row.line = line;
      row_started = true;
    }
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && trim_cell(field).empty() && !quoted) {
      // A quote opening the field (spaces before it are dropped).
      field.clear();
      in_quotes = true;
      quoted = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: handled at the LF.
    } else if (c == '\n' || c == '\r') {
      ++line;
      end_row();
    } else if (quoted) {
      // Text after a closing quote ("abc"x): kept, as spreadsheet programs do, unless blank.
      if (c != ' ' && c != '\t') field += c;
    } else {
      field += c;
    }
  }
  if (in_quotes) {
    const std::string at = std::to_string(quote_line);
    return "第 " + at + " 行的引号没有闭合，文件可能被截断 (the quote opened on line " + at +
           " is never closed; the file may be cut short)";
  }
  if (row_started) end_row();

  bool have_header = false;
  for (auto& r : records) {
    if (is_blank(r)) continue;
    if (!have_header) {
      table.header = std::move(r.cells);
      have_header = true;  // blank lines above it still count: lines are the file's
      continue;
    }
    table.rows.push_back(std::move(r));
  }
  if (!have_header) {
    return std::string("文件是空的，没有表头行 (the file is empty: there is no header row)");
  }
  return table;
}

std::string csv_field(std::string_view text) {
  const bool needs_quotes = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                            (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs_quotes) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

bool looks_like_zip(std::string_view bytes) { return bytes.substr(0, 4) == "PK\x03\x04"; }

TableResult read_import_table(std::string_view bytes) {
  if (bytes.empty()) {
    return std::string("文件是空的，没有表头行 (the file is empty: there is no header row)");
  }
  TableResult result = looks_like_zip(bytes) ? read_xlsx(bytes) : read_csv(bytes);
  if (auto* t = std::get_if<ImportTable>(&result); t && t->header.empty()) {
    return std::string("文件是空的，没有表头行 (the file is empty: there is no header row)");
  }
  return result;
}

}  // namespace fangfan
