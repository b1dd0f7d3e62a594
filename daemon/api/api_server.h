// The HTTP/1.1 server of the API: an acceptor and one coroutine per connection
// on the daemon's event loop (Boost.Beast), in the shape of Asio's http/server
// example: this file does the network I/O, the request handler
// (request_handler.h) decides the answers.
//
// Limits, each answered the same JSON way as handler errors, then the connection
// is closed after draining what the client is still sending (so the client
// reads the answer instead of a reset):
//   - body larger than max_body_bytes            -> 413
//   - header larger than max_header_bytes        -> 431
//   - anything that is not HTTP/1.x              -> 400
//   - a request (or the next one on a keep-alive connection) not complete within
//     request_timeout: the connection is closed (slow clients cannot hold it)
//   - no complete request head (request line and headers) within header_timeout: the
//     connection is closed, so idle connections do not hold slots for long
//   - more than max_connections_per_client open from one source address (TCP only): the
//     newcomer gets a 503 and is closed, so one client cannot take every slot
//   - more than max_connections open at once: the newcomer's request head is still read (within
//     header_timeout); a GET of one of answered_when_full (/healthz, /metrics) is answered, with
//     `Connection: close`, anything else gets a 503 and is closed
// `Expect: 100-continue` is answered before the body is read.
//
// Stopping: when run()'s coroutine is cancelled (the daemon's terminal
// cancellation on SIGTERM) or stop() is called, the server stops accepting,
// closes every keep-alive connection that is waiting for its next request, lets
// requests already arriving or being handled finish and answers them with
// `Connection: close`, and run() returns when the last connection has closed.
// The daemon's shutdown timeout bounds how long that may take.
//
// Thread-safety: REQUIRES an executor that runs one handler at a time (the
// daemon's single-threaded io_context). stop() may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/api/request_handler.h"

namespace fangfan {

class MetricsRegistry;
class GaugeFamily;
class CounterFamily;

struct ApiLimits {
  std::uint64_t max_body_bytes = 1024 * 1024;  // 1 MiB
  std::uint32_t max_header_bytes = 16 * 1024;
  // From waiting for a request to having all of it; also how long an idle
  // keep-alive connection stays open.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  std::size_t max_connections = 256;
  // -- connections: per source address ([api] max_connections_per_client); the Unix socket's
  // clients (operators on the machine) are not counted.
  std::size_t max_connections_per_client = 64;
  // -- connections: from waiting for a request to having its head ([api] header_timeout_seconds);
  // never more than request_timeout.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(5)};
  // -- connections: paths answered (GET only) even when max_connections are open, so monitoring
  // sees the daemon's health while the API is full.
  std::vector<std::string> answered_when_full = {"/healthz", "/metrics"};
  // After an error answer: how long to drain the client's unread bytes before closing.
  std::chrono::milliseconds linger{std::chrono::seconds(1)};
  // -- import: routes that take whole files may send larger bodies. A request whose target
  // begins with one of these prefixes has that limit instead of max_body_bytes.
  std::vector<std::pair<std::string, std::uint64_t>> larger_bodies = {
      {"/api/v1/imports", 32 * 1024 * 1024}};
};

class ApiServer {
 public:
  using Handler = std::function<boost::asio::awaitable<ApiRequestHandler::Response>(
      ApiRequestHandler::Request&)>;

  // `metrics` may be null; when given, the server counts connections and
  // refusals in it. It must outlive the server.
  ApiServer(boost::asio::any_io_executor executor, Handler handler, ApiLimits limits = {},
            MetricsRegistry* metrics = nullptr);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and listens on "ADDRESS:PORT": an IPv4 address, [IPv6] in brackets,
  // or "localhost"; port 0 picks a free one (see local_endpoint()). Returns the
  // problem as a sentence naming the address, or nullopt on success.
  std::optional<std::string> listen(std::string_view address);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Also serves on a Unix stream socket at `path` (created with mode 0660, its folder created
  // when missing; a stale socket file there is replaced, any other file is an error). The same
  // limits, handler and graceful stop as TCP; the socket file is removed when run() returns.
  // Optional; call before run(). Returns the problem as a sentence naming the path.
  std::optional<std::string> listen_unix(const std::filesystem::path& path);

  // Serves until cancelled or stop(), then stops gracefully (see above).
  // REQUIRES: listen() succeeded. Never throws.
  boost::asio::awaitable<void> run();

  // Starts the graceful stop, as cancelling run() does.
  void stop();

  // Open connections, not counting those admitted beyond max_connections (loop thread only; for
  // tests and metrics).
  std::size_t connection_count() const { return connections_.size(); }

 private:
  struct Connection;
  template <class Stream>
  struct StreamConnection;
  using ConnectionList = std::list<std::shared_ptr<Connection>>;

  // One session implementation for both transports (defined and instantiated in the .cpp).
  template <class Stream, class Socket>
  void admit(Socket socket);
  // The end of a connection: off its list and its client's count.
  void release(const Connection& c, ConnectionList::iterator it);
  bool answered_when_full(const ApiRequestHandler::Request& req) const;
  template <class Stream>
  boost::asio::awaitable<void> serve(std::shared_ptr<StreamConnection<Stream>> c,
                                     ConnectionList::iterator it);
  template <class Stream>
  boost::asio::awaitable<void> session(StreamConnection<Stream>& c);
  template <class Protocol>
  void refuse(typename Protocol::socket socket);
  boost::asio::awaitable<void> accept_unix();
  void begin_stop();
  void count_protocol_error(const char* reason);

  boost::asio::any_io_executor executor_;
  Handler handler_;
  ApiLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::local::stream_protocol::acceptor unix_acceptor_;
  std::string unix_path_;        // when listening on a Unix socket
  bool unix_accepting_ = false;  // its accept loop is running
  ConnectionList connections_;
  // -- connections: those admitted while max_connections were open (to answer /healthz,
  // /metrics or a 503), and the open connections (both lists) of each source address.
  ConnectionList overflow_;
  std::map<std::string, std::size_t> per_client_;
  std::shared_ptr<std::size_t> refusing_;  // refusals in flight, shared with their coroutines
  bool stopping_ = false;
  boost::asio::steady_timer drained_;  // cancelled when the last connection closes while stopping

  GaugeFamily* open_gauge_ = nullptr;
  CounterFamily* refused_counter_ = nullptr;
  CounterFamily* protocol_errors_ = nullptr;
};

}  // namespace fangfan
