// Fuzz target: the CSV reader with encoding detection (adapters/import: text_encoding.h, the
// table stream of table_stream.h over CSV). Small chunks and limits make records and characters
// straddle chunk borders and reach every limit's error. Properties: no exception escapes (both
// report errors as values); every cell and error sentence is UTF-8; CSV lines increase; the
// whole-file decoder calls valid UTF-8 input UTF-8 and returns UTF-8 text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/import/table_stream.h"
#include "adapters/import/text_encoding.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fangfan;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.starts_with("PK\x03\x04")) return 0;  // that is XLSX: fuzz_xlsx's part

  const auto decoded = decode_import_text(bytes);
  if (const auto* text = std::get_if<DecodedText>(&decoded)) {
    FUZZ_CHECK(is_valid_utf8(text->text), "decoded text is UTF-8");
    if (is_valid_utf8(bytes)) FUZZ_CHECK(text->encoding.starts_with("UTF-8"), "UTF-8 stays UTF-8");
  } else {
    FUZZ_CHECK_SENTENCE(std::get<std::string>(decoded), "an error is a UTF-8 sentence");
  }

  TableStreamOptions options;
  options.chunk_bytes = 1 + (size % 61);  // 1..61: borders everywhere
  options.max_expanded_bytes = 64 * 1024;
  options.max_record_bytes = 4 * 1024;
  auto opened = open_table_view(bytes, options);
  if (auto* error = std::get_if<std::string>(&opened)) {
    FUZZ_CHECK_SENTENCE(*error, "an opening error is a UTF-8 sentence");
    return 0;
  }
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  FUZZ_CHECK(stream.format().starts_with("CSV"), "content without PK is CSV");
  for (const std::string& cell : stream.header()) FUZZ_CHECK(is_valid_utf8(cell), "header UTF-8");
  TableRow row;
  std::int64_t last_line = 0;
  while (stream.next(row)) {
    FUZZ_CHECK(row.line > last_line, "CSV rows come in increasing line order");
    last_line = row.line;
    for (const std::string& cell : row.cells) FUZZ_CHECK(is_valid_utf8(cell), "cell UTF-8");
  }
  FUZZ_CHECK(stream.expanded_bytes() <= options.max_expanded_bytes + options.chunk_bytes * 4 ||
                 stream.error(),
             "expanded bytes stay within the limit unless the stream stopped");
  if (stream.error()) {
    FUZZ_CHECK_SENTENCE(*stream.error(), "error is UTF-8");
  }
  return 0;
}
