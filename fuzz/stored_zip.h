// A ZIP archive with stored (uncompressed) entries, written in memory: how fuzz_xlsx turns a
// fuzzer's XML parts into a workbook with correct sizes and CRCs, so mutations reach the XML
// parsers instead of dying at the archive's checksums. Names are ASCII; no ZIP64.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fangfan::fuzz {

inline std::uint32_t crc32(std::string_view bytes) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// The archive holding `entries` (name, content) in order.
inline std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, central;
  auto u16 = [](std::string& s, std::uint32_t v) {
    s.push_back(char(v & 0xFF));
    s.push_back(char((v >> 8) & 0xFF));
  };
  auto u32 = [&](std::string& s, std::uint32_t v) {
    u16(s, v & 0xFFFF);
    u16(s, v >> 16);
  };
  for (const auto& [name, content] : entries) {
    const std::uint32_t offset = std::uint32_t(out.size());
    const std::uint32_t crc = crc32(content);
    const auto size = std::uint32_t(content.size());
    u32(out, 0x04034b50);  // local file header
    u16(out, 20);          // version needed
    u16(out, 0);           // flags
    u16(out, 0);           // method: stored
    u32(out, 0);           // time and date
    u32(out, crc);
    u32(out, size);
    u32(out, size);
    u16(out, std::uint32_t(name.size()));
    u16(out, 0);
    out += name;
    out += content;
    u32(central, 0x02014b50);  // central directory header
    u16(central, 20);
    u16(central, 20);
    u16(central, 0);
    u16(central, 0);
    u32(central, 0);
    u32(central, crc);
    u32(central, size);
    u32(central, size);
    u16(central, std::uint32_t(name.size()));
    u16(central, 0);  // extra
    u16(central, 0);  // comment
    u16(central, 0);  // disk
    u16(central, 0);  // internal attributes
    u32(central, 0);  // external attributes
    u32(central, offset);
    central += name;
  }
  const auto central_offset = std::uint32_t(out.size());
  out += central;
  u32(out, 0x06054b50);  // end of central directory
  u16(out, 0);
  u16(out, 0);
  u16(out, std::uint32_t(entries.size()));
  u16(out, std::uint32_t(entries.size()));
  u32(out, std::uint32_t(central.size()));
  u32(out, central_offset);
  u16(out, 0);
  return out;
}

}  // namespace fangfan::fuzz
