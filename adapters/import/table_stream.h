// Streaming table readers: a CSV or XLSX file handed out one row at a time, for department
// feeds and `fangfanctl import`. Memory stays flat however long the file is: a stream holds one
// chunk of the file, the row being read, and for XLSX the shared strings (bounded by the limit).
//
// The format is told by content ("PK\x03\x04" is XLSX, anything else CSV). Rows mean what
// import_table.h says: cells are UTF-8 text trimmed of ASCII spaces and U+3000, completely empty
// records are skipped, a CSV row's line is the physical line where its record starts, an XLSX
// row's line is the spreadsheet's row number. Lines are 64-bit.
//
// CSV encoding is decided on the first chunk like text_encoding.h (UTF-8 BOM; valid UTF-8; else
// GBK/GB18030 through iconv, converted chunk by chunk with a partial character carried over). A
// file read as UTF-8 whose bytes stop being UTF-8 later is re-decided as GBK when every byte
// before was ASCII (the same in both); otherwise it is an error naming the byte offset.
//
// Errors: opening returns a sentence when the file cannot be read up to its header. A file that
// turns bad later (unterminated quote, bad encoding, expanded size over the limit, malformed
// XLSX XML) makes next() return false with error() saying why, naming the line or byte; rows
// before it were handed out. Sentences are Chinese with English in brackets.
//
// Ownership: a stream owns its file or bytes, except open_table_view() which borrows them (they
// must outlive the stream). Thread-safety: one stream per thread; distinct streams are
// independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fangfan {

struct TableRow {
  std::int64_t line = 0;
  std::vector<std::string> cells;  // may be shorter or longer than the header
};

struct TableStreamOptions {
  // Bytes of decoded text (CSV) or of decompressed sheet and shared-strings XML (XLSX) a file
  // may expand to; more is an error, never an out-of-memory.
  std::uint64_t max_expanded_bytes = 512ull * 1024 * 1024;
  // Bytes read from the file (CSV) or the archive (XLSX) at a time. Tests make it small to
  // split characters and records across chunk borders.
  std::size_t chunk_bytes = 1024 * 1024;
  // A single CSV record longer than this is an error (an unterminated quote would otherwise
  // gather the rest of the file).
  std::size_t max_record_bytes = 16 * 1024 * 1024;
};

class TableStream {
 public:
  virtual ~TableStream() = default;

  // "CSV UTF-8", "CSV UTF-8 (BOM)", "CSV GBK" or "XLSX". A CSV stream re-decided as GBK
  // mid-way says "CSV GBK" from then on.
  const std::string& format() const { return format_; }
  const std::vector<std::string>& header() const { return header_; }

  // The next non-empty row, written into `row` (its vector and strings are reused, so a warm
  // row costs no allocation). False at the end of the file, or when it turned bad: error().
  virtual bool next(TableRow& row) = 0;

  const std::optional<std::string>& error() const { return error_; }

  // Decoded (CSV) or decompressed (XLSX) bytes so far, counted against the limit.
  std::uint64_t expanded_bytes() const { return expanded_; }

 protected:
  std::string format_;
  std::vector<std::string> header_;
  std::optional<std::string> error_;
  std::uint64_t expanded_ = 0;
};

// The stream positioned after the header, or why the file cannot be read.
using TableStreamResult = std::variant<std::unique_ptr<TableStream>, std::string>;

TableStreamResult open_table_file(const std::string& path, const TableStreamOptions& options = {});
TableStreamResult open_table_bytes(std::string bytes, const TableStreamOptions& options = {});
TableStreamResult open_table_view(std::string_view bytes, const TableStreamOptions& options = {});

// The sentence for a file over the limit (shared by both formats).
std::string expanded_limit_message(std::uint64_t limit, std::string_view where_cn,
                                   std::string_view where_en);

}  // namespace fangfan
