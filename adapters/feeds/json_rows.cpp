#include "adapters/feeds/json_rows.h"

#include <boost/json.hpp>
#include <charconv>
#include <unordered_map>

namespace fangfan {
namespace json = boost::json;

std::variant<JsonTable, std::string> read_json_rows(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) return "接口返回的不是有效的 JSON (the answer is not valid JSON: " + ec.message() + ")";
  const json::array* items = doc.if_array();
  if (items == nullptr)
    return std::string("接口返回的不是 JSON 数组 (the answer is not a JSON array)");
  JsonTable t;
  std::unordered_map<std::string, std::size_t> column;
  for (const json::value& item : *items) {
    const json::object* o = item.if_object();
    if (o == nullptr) continue;
    for (const auto& kv : *o) {
      const std::string key(kv.key());
      if (column.emplace(key, t.header.size()).second) t.header.push_back(key);
    }
  }
  std::int64_t line = 1;
  for (const json::value& item : *items) {
    ++line;
    const json::object* o = item.if_object();
    if (o == nullptr) {
      t.rows.push_back({line, {"<" + std::string(json::serialize(item)) + ">"}});
      continue;
    }
    std::vector<std::string> cells(t.header.size());
    for (const auto& kv : *o) {
      std::string& cell = cells[column.at(std::string(kv.key()))];
      const json::value& v = kv.value();
      switch (v.kind()) {
        case json::kind::string:
          cell = std::string(v.get_string());
          break;
        case json::kind::int64:
          cell = std::to_string(v.get_int64());
          break;
        case json::kind::uint64:
          cell = std::to_string(v.get_uint64());
          break;
        case json::kind::double_: {
          // The shortest text that reads back as the same number ("1200.5", not "1.2005E3").
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
          cell = ec == std::errc{} ? std::string(buf, end) : json::serialize(v);
          break;
        }
        case json::kind::bool_:
          cell = v.get_bool() ? "是" : "否";
          break;
        case json::kind::null:
          break;
        default:
          cell = json::serialize(v);
          break;
      }
    }
    t.rows.push_back({line, std::move(cells)});
  }
  return t;
}

}  // namespace fangfan
