// Pulling a department's data over HTTP (数据接口): GET the source's url with {period} replaced,
// the token in its header ("Authorization" sends "Bearer <token>"), through the gateways' libcurl
// client (adapters/http/http_client.h), so the loop never waits on the network.
//
// Answers:
//   200 with a body        -> the data (a JSON array of objects, CSV or XLSX: the caller reads it)
//   204, 404               -> not yet (the department has not published the period)
//   408, 429, 5xx, timeout, refused or dropped connection
//                          -> tried again, `attempts` times in all, waiting 1 s, 2 s, 4 s ... in
//                             between (Retry-After when the answer gives one, at most 60 s);
//                             then a failure
//   other 4xx (401, 403, ...) -> a failure at once (trying again will not help)
// Sentences name the redacted URL (scheme, host, port, path: never the query or the token).
//
// Thread-safety: run on the loop; `client` and `source` must outlive the coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/http/http_client.h"
#include "workflows/clock.h"
#include "workflows/feed_rules.h"

namespace fangfan {

struct PulledData {
  std::string url;  // redacted
  std::string body;
  int attempts = 1;
};
struct PullNotYet {
  std::string why;
};
struct PullFailed {
  std::string error;  // a sentence, after every attempt
  int attempts = 0;
};
using PullResult = std::variant<PulledData, PullNotYet, PullFailed>;

// The url for `period` ({period} replaced, percent-encoded where needed).
std::string feed_url(const FeedSource& source, std::string_view period);

// `wait` sleeps between attempts (the loop's steady timer in the daemon; tests may shorten it);
// `timeout` bounds each attempt (the [channels.http] timeout in the daemon); `clock` is the
// daemon's, against which a Retry-After date is read.
using PullWait = std::function<boost::asio::awaitable<void>(std::chrono::milliseconds)>;
boost::asio::awaitable<PullResult> pull_feed(HttpClient& client, const FeedSource& source,
                                             std::string_view period, PullWait wait,
                                             std::chrono::milliseconds timeout, const Clock& clock);

// True when `body` looks like a JSON array (first non-space byte '[').
bool looks_like_json_array(std::string_view body);

}  // namespace fangfan
