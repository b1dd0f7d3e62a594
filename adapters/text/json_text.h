// JSON text written straight into a string, for the few hot writers that skip building a
// boost::json value (webhook bodies, timer payloads): the same bytes boost::json::serialize
// writes, so stored and sent texts do not change with the writer. Header only: its users link
// Boost::json already.
#pragma once

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <string>
#include <string_view>

namespace fangfan {

// `text` as a JSON string appended to `out`: as it is between quotes when nothing needs escaping
// (the common case), else as boost::json::serialize escapes it.
inline void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  if (!plain) {
    out += boost::json::serialize(boost::json::string_view(text.data(), text.size()));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace fangfan
