// The text encodings import files come in, and the one fangfan works in (UTF-8).
//
// The national system and Excel on Chinese Windows export CSV either as UTF-8 (often with a
// byte order mark) or as GBK (code page 936). There is no marker for GBK, so the rule is:
// bytes that are valid UTF-8 are UTF-8 (a GBK file of Chinese text is almost never valid
// UTF-8, since its lead bytes 0x81..0xFE are followed by bytes that are not UTF-8
// continuations); anything else is converted from GBK with glibc's iconv (GB18030, a strict
// superset of GBK, so every GBK byte sequence converts). Bytes that are neither are an error
// naming the byte offset.
//
// The CSV stream (table_stream.h) applies the same rule chunk by chunk, deciding on the first
// chunk; decode_import_text() is the whole-file form.
//
// Thread-safety: pure functions (each call opens its own iconv descriptor).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace fangfan {

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view bytes);
// The first offset where `bytes` stops being UTF-8 (a character cut off by the end included);
// npos when all of it is.
std::size_t first_invalid_utf8(std::string_view bytes);

// A chunk of a stream scanned as UTF-8 (the same rules): a character cut off by the end is not
// invalid, since the next chunk completes it (adapters/import/csv_stream.cpp).
struct Utf8Scan {
  std::size_t valid_end = 0;  // bytes from the start that are whole, valid UTF-8
  bool invalid = false;       // stopped at a bad byte (else at the end or a cut-off character)
  bool non_ascii = false;     // a byte >= 0x80 lies before valid_end
};
Utf8Scan scan_utf8(std::string_view bytes);

struct DecodedText {
  std::string text;      // UTF-8, without a byte order mark
  std::string encoding;  // "UTF-8", "UTF-8 (BOM)" or "GBK"
};

// Decodes an import file's bytes as described above. The error is a sentence for the clerk.
std::variant<DecodedText, std::string> decode_import_text(std::string_view bytes);

// Converts `text` between two iconv encodings ("UTF-8", "GB18030", "GBK"); nullopt when a
// character cannot be converted or the encodings are unknown.
std::optional<std::string> convert_encoding(std::string_view text, const char* from,
                                            const char* to);

}  // namespace fangfan
