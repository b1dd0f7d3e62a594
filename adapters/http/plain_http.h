// Plain HTTP/1.1 for HttpClient (internal to adapters/http): the requests to `http://` URLs go
// out on Boost.Beast over Asio sockets of the client's executor instead of through curl, whose
// work per request (parsing the URL again, formatting its own strings, two poll() calls,
// hundreds of header name comparisons) was a good third of the dispatcher's CPU per webhook
// message (issue 15). `https://` and every URL or request this path does not take whole (user
// info, an upper-case scheme, a method or header it would have to interpret) stay with curl.
//
// It keeps HttpClient's contract (http_client.h): the timeout counted from start(), the connect
// timeout for a new connection, connections kept alive per host and reused, at most
// max_host_connections per host and max_total_connections in all (an idle one to another host
// is closed to make room; otherwise a request waits for one, in order), one retry on a new
// connection when a kept-alive one turns out closed before any byte of the answer, error
// sentences naming scheme, host, port and path only, response header names in lower case.
// Queueing to max_in_flight, cancellation and shutdown stay HttpClient's: it calls cancel() and
// stop(), after which the request's `finished` is never called.
//
// Single-threaded: everything runs on the io_context's thread (the loop's, or the client's
// worker). `finished` is never called from inside start(), cancel() or stop(), and an idle
// PlainHttp holds no work on the io_context (kept-alive connections wait without a read).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/http_client.h"

namespace fangfan::http_detail {

// Where a plain http:// URL points, as this path sends to it.
struct PlainUrl {
  std::string host;         // without brackets for IPv6
  std::string port;         // digits
  std::string host_header;  // the Host header's value (port left out when 80, as curl does)
  std::string target;       // "/path?query" (the fragment left out)
};

// The URL's parts when this path takes `request` whole; nullopt sends it through curl.
std::optional<PlainUrl> plain_request(const HttpRequest& request);

class PlainHttp {
 public:
  // A request started with `tag` ended with `response` (any Transport but kCancelled and
  // kShutdown, which are HttpClient's).
  using Finished = void (*)(void* owner, void* tag, HttpResponse response);

  // `opened` counts the connections opened (HttpClient's counter, shared with curl's).
  PlainHttp(boost::asio::io_context& io, const HttpClientOptions& options, Finished finished,
            void* owner, std::atomic<std::int64_t>& opened);
  ~PlainHttp();
  PlainHttp(const PlainHttp&) = delete;
  PlainHttp& operator=(const PlainHttp&) = delete;

  // Sends `request` (which the caller keeps unchanged until `finished` or cancel()).
  void start(void* tag, const HttpRequest& request, PlainUrl url);
  // Takes the request off the wire (its connection is closed); `finished` is not called.
  void cancel(void* tag);
  // Closes every connection; no `finished` after it.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace fangfan::http_detail
