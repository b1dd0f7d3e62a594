// The whole-table readers of import_table.h, over the streams of table_stream.h.
#include "adapters/import/import_table.h"

#include <string>
#include <string_view>

#include "adapters/import/table_stream_parts.h"

namespace fangfan {

std::string trim_cell(std::string_view text) { return std::string(trim_view(text)); }

namespace {

// Every row of a stream, or the sentence it stopped with.
TableResult read_all(TableStreamResult opened) {
  if (auto* problem = std::get_if<std::string>(&opened)) return *problem;
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  ImportTable table;
  table.header = stream.header();
  ImportRow row;
  while (stream.next(row)) table.rows.push_back(row);
  if (stream.error()) return *stream.error();
  table.format = stream.format();
  return table;
}

}  // namespace

TableResult read_csv(std::string_view bytes) {
  return read_all(open_csv_stream(bytes_source(bytes), {}));
}

TableResult read_xlsx(std::string_view bytes) {
  return read_all(open_xlsx_stream(nullptr, bytes, {}));
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

TableResult read_import_table(std::string_view bytes) { return read_all(open_table_view(bytes)); }

}  // namespace fangfan
