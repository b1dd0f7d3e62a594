// Inside adapters/import only: how table_stream.cpp hands a file to the CSV and XLSX streams.
//
// A ByteSource gives the file's bytes in order (a file descriptor, or bytes held in memory);
// the CSV stream pulls chunks from it. The XLSX streams read through libzip instead, from the
// path or from the bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/import/table_stream.h"

namespace fangfan {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes into `buffer`; 0 at the end; nullopt when reading failed.
  virtual std::optional<std::size_t> read(char* buffer, std::size_t size) = 0;
};

// Reads `bytes`, which must outlive the source.
std::unique_ptr<ByteSource> bytes_source(std::string_view bytes);

TableStreamResult open_csv_stream(std::unique_ptr<ByteSource> source,
                                  const TableStreamOptions& options);

// `owned` (may be null) keeps `bytes` alive for the stream's life.
TableStreamResult open_xlsx_stream(std::shared_ptr<const std::string> owned, std::string_view bytes,
                                   const TableStreamOptions& options);
TableStreamResult open_xlsx_file_stream(const std::string& path, const TableStreamOptions& options);

// Trims ASCII whitespace and U+3000 at both ends (import_table.h's trim_cell, without a copy).
std::string_view trim_view(std::string_view text);

}  // namespace fangfan
