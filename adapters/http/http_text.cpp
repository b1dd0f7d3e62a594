// The HTTP client's text work that needs no connection: header look-up, Retry-After, redacted
// URLs (http_client.h), kept apart from the transfer machinery.
#include "adapters/http/http_text.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "adapters/http/http_client.h"

namespace fangfan {

namespace http_detail {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string trim(std::string_view s) { return std::string(trimmed(s)); }

bool parse_header_line(std::string_view line, std::pair<std::string, std::string>& out) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  out.first.assign(trimmed(line.substr(0, colon)));
  for (char& c : out.first) c = char(std::tolower(static_cast<unsigned char>(c)));
  out.second.assign(trimmed(line.substr(colon + 1)));
  return true;
}

}  // namespace http_detail

using http_detail::lower;
using http_detail::trim;

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string n = lower(name);
  for (const auto& [k, v] : headers) {
    if (k == n) return v;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  const std::string v = trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::stol(v));
  }
  // An HTTP date: "Sun, 06 Nov 1994 08:49:37 GMT" (curl parses every form HTTP allows).
  const time_t t = curl_getdate(v.c_str(), nullptr);
  if (t < 0) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(t) - now;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(wait));
}

std::string redact_url(std::string_view url) {
  const size_t cut = url.find_first_of("?#");
  std::string_view base = url.substr(0, cut);
  // Userinfo ("user:password@host") is a secret too.
  const size_t scheme = base.find("://");
  const size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t path_start = base.find('/', host_start);
  const size_t at = base.substr(0, path_start).find('@', host_start);
  std::string out;
  if (at != std::string_view::npos) {
    out = std::string(base.substr(0, host_start)) + std::string(base.substr(at + 1));
  } else {
    out = std::string(base);
  }
  if (cut != std::string_view::npos && url[cut] == '?') out += "?…";
  return out;
}

HttpResponse::Transport http_detail::curl_transport(int curl_code) {
  switch (curl_code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return HttpResponse::Transport::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return HttpResponse::Transport::kTimeout;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      return HttpResponse::Transport::kDropped;
    default:
      return HttpResponse::Transport::kOther;
  }
}

HttpResponse http_detail::transport_failure(HttpResponse::Transport kind, std::string_view where,
                                            std::string_view detail,
                                            std::chrono::milliseconds timeout) {
  HttpResponse r;
  r.transport = kind;
  const std::string w(where);
  const std::string d(detail);
  switch (kind) {
    case HttpResponse::Transport::kConnect:
      r.error = "cannot connect to " + w + ": " + d;
      break;
    case HttpResponse::Transport::kTimeout:
      r.error = "no answer from " + w + " within " + std::to_string(timeout.count()) + " ms";
      break;
    case HttpResponse::Transport::kDropped:
      r.error = "the connection to " + w + " broke before a complete answer: " + d;
      break;
    default:
      r.error = "request to " + w + " failed: " + d;
  }
  return r;
}

}  // namespace fangfan
