// UTF-8 text that came from outside (a query string, a file, a request body) made safe to put in
// an answer, a log line or a message: every byte that is not part of a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) is written as the
// four characters "\xNN", so the reader sees what was sent and the result is always valid UTF-8.
// Pure; no allocation beyond the result.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fangfan {

// The code point of the well-formed sequence starting at byte `at` of `text` and its length in
// bytes; std::nullopt when the byte there starts none. REQUIRES: at < text.size().
struct DecodedCodePoint {
  char32_t code_point = 0;
  std::size_t length = 0;
};
std::optional<DecodedCodePoint> decode_utf8_at(std::string_view text, std::size_t at);

// True when `text` is well-formed UTF-8.
bool is_well_formed_utf8(std::string_view text);

// `text` with each byte of an ill-formed sequence replaced by "\xNN" (lowercase hex); well-formed
// text is returned unchanged.
std::string escape_invalid_utf8(std::string_view text);

}  // namespace fangfan
