#include "daemon/api/api_server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <filesystem>
#include <sstream>
#include <type_traits>

#include "daemon/api/metrics.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using local = asio::local::stream_protocol;
using unix_stream = beast::basic_stream<local>;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// The most a lingering close reads before giving up on the client.
constexpr std::size_t kLingerMaxBytes = 8 * 1024 * 1024;
// Refusals (503 to connections beyond the bound) in flight at once; beyond it, close at once.
constexpr std::size_t kMaxRefusing = 64;
// Connections admitted beyond max_connections (read, then /healthz, /metrics or a 503) at once;
// beyond it, a newcomer is refused without being read.
constexpr std::size_t kMaxOverflow = 64;

// The source address a TCP connection counts against; empty for the Unix socket (not counted).
template <class Socket>
std::string client_of([[maybe_unused]] const Socket& socket) {
  if constexpr (std::is_same_v<typename Socket::protocol_type, tcp>) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (!ec) return peer.address().to_string();
  }
  return {};
}

std::string endpoint_text(const tcp::endpoint& e) {
  const std::string host =
      e.address().is_v6() ? "[" + e.address().to_string() + "]" : e.address().to_string();
  return host + ":" + std::to_string(e.port());
}

std::string size_text(std::uint64_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// Reads and discards what the peer still sends, for at most `limit`, so the
// answer just written reaches it before the close (a close with unread data
// sends a reset, which can destroy the answer in flight).
template <class Stream>
awaitable<void> drain(Stream& stream, std::chrono::milliseconds limit) {
  beast::error_code ec;
  stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
  stream.expires_after(limit);
  std::array<char, 16 * 1024> sink;
  std::size_t total = 0;
  while (total < kLingerMaxBytes) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kAwait);
    if (rec) break;
    total += n;
  }
}

template <class Protocol>
awaitable<void> refuse_connection(typename Protocol::socket socket,
                                  std::shared_ptr<const std::string> answer,
                                  std::shared_ptr<std::size_t> refusing) {
  beast::basic_stream<Protocol> stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(2));
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(*answer), kAwait);
  if (!ec) co_await drain(stream, std::chrono::seconds(1));
  stream.close();
  --*refusing;
}

ApiError too_many_connections() {
  return ApiError(http::status::service_unavailable, "too_many_connections",
                  "服务器连接数已满，请稍后重试 (the server has too many open connections; try "
                  "again shortly)");
}

}  // namespace

// What begin_stop() needs of a connection, whatever its transport.
struct ApiServer::Connection {
  virtual ~Connection() = default;
  virtual void cancel() = 0;  // cancels the pending read or write
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::string_body>> parser;
  bool reading = false;   // in a read of the next request
  bool closing = false;   // the server is stopping: close after the current answer
  bool overflow = false;  // admitted beyond max_connections: one reserved answer, then close
  std::string client;     // the source address counted in per_client_ (empty: not counted)
};

// One connection over TCP (beast::tcp_stream) or the Unix socket (basic_stream<local>).
template <class Stream>
struct ApiServer::StreamConnection : ApiServer::Connection {
  template <class Socket>
  explicit StreamConnection(Socket socket) : stream(std::move(socket)) {}
  void cancel() override { stream.cancel(); }
  Stream stream;
};

ApiServer::ApiServer(asio::any_io_executor executor, Handler handler, ApiLimits limits,
                     MetricsRegistry* metrics)
    : executor_(executor),
      handler_(std::move(handler)),
      limits_(limits),
      acceptor_(executor),
      unix_acceptor_(executor),
      refusing_(std::make_shared<std::size_t>(0)),
      drained_(executor) {
  if (metrics) {
    open_gauge_ = &metrics->gauge("fangfan_http_connections_open", "Open HTTP connections.");
    refused_counter_ = &metrics->counter(
        "fangfan_http_connections_refused_total",
        "Connections answered 503 and closed because max_connections were open (or "
        "max_connections_per_client from one address).");
    protocol_errors_ = &metrics->counter(
        "fangfan_http_protocol_errors_total",
        "Requests cut off before any handler ran, by reason (timeout, body_too_large, "
        "header_too_large, malformed).",
        {"reason"});
    open_gauge_->set({}, 0);
    refused_counter_->inc({}, 0);
  }
}

ApiServer::~ApiServer() = default;

