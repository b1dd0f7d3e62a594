// A department's HTTP answer as a JSON array of objects, read as a table: the header is every
// key in the order first seen, each object a row (its "line" is its position in the array,
// 1-based, plus one for the header, so the first object is line 2 as in a CSV file). Values:
// strings as they are; numbers as written (an integer keeps every digit; a number too large
// for 64 bits keeps the form the JSON gave, e.g. 3.7E17, and validation refuses it as mangled);
// true/false as 是/否; null as empty. A nested object or array is a bad cell: its text is kept
// and validation reports the field.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fangfan {

struct JsonTable {
  std::vector<std::string> header;
  std::vector<std::pair<std::int64_t, std::vector<std::string>>> rows;  // (line, cells)
};

// The table, or a sentence saying why the body is not a JSON array of objects.
std::variant<JsonTable, std::string> read_json_rows(std::string_view body);

}  // namespace fangfan
