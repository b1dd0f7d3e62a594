#include "adapters/import/text_encoding.h"

#include <errno.h>
#include <iconv.h>

#include <cstdint>
#include <cstring>

namespace fangfan {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

Utf8Scan scan_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  Utf8Scan out;
  std::size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time: most of a feed is digits and commas.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      out.invalid = true;
      break;
    }
    std::size_t k = 1;
    for (; k < len && i + k < n; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) break;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (k < len) {
      out.invalid = i + k < n;  // a bad continuation; else cut off by the end
      break;
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.invalid = true;
      break;
    }
    out.non_ascii = true;
    i += len;
  }
  out.valid_end = i;
  return out;
}

std::size_t first_invalid_utf8(std::string_view bytes) {
  const Utf8Scan scan = scan_utf8(bytes);
  return scan.valid_end == bytes.size() ? std::string_view::npos : scan.valid_end;
}

bool is_valid_utf8(std::string_view bytes) {
  return first_invalid_utf8(bytes) == std::string_view::npos;
}

std::optional<std::string> convert_encoding(std::string_view text, const char* from,
                                            const char* to) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.resize(text.size() * 2 + 16);
  char* in_ptr = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  std::size_t used = 0;
  bool ok = true;
  while (in_left > 0) {
    char* out_ptr = out.data() + used;
    std::size_t out_left = out.size() - used;
    const std::size_t r = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    used = out.size() - out_left;
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) {
        out.resize(out.size() * 2);
        continue;
      }
      ok = false;  // EILSEQ or EINVAL: a byte sequence the source encoding does not have
      break;
    }
  }
  iconv_close(cd);
  if (!ok) return std::nullopt;
  out.resize(used);
  return out;
}

std::variant<DecodedText, std::string> decode_import_text(std::string_view bytes) {
  if (bytes.substr(0, kBom.size()) == kBom) {
    const std::string_view rest = bytes.substr(kBom.size());
    if (const std::size_t bad = first_invalid_utf8(rest); bad != std::string_view::npos) {
      const std::string at = std::to_string(bad + kBom.size());
      return "文件以 UTF-8 标记开头，但第 " + at +
             " 字节起不是有效的 UTF-8 文本 (the file starts "
             "with a UTF-8 byte order mark but is not valid UTF-8 from byte " +
             at + " on)";
    }
    return DecodedText{std::string(rest), "UTF-8 (BOM)"};
  }
  if (is_valid_utf8(bytes)) return DecodedText{std::string(bytes), "UTF-8"};
  if (auto converted = convert_encoding(bytes, "GB18030", "UTF-8")) {
    return DecodedText{std::move(*converted), "GBK"};
  }
  return std::string(
      "文件既不是 UTF-8 也不是 GBK 编码的文本，请另存为“CSV UTF-8”后重新导入 (the file is "
      "neither UTF-8 nor GBK text; save it as \"CSV UTF-8\" and import it again)");
}

}  // namespace fangfan
