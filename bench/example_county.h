// What the benchmarks that run the example county share: the example configuration's text with
// a few settings replaced (the database URL, the calendar folder), a fixed clock for writing
// cases at a chosen instant, and fictional ID numbers of the example county (area 379901) with a
// valid GB 11643 check character. Never a real person.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "workflows/clock.h"
#include "workflows/id_number.h"

namespace fangfan::bench {

// The whole file in one string of its size (a stringstream would hold it twice for a moment).
inline std::string read_text(const std::filesystem::path& p) {
  std::string bytes(std::filesystem::file_size(p), '\0');
  std::ifstream in(p, std::ios::binary);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return bytes;
}

// Replaces the first `from` in the example's text; a bench whose setting moved fails loudly.
inline void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("example.toml has no '" + from + "'");
  text.replace(at, from.size(), to);
}

// A fictional person's ID number: area 379901, `birth` as YYYYMMDD, the sequence's last three
// digits, and the check character.
inline std::string id_number(const std::string& birth, int sequence) {
  char first17[18];
  std::snprintf(first17, sizeof first17, "379901%s%03d", birth.c_str(), sequence % 1000);
  return std::string(first17) + id_check_char(first17);
}

// A clock that stays where it was set: cases written "at" one instant.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : t_(t) {}
  TimePoint now() const override { return t_; }

 private:
  TimePoint t_;
};

}  // namespace fangfan::bench