std::optional<std::string> ApiServer::listen(std::string_view address) {
  const std::string text(address);
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return "API 监听地址“" + text + "”应为 地址:端口，例如 127.0.0.1:8470 (the API address '" +
           text + "' must be ADDRESS:PORT, e.g. 127.0.0.1:8470)";
  }
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto [end, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (pec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return "API 监听地址“" + text + "”的端口无效 (the port of '" + text +
           "' is not a number from 0 to 65535)";
  }
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) {
    return "API 监听地址“" + text + "”不是 IP 地址 (the host of '" + text +
           "' is not an IP address; use e.g. 127.0.0.1 or [::1])";
  }
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  auto fail = [&](const char* step) -> std::optional<std::string> {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return "无法在 " + text + " 上监听 API：" + ec.message() + " (cannot " + step + " " + text +
           " for the API: " + ec.message() + ")";
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set options on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind to");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  spdlog::info("api.listening address={}", endpoint_text(acceptor_.local_endpoint()));
  return std::nullopt;
}

std::optional<std::string> ApiServer::listen_unix(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  const std::string text = path.string();
  std::error_code fec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), fec);
  // A socket file left by a daemon that died is removed; any other file is not ours to delete.
  if (fs::is_socket(fs::symlink_status(path, fec))) {
    fs::remove(path, fec);
  } else if (fs::exists(fs::symlink_status(path, fec))) {
    return "API 套接字路径 " + text + " 已存在且不是套接字 (the API socket path " + text +
           " exists and is not a socket; remove it or choose another [api] socket)";
  }
  beast::error_code ec;
  auto fail = [&](const char* step) -> std::optional<std::string> {
    beast::error_code ignored;
    unix_acceptor_.close(ignored);
    return "无法在 " + text + " 上监听 API：" + ec.message() + " (cannot " + step +
           " the API socket " + text + ": " + ec.message() + ")";
  };
  const local::endpoint endpoint(text);
  unix_acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  unix_acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  // Owner and group (the operators' group) may connect; nobody else on the machine.
  if (::chmod(text.c_str(), 0660) != 0) {
    ec = beast::error_code(errno, beast::system_category());
    return fail("set permissions 0660 on");
  }
  unix_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  unix_path_ = text;
  spdlog::info("api.listening socket={}", text);
  return std::nullopt;
}

tcp::endpoint ApiServer::local_endpoint() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void ApiServer::stop() {
  asio::post(executor_, [this] {
    stopping_ = true;
    beast::error_code ec;
    acceptor_.close(ec);  // the accept loops end with operation_aborted
    unix_acceptor_.close(ec);
  });
}

void ApiServer::count_protocol_error(const char* reason) {
  if (protocol_errors_) protocol_errors_->inc({reason});
}

