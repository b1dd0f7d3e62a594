// The API's connection slots under idle and greedy clients (issue 16): one source address cannot
// take every slot, an idle connection gives its slot back after header_timeout, and /healthz and
// /metrics are answered while every slot is taken. Real sockets on loopback; other clients are
// other loopback addresses (127.0.0.x), which Linux routes to the server on 127.0.0.1.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "daemon/api/http_api.h"
#include "tests/daemon/api_test_server.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
using test::TestApiServer;

constexpr const char* kCounty = "379901";

// One blocking connection from the loopback address `from`; reads give up after `timeout`.
class Peer {
 public:
  Peer(const std::string& from, unsigned short port, std::chrono::milliseconds timeout = 10s)
      : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // GET `target`; the answer's status and body, nullopt when the server closed without one.
  std::optional<std::pair<unsigned, std::string>> get(const std::string& target,
                                                      const std::string& token = "") {
    std::string raw = "GET " + target + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) raw += "Authorization: Bearer " + token + "\r\n";
    raw += "\r\n";
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(raw), ec);
    if (ec) return std::nullopt;
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) return std::nullopt;
    return std::make_pair(static_cast<unsigned>(res.result_int()), res.body());
  }

  // True when the server closes the connection (EOF or reset) before the read timeout.
  bool closed_by_server() {
    char byte;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Opens `n` connections from `from` that send nothing.
std::vector<std::unique_ptr<Peer>> idle_peers(const std::string& from, unsigned short port, int n) {
  std::vector<std::unique_ptr<Peer>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<Peer>(from, port));
  return out;
}

TEST(ApiConnections, ManyIdleConnectionsFromOneClientDoNotLockOutAnother) {
  ApiLimits limits;
  limits.max_connections = 8;
  limits.max_connections_per_client = 4;
  limits.header_timeout = 20s;  // the idle ones stay for the whole test
  TestApiServer server(limits);
  const std::string admin = server.token(Role::kCountyAdmin, kCounty);

  auto greedy = idle_peers("127.0.0.2", server.port(), 20);
  // One more from the greedy address is refused...
  Peer one_more("127.0.0.2", server.port());
  auto refused = one_more.get("/api/v1/outbox", admin);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->first, 503u);
  EXPECT_THAT(refused->second, ::testing::HasSubstr("too_many_connections"));
  // ... while another client is served, on the API and on /healthz.
  for (const char* target : {"/api/v1/outbox", "/healthz"}) {
    Peer other("127.0.0.3", server.port());
    auto r = other.get(target, admin);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->first, 200u) << target << ": " << r->second;
  }
}

TEST(ApiConnections, HealthzAndMetricsAreAnsweredWhileTheApiIsFull) {
  ApiLimits limits;
  limits.max_connections = 4;
  limits.max_connections_per_client = 2;
  limits.header_timeout = 20s;
  TestApiServer server(limits);
  const std::string admin = server.token(Role::kCountyAdmin, kCounty);

  // Every slot taken, by two clients.
  auto first = idle_peers("127.0.0.2", server.port(), 2);
  auto second = idle_peers("127.0.0.3", server.port(), 2);

  struct Row {
    const char* target;
    bool token;
    unsigned status;
  };
  const Row rows[] = {
      {"/healthz", false, 200},      {"/metrics", true, 200},
      {"/metrics", false, 401},  // answered by the handler: the token is still needed
      {"/api/v1/outbox", true, 503}, {"/healthz/x", false, 503},
  };
  for (const Row& row : rows) {
    Peer monitor("127.0.0.4", server.port());
    auto r = monitor.get(row.target, row.token ? admin : "");
    ASSERT_TRUE(r) << row.target;
    EXPECT_EQ(r->first, row.status) << row.target << ": " << r->second;
    EXPECT_TRUE(monitor.closed_by_server()) << row.target << ": one answer, then the slot is free";
  }
}

