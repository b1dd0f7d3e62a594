// Text helpers of the HTTP client (internal to adapters/http): header names in lower case and
// values trimmed, as HttpResponse keeps them.
#pragma once

#include <string>
#include <string_view>

namespace fangfan::http_detail {

std::string lower(std::string_view s);
std::string trim(std::string_view s);

}  // namespace fangfan::http_detail
