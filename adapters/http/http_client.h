// An HTTP client for the gateways. `https://` (and any request plain_http.h does not take whole)
// goes through libcurl's multi interface driven by Asio: the sockets curl names are kept in an
// epoll set of the client's, which the loop watches as one descriptor; when it is ready,
// curl_multi_socket_action runs for the ready sockets only, and curl's timer is an Asio timer.
// Plain `http://` (a webhook gateway, a local sink) goes out on Boost.Beast over Asio sockets of
// the same executor (plain_http.h): curl's own work per request was a third of the CPU of a
// webhook message. Both keep the contract below. send() hands a request over and the awaiting
// coroutine resumes on its own executor when the answer (or the failure) is there. The loop
// never waits on the network.
//
// Where curl runs: given the daemon's loop (HttpClient(loop, ...)), on the loop's thread itself:
// a request sent from the loop and its answer cross no thread (handing each over to a worker
// thread and back was a good part of the client's cost per request, issue 15). Without a loop,
// on a worker thread of the client's own (tests, tools).
//
// Connections are kept alive and reused between requests to the same host
// (the multi handle's connection cache; plain_http.h's own per host). At most `max_in_flight`
// requests are on the wire at once; more wait in order in a queue. Each request has its own total
// timeout, counted from when it goes on the wire.
//
// Errors are values: a refused connection, a timeout, a dropped connection or
// a shutdown come back as an HttpResponse with `transport` set and a sentence
// in `error`; an HTTP status (also 4xx/5xx) is an answer, not an error. Error
// sentences name scheme, host, port and path only, never the query string
// (WeChat puts keys and tokens there) nor headers or bodies.
//
// Cancellation: when the awaiting coroutine's cancellation slot fires, the
// request is taken off the wire and completes with kCancelled.
// Thread-safety: send() may be called from any thread. shutdown() (also run by
// the destructor) completes every pending request with kShutdown (and joins the
// worker of a client without a loop). REQUIRES: the client outlives the coroutines awaiting
// send(); a client on a loop is shut down and destroyed on the loop's thread or while the loop
// does not run, and before the loop's io_context.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fangfan {

struct HttpRequest {
  std::string method = "GET";  // GET or POST (any verb curl takes)
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // whole request, connect included
};

struct HttpResponse {
  enum class Transport {
    kOk,         // an HTTP answer came (any status)
    kConnect,    // could not connect (refused, unreachable, DNS)
    kTimeout,    // no complete answer within the timeout
    kDropped,    // the connection broke before a complete answer
    kOther,      // TLS or another transport failure
    kCancelled,  // the awaiting coroutine was cancelled
    kShutdown,   // the client shut down before the answer
  };
  Transport transport = Transport::kOk;
  std::string error;                                         // not kOk: a sentence without secrets
  int status = 0;                                            // kOk: the HTTP status
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  bool ok() const { return transport == Transport::kOk; }
  // The first header named `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// Seconds from a Retry-After value: delta-seconds, or an HTTP date relative to
// `now`. nullopt when absent or unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// "https://host:port/path" of `url`: what error messages and logs may show.
std::string redact_url(std::string_view url);

struct HttpClientOptions {
  int max_in_flight = 8;          // requests on the wire at once
  int max_host_connections = 4;   // CURLMOPT_MAX_HOST_CONNECTIONS
  int max_total_connections = 8;  // CURLMOPT_MAX_TOTAL_CONNECTIONS
  std::chrono::milliseconds connect_timeout{5000};
};

class HttpClient {
 public:
  // On a worker thread of its own.
  explicit HttpClient(HttpClientOptions options = {});
  // On `loop`'s thread (see the top).
  HttpClient(boost::asio::io_context& loop, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // How a request completes (internal to async_send): one object per request, which holds the
  // awaiting side's handler, the work it keeps on the handler's executor and its cancellation
  // slot, and hands the answer over there.
  struct Done {
    virtual ~Done() = default;
    // Called once, on the client's thread; `self` is this object.
    virtual void deliver(std::unique_ptr<Done> self, HttpResponse response) = 0;
  };

  template <class CompletionToken = boost::asio::use_awaitable_t<>>
  auto async_send(HttpRequest request, CompletionToken&& token = {}) {
    return boost::asio::async_initiate<CompletionToken, void(HttpResponse)>(
        [this](auto handler, HttpRequest request) {
          using Handler = decltype(handler);
          auto slot = boost::asio::get_associated_cancellation_slot(handler);
          auto done = std::make_unique<DoneWith<Handler>>(std::move(handler), slot);
          const std::uint64_t id = next_id();
          if (slot.is_connected()) slot.template emplace<CancelHandler>(this, id);
          submit(id, std::move(request), std::move(done));
        },
        token, std::move(request));
  }

  boost::asio::awaitable<HttpResponse> send(HttpRequest request) {
    return async_send(std::move(request), boost::asio::use_awaitable);
  }

  // Completes every queued and running request with kShutdown and joins the
  // worker; later sends complete with kShutdown at once. Idempotent.
  void shutdown();

  // Connections curl opened so far (not reused ones): for tests and metrics.
  std::int64_t connections_opened() const;
  // The most requests that were on the wire at once so far.
  int peak_in_flight() const;

 private:
  struct CancelHandler {
    // A constructor, not aggregate init: clang 14 (the fuzz build) lacks C++20's parenthesised
    // aggregate initialisation, which cancellation_slot::emplace uses.
    CancelHandler(HttpClient* c, std::uint64_t i) : client(c), id(i) {}
    HttpClient* client;
    std::uint64_t id;
    void operator()(boost::asio::cancellation_type type) {
      if (type != boost::asio::cancellation_type::none) client->cancel(id);
    }
  };
  // The answer goes to the handler's executor, where the cancellation handler is detached (the
  // slot belongs to that side) before the handler runs.
  template <class Handler>
  struct DoneWith final : Done {
    using Work = boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>>;
    DoneWith(Handler h, boost::asio::cancellation_slot s)
        : handler(std::move(h)),
          work(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler))),
          slot(s) {}
    Handler handler;
    Work work;
    boost::asio::cancellation_slot slot;
    void deliver(std::unique_ptr<Done> self, HttpResponse response) override {
      auto ex = work.get_executor();
      boost::asio::post(ex, [self = std::move(self), response = std::move(response)]() mutable {
        auto& me = static_cast<DoneWith&>(*self);
        if (me.slot.is_connected()) me.slot.clear();
        auto h = std::move(me.handler);
        me.work.reset();
        self.reset();
        std::move(h)(std::move(response));
      });
    }
  };
  std::uint64_t next_id();
  // Queues the request (or completes it at once after shutdown).
  void submit(std::uint64_t id, HttpRequest request, std::unique_ptr<Done> done);
  void cancel(std::uint64_t id);

  struct Worker;  // a client without a loop: its own io_context and thread
  struct Impl;
  std::unique_ptr<Worker> worker_;  // declared first: it outlives the Impl's Asio objects
  std::shared_ptr<Impl> impl_;
};

}  // namespace fangfan