awaitable<void> ApiServer::accept_unix() {
  asio::steady_timer backoff(executor_);
  while (!stopping_ && unix_acceptor_.is_open()) {
    auto [ec, socket] = co_await unix_acceptor_.async_accept(kAwait);
    if (ec) {
      if (stopping_ || !unix_acceptor_.is_open()) break;
      spdlog::warn("api.accept_failed socket={} error=\"{}\"", unix_path_, ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(kAwait);
      continue;
    }
    admit<unix_stream>(std::move(socket));
  }
  unix_accepting_ = false;
  if (stopping_) drained_.cancel();
}

template <class Stream, class Socket>
void ApiServer::admit(Socket socket) {
  using Protocol = typename Socket::protocol_type;
  std::string client = client_of(socket);
  if (!client.empty()) {
    const auto held = per_client_.find(client);
    if (held != per_client_.end() && held->second >= limits_.max_connections_per_client) {
      spdlog::warn("api.client_connection_limit open={} max_connections_per_client={}",
                   held->second, limits_.max_connections_per_client);
      refuse<Protocol>(std::move(socket));
      return;
    }
  }
  const bool full = connections_.size() >= limits_.max_connections;
  if (full && overflow_.size() >= kMaxOverflow) {
    refuse<Protocol>(std::move(socket));
    return;
  }
  auto c = std::make_shared<StreamConnection<Stream>>(std::move(socket));
  c->overflow = full;
  c->client = std::move(client);
  if (!c->client.empty()) ++per_client_[c->client];
  ConnectionList& list = full ? overflow_ : connections_;
  list.push_front(c);
  if (open_gauge_) open_gauge_->set({}, static_cast<double>(connections_.size()));
  asio::co_spawn(executor_, serve<Stream>(std::move(c), list.begin()), asio::detached);
}

void ApiServer::release(const Connection& c, ConnectionList::iterator it) {
  if (!c.client.empty()) {
    auto held = per_client_.find(c.client);
    if (held != per_client_.end() && --held->second == 0) per_client_.erase(held);
  }
  (c.overflow ? overflow_ : connections_).erase(it);
  if (open_gauge_) open_gauge_->set({}, static_cast<double>(connections_.size()));
  if (stopping_ && connections_.empty() && overflow_.empty()) drained_.cancel();
}

bool ApiServer::answered_when_full(const ApiRequestHandler::Request& req) const {
  if (req.method() != http::verb::get) return false;
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  for (const auto& p : limits_.answered_when_full) {
    if (path == p) return true;
  }
  return false;
}

awaitable<void> ApiServer::run() {
  if (unix_acceptor_.is_open()) {
    unix_accepting_ = true;
    asio::co_spawn(executor_, accept_unix(), asio::detached);
  }
  asio::steady_timer backoff(executor_);
  for (;;) {
    // Checked before every wait: awaiting anything once cancelled would throw.
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (stopping_ || state.cancelled() != asio::cancellation_type::none) break;
    auto [ec, socket] = co_await acceptor_.async_accept(kAwait);
    if (ec) {
      state = co_await asio::this_coro::cancellation_state;
      if (stopping_ || !acceptor_.is_open() || state.cancelled() != asio::cancellation_type::none) {
        break;
      }
      // E.g. too many open files: wait a little instead of spinning, then go on.
      spdlog::warn("api.accept_failed error=\"{}\"", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(kAwait);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    admit<beast::tcp_stream>(std::move(socket));
  }
  // The daemon's cancellation starts the stop, but draining must still be awaited.
  co_await asio::this_coro::reset_cancellation_state();
  begin_stop();
  while (!connections_.empty() || !overflow_.empty() || unix_accepting_) {
    co_await drained_.async_wait(kAwait);
  }
  if (!unix_path_.empty()) {
    std::error_code fec;
    std::filesystem::remove(unix_path_, fec);
  }
  spdlog::info("api.stopped");
}

void ApiServer::begin_stop() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  unix_acceptor_.close(ec);
  spdlog::info("api.stopping open_connections={}", connections_.size());
  drained_.expires_at(asio::steady_timer::time_point::max());
  for (ConnectionList* list : {&connections_, &overflow_}) {
    for (auto& c : *list) {
      c->closing = true;
      const bool idle = c->reading && c->buffer.size() == 0 && c->parser && !c->parser->got_some();
      if (idle) c->cancel();  // waiting for a next request that need not come
    }
  }
}

template <class Protocol>
void ApiServer::refuse(typename Protocol::socket socket) {
  if (refused_counter_) refused_counter_->inc({});
  spdlog::warn("api.connection_refused open={} max_connections={}", connections_.size(),
               limits_.max_connections);
  if (*refusing_ >= kMaxRefusing) {
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  static const auto answer = [] {
    auto res = error_response(too_many_connections(), 11, false);
    std::ostringstream out;
    out << res;
    return std::make_shared<const std::string>(out.str());
  }();
  ++*refusing_;
  asio::co_spawn(executor_, refuse_connection<Protocol>(std::move(socket), answer, refusing_),
                 asio::detached);
}

template <class Stream>
awaitable<void> ApiServer::serve(std::shared_ptr<StreamConnection<Stream>> c,
                                 ConnectionList::iterator it) {
  try {
    co_await session(*c);
  } catch (const std::exception& e) {
    spdlog::warn("api.connection_failed error=\"{}\"", e.what());
  }
  beast::error_code ec;
  c->stream.socket().shutdown(asio::socket_base::shutdown_send, ec);
  c->stream.close();
  release(*c, it);
}

template <class Stream>
awaitable<void> ApiServer::session(StreamConnection<Stream>& c) {
  for (;;) {
    if (c.closing && c.buffer.size() == 0) co_return;
    c.parser.emplace();
    c.parser->header_limit(limits_.max_header_bytes);
    // -- import: the largest limit while the header is read (Beast checks Content-Length
    // against it there), then the one of the request's route (limits.larger_bodies).
    std::uint64_t body_limit = limits_.max_body_bytes;
    for (const auto& [prefix, bytes] : limits_.larger_bodies)
      body_limit = std::max(body_limit, bytes);
    c.parser->body_limit(body_limit);
    // -- connections: the head must come soon (an idle connection is closed after
    // header_timeout), the whole request within request_timeout.
    const auto started = std::chrono::steady_clock::now();
    c.stream.expires_after(std::min(limits_.header_timeout, limits_.request_timeout));
    c.reading = true;
    auto [ec, n] = co_await http::async_read_header(c.stream, c.buffer, *c.parser, kAwait);
    if (!ec) c.stream.expires_at(started + limits_.request_timeout);
    if (!ec && c.overflow && !answered_when_full(c.parser->get())) {
      // -- connections: full, and not a request that is answered even then.
      if (refused_counter_) refused_counter_->inc({});
      spdlog::warn("api.connection_refused open={} max_connections={}", connections_.size(),
                   limits_.max_connections);
      auto res = error_response(too_many_connections(), 11, false);
      c.stream.expires_after(limits_.write_timeout);
      auto [wec, wn] = co_await http::async_write(c.stream, res, kAwait);
      if (!wec) co_await drain(c.stream, limits_.linger);
      co_return;
    }
    if (c.overflow) c.closing = true;  // one reserved answer, then the slot is given back
    if (!ec) {
      const auto target = c.parser->get().target();
      body_limit = limits_.max_body_bytes;
      for (const auto& [prefix, bytes] : limits_.larger_bodies) {
        if (std::string_view(target.data(), target.size()).starts_with(prefix)) body_limit = bytes;
      }
      c.parser->body_limit(body_limit);
      const auto length = c.parser->content_length();
      if (length && *length > body_limit) ec = http::error::body_limit;
    }
    if (!ec && !c.parser->is_done() &&
        beast::iequals(c.parser->get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, c.parser->get().version()};
      go_on.set(http::field::server, server_name());
      std::tie(ec, n) = co_await http::async_write(c.stream, go_on, kAwait);
    }
    if (!ec && !c.parser->is_done()) {
      std::tie(ec, n) = co_await http::async_read(c.stream, c.buffer, *c.parser, kAwait);
    }
    c.reading = false;

    if (ec) {
      std::optional<ApiError> answer;
      if (ec == http::error::body_limit) {
        count_protocol_error("body_too_large");
        answer =
            ApiError(http::status::payload_too_large, "payload_too_large",
                     "请求体超过 " + size_text(body_limit) +
                         " 上限 (the request body is larger than " + size_text(body_limit) + ")");
      } else if (ec == http::error::header_limit) {
        count_protocol_error("header_too_large");
        answer = ApiError(http::status::request_header_fields_too_large, "header_too_large",
                          "请求头超过 " + size_text(limits_.max_header_bytes) +
                              " 上限 (the request header is larger than " +
                              size_text(limits_.max_header_bytes) + ")");
      } else if (ec == beast::error::timeout) {
        // The socket is closed already: a slow or idle client is simply cut off.
        if (c.parser->got_some()) {
          count_protocol_error("timeout");
          const auto limit = c.parser->is_header_done()
                                 ? limits_.request_timeout
                                 : std::min(limits_.header_timeout, limits_.request_timeout);
          spdlog::info("api.slow_client_cut_off timeout_ms={}", limit.count());
        }
        co_return;
      } else if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
                 ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
                 ec == asio::error::eof || ec.category() == asio::error::get_system_category()) {
        co_return;  // the client went away, or the server is stopping
      } else {
        count_protocol_error("malformed");
        answer =
            ApiError::bad_request("", "不是有效的 HTTP/1.1 请求：" + ec.message() +
                                          " (not a valid HTTP/1.1 request: " + ec.message() + ")");
      }
      auto res = error_response(*answer, 11, false);
      c.stream.expires_after(limits_.write_timeout);
      auto [wec, wn] = co_await http::async_write(c.stream, res, kAwait);
      if (!wec) co_await drain(c.stream, limits_.linger);
      co_return;
    }

    ApiRequestHandler::Request req = c.parser->release();
    const bool keep_alive = req.keep_alive();
    ApiRequestHandler::Response res = co_await handler_(req);
    res.keep_alive(keep_alive && !c.closing);
    c.stream.expires_after(limits_.write_timeout);
    auto [wec, wn] = co_await http::async_write(c.stream, res, kAwait);
    if (wec || !res.keep_alive()) co_return;
  }
}

}  // namespace fangfan
