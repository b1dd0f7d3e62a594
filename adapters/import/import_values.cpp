// The importer's value helpers (importer.h): the file's digest and the dates clerks write.
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "adapters/import/import_table.h"
#include "adapters/import/importer.h"

namespace fangfan {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    out += buf;
  }
  return out;
}

std::optional<Date> parse_import_date(std::string_view text) {
  std::string t = trim_cell(text);
  // A time after the date ("2025-03-03 09:30:00", "2025-03-03T09:30") is dropped.
  if (auto space = t.find_first_of(" T"); space != std::string::npos && space >= 8) t.resize(space);
  int y = 0, m = 0, d = 0;
  auto number = [&t](std::size_t& i, int max_digits, int& out) {
    const std::size_t start = i;
    while (i < t.size() && i - start < static_cast<std::size_t>(max_digits) && t[i] >= '0' &&
           t[i] <= '9') {
      ++i;
    }
    if (i == start) return false;
    std::from_chars(t.data() + start, t.data() + i, out);
    return true;
  };
  std::size_t i = 0;
  if (t.size() == 8 && t.find_first_not_of("0123456789") == std::string::npos) {
    number(i, 4, y);
    number(i, 2, m);
    number(i, 2, d);
  } else {
    if (!number(i, 4, y) || i != 4) return std::nullopt;
    auto separator = [&t, &i](std::string_view expected_cn) {
      if (i < t.size() && (t[i] == '-' || t[i] == '/' || t[i] == '.')) {
        ++i;
        return true;
      }
      if (t.compare(i, expected_cn.size(), expected_cn) == 0) {
        i += expected_cn.size();
        return true;
      }
      return false;
    };
    if (!separator("年") || !number(i, 2, m) || !separator("月") || !number(i, 2, d)) {
      return std::nullopt;
    }
    if (t.compare(i, std::string_view("日").size(), "日") == 0) i += std::string_view("日").size();
    if (i != t.size()) return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1900) return std::nullopt;
  return Date{ymd};
}

}  // namespace fangfan
