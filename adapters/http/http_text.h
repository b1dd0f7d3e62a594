// Text helpers of the HTTP client (internal to adapters/http): header names in lower case and
// values trimmed, as HttpResponse keeps them.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace fangfan::http_detail {

std::string lower(std::string_view s);
std::string trim(std::string_view s);
// `s` without its leading and trailing white space (a view into it).
std::string_view trimmed(std::string_view s);
// A received header line ("Name: value\r\n") into `out` as HttpResponse keeps it (name in lower
// case, value trimmed), reusing `out`'s buffers; false when the line has no colon.
bool parse_header_line(std::string_view line, std::pair<std::string, std::string>& out);

}  // namespace fangfan::http_detail
