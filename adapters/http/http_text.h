// Text helpers of the HTTP client (internal to adapters/http): header names in lower case and
// values trimmed, as HttpResponse keeps them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "adapters/http/http_client.h"

namespace fangfan::http_detail {

std::string lower(std::string_view s);
std::string trim(std::string_view s);
// `s` without its leading and trailing white space (a view into it).
std::string_view trimmed(std::string_view s);
// A received header line ("Name: value\r\n") into `out` as HttpResponse keeps it (name in lower
// case, value trimmed), reusing `out`'s buffers; false when the line has no colon.
bool parse_header_line(std::string_view line, std::pair<std::string, std::string>& out);
// What kind of failure curl's result `curl_code` (a CURLcode other than CURLE_OK) is.
HttpResponse::Transport curl_transport(int curl_code);
// A failed request's answer: `kind`, and a sentence the same from curl and from the plain path,
// naming `where` (redact_url's) and `detail` (the transport's own words), or the timeout.
HttpResponse transport_failure(HttpResponse::Transport kind, std::string_view where,
                               std::string_view detail, std::chrono::milliseconds timeout);

}  // namespace fangfan::http_detail
