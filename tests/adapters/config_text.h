// What the configuration tests share: the example configuration's text (config/example.toml of
// the source tree), the line of a snippet in a text (the line a ConfigError must name), the
// errors of a load, and a snippet replaced once (the test fails when it is not there).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/config/config.h"

namespace fangfan::test {

inline const std::filesystem::path kConfigDir =
    std::filesystem::path(FANGFAN_SOURCE_DIR) / "config";

inline std::string example_text() {
  std::ifstream in(kConfigDir / "example.toml");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 1-based line of the first occurrence of `needle` in `text`.
inline int line_of(const std::string& text, const std::string& needle) {
  auto pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  return 1 + int(std::count(text.begin(), text.begin() + pos, '\n'));
}

// The errors of a load; none when it loaded.
inline std::vector<ConfigError> errors_of(const ConfigResult& r) {
  if (auto* e = std::get_if<std::vector<ConfigError>>(&r)) return *e;
  return {};
}

inline void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

}  // namespace fangfan::test
