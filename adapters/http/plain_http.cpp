#include "adapters/http/plain_http.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <deque>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/http/http_text.h"

namespace fangfan::http_detail {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::beast::iequals;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Transport = HttpResponse::Transport;

bool plain_char(char c) { return c > 0x20 && c < 0x7f; }

// Headers this path would have to interpret (curl's meaning of them, or the framing): such a
// request goes through curl.
bool curl_header(std::string_view name, std::string_view value) {
  static constexpr std::array<std::string_view, 6> kCurls{
      "content-length", "transfer-encoding", "expect", "accept-encoding", "connection", "te"};
  if (name.empty() || value.empty()) return true;  // "Name:" means "leave it out" to curl
  for (char c : name)
    if (!plain_char(c) || c == ':' || c == ';') return true;
  for (char c : value)
    if (c == '\r' || c == '\n') return true;
  return std::any_of(kCurls.begin(), kCurls.end(),
                     [name](std::string_view h) { return iequals(name, h); });
}

bool has_header(const HttpRequest& r, std::string_view name) {
  return std::any_of(r.headers.begin(), r.headers.end(),
                     [name](const auto& h) { return iequals(h.first, name); });
}

}  // namespace

std::optional<PlainUrl> plain_request(const HttpRequest& request) {
  static constexpr std::array<std::string_view, 5> kMethods{"GET", "POST", "PUT", "PATCH",
                                                            "DELETE"};
  if (std::find(kMethods.begin(), kMethods.end(), request.method) == kMethods.end()) {
    return std::nullopt;
  }
  std::string_view url = request.url;
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  if (!std::all_of(url.begin(), url.end(), plain_char)) return std::nullopt;
  const std::size_t end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? "" : url.substr(end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  PlainUrl u;
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (port.empty()) port = "80";
  if (std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
    return std::nullopt;
  }
  for (const auto& [name, value] : request.headers) {
    if (curl_header(name, value)) return std::nullopt;
  }
  u.host = std::string(host);
  u.port = std::string(port);
  u.host_header = authority.front() == '[' ? "[" + u.host + "]" : u.host;
  if (u.port != "80") u.host_header.append(":").append(u.port);
  rest = rest.substr(0, rest.find('#'));
  u.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  return u;
}

namespace {

// A connection to one host, kept alive between requests.
struct Conn {
  explicit Conn(asio::io_context& io, std::string k) : socket(io), key(std::move(k)) {}
  tcp::socket socket;
  boost::beast::flat_buffer buffer;  // bytes read past an answer (none from a plain server)
  std::string key;                   // "host:port"
  bool reused = false;               // it carried a request before this one
};

// One request on its way, held by the handlers of its operations; `state` is null once it
// ended (answered, timed out, cancelled or stopped): a late handler then does nothing.
struct Exchange : std::enable_shared_from_this<Exchange> {
  explicit Exchange(asio::io_context& io) : timer(io) {}
  void* state = nullptr;  // PlainHttp::State*, null once ended
  void* tag = nullptr;
  const HttpRequest* request = nullptr;
  PlainUrl url;
  std::string key;   // "host:port": its connections' pool
  std::string head;  // request line and headers
  Clock::time_point deadline;
  asio::steady_timer timer;
  std::uint64_t timer_turn = 0;
  bool connecting = false;
  bool connect_armed = false;  // the timer waits for the connect timeout
  bool retried = false;
  bool fresh = false;    // the retry: on a new connection
  std::size_t slot = 0;  // its place in State::active
  std::unique_ptr<Conn> conn;
  std::unique_ptr<tcp::resolver> resolver;
  std::optional<http::response_parser<http::string_body>> parser;
};

using ExchangePtr = std::shared_ptr<Exchange>;

bool dropped(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

}  // namespace

struct PlainHttp::State {
  State(asio::io_context& i, const HttpClientOptions& o, Finished f, void* w,
        std::atomic<std::int64_t>& n)
      : io(i), options(o), finished(f), owner(w), opened(n) {}

  asio::io_context& io;
  HttpClientOptions options;
  Finished finished;
  void* owner;
  std::atomic<std::int64_t>& opened;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> idle;  // last = latest
  std::unordered_map<std::string, int> open_per_host;  // idle, busy and connecting
  int open_total = 0;
  std::vector<ExchangePtr> active;  // every request not ended, at its `slot`
  std::deque<ExchangePtr> pending;  // waiting for a connection under the limits, in order

  // --- connections ---------------------------------------------------------------------------

  // (The maps keep a host's entries when they fall to none: the next request to it comes soon.)
  void forget(const Conn& c) {
    --open_total;
    --open_per_host[c.key];
  }

  void close(std::unique_ptr<Conn> c) {
    if (!c) return;
    forget(*c);
    boost::system::error_code ignored;
    c->socket.close(ignored);
  }

  // An idle connection to another host than `key`, closed to make room.
  bool close_idle_elsewhere(const std::string& key) {
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (it->first == key || it->second.empty()) continue;
      close(std::move(it->second.front()));
      it->second.erase(it->second.begin());
      return true;
    }
    return false;
  }

  // A connection for `ex` now (true), or none under the limits yet (false).
  bool acquire(const ExchangePtr& ex) {
    const std::string& key = ex->key;
    if (!ex->fresh) {
      if (auto it = idle.find(key); it != idle.end() && !it->second.empty()) {
        ex->conn = std::move(it->second.back());
        it->second.pop_back();
        ex->conn->reused = true;
        send(ex);
        return true;
      }
    }
    int& host_open = open_per_host[key];
    if (host_open >= std::max(1, options.max_host_connections)) return false;
    if (open_total >= std::max(1, options.max_total_connections) && !close_idle_elsewhere(key)) {
      return false;
    }
    ++open_total;
    ++host_open;
    ex->conn = std::make_unique<Conn>(io, key);
    connect(ex);
    return true;
  }

  // A connection went back (idle or closed): waiting requests take what the limits allow.
  void serve_pending() {
    for (auto it = pending.begin(); it != pending.end();) {
      ExchangePtr ex = *it;
      if (acquire(ex)) {
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
  }

  void release(std::unique_ptr<Conn> c, bool keep) {
    if (!c) return;
    if (keep) {
      c->reused = false;
      std::string key = c->key;
      idle[key].push_back(std::move(c));
    } else {
      close(std::move(c));
    }
    serve_pending();
  }

  // --- one request --------------------------------------------------------------------------

  void arm(const ExchangePtr& ex, Clock::time_point at) {
    ex->timer.expires_at(at);  // a wait already set ends with operation_aborted
    ex->timer.async_wait([ex, turn = ++ex->timer_turn](boost::system::error_code ec) {
      if (ec || ex->state == nullptr || turn != ex->timer_turn) return;
      static_cast<State*>(ex->state)->timed_out(ex);
    });
  }

  void timed_out(const ExchangePtr& ex) { end(ex, failure(Transport::kTimeout, *ex, ""), false); }

  long long connect_ms(const Exchange& ex) const {
    return std::min(options.connect_timeout, ex.request->timeout).count();
  }

  static HttpResponse failure(Transport kind, const Exchange& ex, std::string_view detail) {
    return transport_failure(kind, redact_url(ex.request->url), detail, ex.request->timeout);
  }

  void connect(const ExchangePtr& ex) {
    opened.fetch_add(1, std::memory_order_relaxed);
    ex->connecting = true;
    const auto connect_by = Clock::now() + std::chrono::milliseconds(connect_ms(*ex));
    ex->connect_armed = connect_by < ex->deadline;
    if (ex->connect_armed) arm(ex, connect_by);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(ex->url.host, ec);
    if (!ec) {
      const tcp::endpoint to(address, std::uint16_t(std::stoi(ex->url.port)));
      ex->conn->socket.async_connect(to, [ex](boost::system::error_code e) {
        if (ex->state) static_cast<State*>(ex->state)->connected(ex, e);
      });
      return;
    }
    ex->resolver = std::make_unique<tcp::resolver>(io);
    ex->resolver->async_resolve(
        ex->url.host, ex->url.port,
        [ex](boost::system::error_code e, tcp::resolver::results_type found) {
          if (!ex->state) return;
          if (e) {
            static_cast<State*>(ex->state)->connected(ex, e);
            return;
          }
          asio::async_connect(ex->conn->socket, found,
                              [ex](boost::system::error_code e2, const tcp::endpoint&) {
                                if (ex->state) static_cast<State*>(ex->state)->connected(ex, e2);
                              });
        });
  }

  void connected(const ExchangePtr& ex, boost::system::error_code ec) {
    ex->connecting = false;
    if (ec) {
      end(ex, failure(Transport::kConnect, *ex, ec.message()), false);
      return;
    }
    boost::system::error_code ignored;
    ex->conn->socket.set_option(tcp::no_delay(true), ignored);
    if (ex->connect_armed) arm(ex, ex->deadline);  // the whole request's timeout again
    send(ex);
  }

  void send(const ExchangePtr& ex) {
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(ex->head),
                                                 asio::buffer(ex->request->body)};
    asio::async_write(ex->conn->socket, bufs, [ex](boost::system::error_code ec, std::size_t) {
      if (!ex->state) return;
      auto* s = static_cast<State*>(ex->state);
      if (ec) {
        s->broke(ex, ec, false);
      } else {
        s->read(ex);
      }
    });
  }

  void read(const ExchangePtr& ex) {
    ex->parser.emplace();
    ex->parser->header_limit(1024 * 1024);
    ex->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read(ex->conn->socket, ex->conn->buffer, *ex->parser,
                     [ex](boost::system::error_code ec, std::size_t) {
                       if (!ex->state) return;
                       auto* s = static_cast<State*>(ex->state);
                       if (ec) {
                         s->broke(ex, ec, ex->parser->got_some());
                       } else {
                         s->answered(ex);
                       }
                     });
  }

  // The connection failed while sending or reading. A kept-alive one the server had closed
  // (nothing of an answer came) is tried again once, on a new connection, as curl does.
  void broke(const ExchangePtr& ex, boost::system::error_code ec, bool got_some) {
    if (!got_some && ex->conn->reused && !ex->retried && dropped(ec)) {
      ex->retried = true;
      ex->fresh = true;
      release(std::move(ex->conn), false);
      if (!acquire(ex)) pending.push_back(ex);
      return;
    }
    end(ex, failure(dropped(ec) ? Transport::kDropped : Transport::kOther, *ex, ec.message()),
        false);
  }

  void answered(const ExchangePtr& ex) {
    auto& message = ex->parser->get();
    const unsigned status = message.result_int();
    if (status >= 100 && status < 200 && status != 101) {  // 100 Continue and the like: the
      read(ex);                                            // answer comes after it
      return;
    }
    HttpResponse r;
    r.status = int(status);
    r.headers.reserve(std::size_t(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      r.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    }
    const bool keep = ex->parser->keep_alive() && ex->conn->buffer.size() == 0;
    r.body = std::move(message.body());
    end(ex, std::move(r), keep);
  }

  // The request ended: its connection kept or closed, its timer stopped, and (but for cancel
  // and stop, `answer` empty) HttpClient told.
  void end(const ExchangePtr& ex, std::optional<HttpResponse> answer, bool keep) {
    ex->state = nullptr;
    ++ex->timer_turn;
    ex->timer.cancel();
    if (ex->resolver) ex->resolver->cancel();
    // Out of `active` (the last one takes its place) and of `pending`.
    if (ex->slot + 1 != active.size()) {
      active[ex->slot] = std::move(active.back());
      active[ex->slot]->slot = ex->slot;
    }
    active.pop_back();
    if (!ex->conn) {
      if (auto it = std::find(pending.begin(), pending.end(), ex); it != pending.end()) {
        pending.erase(it);
      }
    }
    ex->parser.reset();
    release(std::move(ex->conn), keep);
    if (answer) finished(owner, ex->tag, std::move(*answer));
  }
};

PlainHttp::PlainHttp(asio::io_context& io, const HttpClientOptions& options, Finished finished,
                     void* owner, std::atomic<std::int64_t>& opened)
    : state_(std::make_unique<State>(io, options, finished, owner, opened)) {}

PlainHttp::~PlainHttp() { stop(); }

void PlainHttp::start(void* tag, const HttpRequest& request, PlainUrl url) {
  State& s = *state_;
  auto ex = std::make_shared<Exchange>(s.io);
  ex->state = &s;
  ex->tag = tag;
  ex->request = &request;
  ex->url = std::move(url);
  ex->key = ex->url.host + ":" + ex->url.port;
  ex->deadline = Clock::now() + request.timeout;
  // The request as curl would send it: its Host, User-Agent, Accept and (with a body)
  // Content-Type unless the request names its own, and Content-Length for every method but GET.
  std::string& h = ex->head;
  h.reserve(256 + request.url.size());
  h.append(request.method).append(" ").append(ex->url.target).append(" HTTP/1.1\r\n");
  if (!has_header(request, "host")) h.append("Host: ").append(ex->url.host_header).append("\r\n");
  if (!has_header(request, "user-agent")) h.append("User-Agent: fangfan\r\n");
  if (!has_header(request, "accept")) h.append("Accept: */*\r\n");
  for (const auto& [name, value] : request.headers) {
    h.append(name).append(": ").append(value).append("\r\n");
  }
  if (request.method != "GET") {
    if (!has_header(request, "content-type")) {
      h.append("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    h.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  h.append("\r\n");
  ex->slot = s.active.size();
  s.active.push_back(ex);
  s.arm(ex, ex->deadline);
  if (!s.acquire(ex)) s.pending.push_back(ex);
}

void PlainHttp::cancel(void* tag) {
  State& s = *state_;
  auto it = std::find_if(s.active.begin(), s.active.end(),
                         [tag](const ExchangePtr& e) { return e->tag == tag; });
  if (it == s.active.end()) return;
  ExchangePtr ex = *it;  // held until end() is done with it
  s.end(ex, std::nullopt, false);
}

void PlainHttp::stop() {
  State& s = *state_;
  for (const ExchangePtr& ex : s.active) {
    ex->state = nullptr;
    ++ex->timer_turn;
    ex->timer.cancel();
    if (ex->resolver) ex->resolver->cancel();
    if (ex->conn) {
      boost::system::error_code ignored;
      ex->conn->socket.close(ignored);
    }
  }
  s.active.clear();
  s.pending.clear();
  s.idle.clear();  // closes the kept-alive connections
  s.open_per_host.clear();
  s.open_total = 0;
}

}  // namespace fangfan::http_detail