TEST(ApiConnections, IdleConnectionsAreClosedWellBeforeTheRequestTimeout) {
  // The defaults: the request timeout is 30 s, an idle connection goes after header_timeout.
  const ApiLimits defaults;
  ASSERT_LE(defaults.header_timeout, 10s);
  TestApiServer server;

  const auto started = std::chrono::steady_clock::now();
  Peer silent("127.0.0.2", server.port(), 20s);
  Peer after_answer("127.0.0.3", server.port(), 20s);
  auto r = after_answer.get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 200u);
  EXPECT_TRUE(silent.closed_by_server());
  EXPECT_TRUE(after_answer.closed_by_server());
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, defaults.header_timeout - 500ms);
  EXPECT_LT(took, defaults.header_timeout + 3s);

  // A request head that trickles in is cut off the same way.
  ApiLimits quick;
  quick.header_timeout = 300ms;
  TestApiServer fast(quick);
  const auto begun = std::chrono::steady_clock::now();
  test::TestClient trickle(fast.port(), 5s);
  ASSERT_TRUE(trickle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(trickle.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 3s);
}

// The [api] keys reach the server's limits.
TEST(ApiConnections, ApiKeysSetTheLimits) {
  Config config;
  EXPECT_EQ(api_limits(config).max_connections_per_client, 64u);
  EXPECT_EQ(api_limits(config).header_timeout, 5s);
  config.api_max_connections_per_client = 3;
  config.api_header_timeout_seconds = 2;
  EXPECT_EQ(api_limits(config).max_connections_per_client, 3u);
  EXPECT_EQ(api_limits(config).header_timeout, 2s);
}

// config/example.toml's [api] keys are loaded, range-checked and named in their errors.
TEST(ApiConnections, ApiKeysAreValidated) {
  const std::filesystem::path dir = std::filesystem::path(FANGFAN_SOURCE_DIR) / "config";
  std::ifstream in(dir / "example.toml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string example = text.str();
  struct Row {
    const char* line;    // replaces the example's line of that key
    const char* error;   // the key named in the error; empty when valid
    int per_client = 0;  // the loaded values when valid
    int header_seconds = 0;
  };
  const Row rows[] = {
      {"max_connections_per_client = 64", "", 64, 5},
      {"max_connections_per_client = 1", "", 1, 5},
      {"max_connections_per_client = 256", "", 256, 5},
      {"max_connections_per_client = 0", "api.max_connections_per_client"},
      {"max_connections_per_client = 257", "api.max_connections_per_client"},
      {"max_connections_per_client = \"many\"", "api.max_connections_per_client"},
      {"header_timeout_seconds = 1", "", 64, 1},
      {"header_timeout_seconds = 30", "", 64, 30},
      {"header_timeout_seconds = 0", "api.header_timeout_seconds"},
      {"header_timeout_seconds = 31", "api.header_timeout_seconds"},
      {"header_timeout_seconds = 9223372036854775807", "api.header_timeout_seconds"},
  };
  for (const Row& row : rows) {
    const std::string line(row.line);
    const std::string key = line.substr(0, line.find(' '));
    std::string toml = example;
    const std::size_t at = toml.find("\n" + key + " = ");
    ASSERT_NE(at, std::string::npos) << key << " is not in config/example.toml";
    toml.replace(at + 1, toml.find('\n', at + 1) - at - 1, line);
    const ConfigResult r = load_config_text(toml, dir / "example.toml");
    if (std::string(row.error).empty()) {
      const auto* config = std::get_if<std::shared_ptr<const Config>>(&r);
      ASSERT_TRUE(config) << line;
      EXPECT_EQ((*config)->api_max_connections_per_client, row.per_client) << line;
      EXPECT_EQ((*config)->api_header_timeout_seconds, row.header_seconds) << line;
    } else {
      const auto* errors = std::get_if<std::vector<ConfigError>>(&r);
      ASSERT_TRUE(errors) << line << " was accepted";
      ASSERT_EQ(errors->size(), 1u) << line;
      EXPECT_EQ(errors->front().key, row.error) << errors->front().to_string();
    }
  }
}

}  // namespace
}  // namespace fangfan
