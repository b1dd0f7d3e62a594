// The HTTP client against the loopback fake: bounded concurrency, keep-alive reuse, connection
// limits, timeouts, refused and dropped connections as values, shutdown and cancellation; on a
// worker thread of its own and on a loop it is given (the daemon's). Each runs on both of the
// client's paths: "http://" URLs go out on the plain path (plain_http.h), the same URLs written
// "HTTP://" (which the plain path leaves alone) through curl, as https:// ones do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/http/http_text.h"
#include "tests/adapters/channels_test_util.h"
#include "tests/support/fake_providers.h"

namespace fangfan {
namespace {

namespace asio = boost::asio;
using testing::FakeAnswer;
using testing::FakeProviders;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_coro;
using Transport = HttpResponse::Transport;

// The scheme the URLs of the running test are written with (the path it tests); set by the
// parameterised fixtures below.
std::string scheme = "http://";

// The fake's "http://127.0.0.1:PORT", written with `scheme`.
std::string base_url(const FakeProviders& fake) {
  return scheme + fake.base_url().substr(std::string_view("http://").size());
}

class HttpClientPath : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { scheme = GetParam(); }
  void TearDown() override { scheme = "http://"; }
};
class HttpClientOnALoopPath : public HttpClientPath {};
INSTANTIATE_TEST_SUITE_P(PlainAndCurl, HttpClientPath, ::testing::Values("http://", "HTTP://"));
INSTANTIATE_TEST_SUITE_P(PlainAndCurl, HttpClientOnALoopPath,
                         ::testing::Values("http://", "HTTP://"));

HttpRequest robot_request(const FakeProviders& fake,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(fake) + "/cgi-bin/webhook/send?key=" + fake.secrets().robot_keys[0];
  r.headers = {{"Content-Type", "application/json"}};
  r.body = R"({"msgtype":"text","text":{"content":"hello"}})";
  r.timeout = timeout;
  return r;
}

// A received header line is kept as HttpResponse keeps it (name in lower case, value trimmed),
// written over the pair it is given; a line without a colon is not a header.
TEST(HttpText, HeaderLinesKeepTheNameInLowerCaseAndTheValueTrimmed) {
  std::pair<std::string, std::string> h{"a-name-left-from-before-longer-than-sso", "old value"};
  EXPECT_TRUE(http_detail::parse_header_line("Retry-After:  7 \r\n", h));
  EXPECT_EQ(h.first, "retry-after");
  EXPECT_EQ(h.second, "7");
  EXPECT_TRUE(http_detail::parse_header_line("X-Empty:\r\n", h));
  EXPECT_EQ(h.first, "x-empty");
  EXPECT_EQ(h.second, "");
  EXPECT_TRUE(http_detail::parse_header_line("Location: http://a/b?c=d:e\r\n", h));
  EXPECT_EQ(h.first, "location");
  EXPECT_EQ(h.second, "http://a/b?c=d:e");
  EXPECT_FALSE(http_detail::parse_header_line("\r\n", h));
}

TEST_P(HttpClientPath, ReusesOneKeptAliveConnection) {
  FakeProviders fake;
  HttpClient http;
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = run_coro(http.send(robot_request(fake)));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr("\"errcode\":0"));
    EXPECT_EQ(r.header("Content-Type"), "application/json");
  }
  EXPECT_EQ(fake.connections(), 1);
  EXPECT_EQ(http.connections_opened(), 1);
}

// Easy handles are reused without curl_easy_reset (their shared options set once): each
// request must still go out with its own method, body and headers, none left over from the
// request the handle carried before.
TEST_P(HttpClientPath, AReusedHandleSendsEachRequestsOwnMethodBodyAndHeaders) {
  FakeProviders fake;
  fake.publish("/dept/a", "x,y");
  HttpClientOptions one;
  one.max_in_flight = 1;  // one easy handle, taken up again by every request
  HttpClient http(one);
  auto dept = [&fake](std::string method, std::string body) {
    HttpRequest r;
    r.method = std::move(method);
    r.url = base_url(fake) + "/dept/a";
    r.body = std::move(body);
    return r;
  };
  const std::vector<HttpRequest> sent{robot_request(fake), dept("GET", ""), dept("PUT", "put-body"),
                                      dept("GET", ""), robot_request(fake)};
  for (const auto& r : sent) {
    HttpResponse a = run_coro(http.send(r));
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.status, 200) << r.method << " " << a.body;
  }
  const auto got = fake.requests();
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].method, sent[i].method) << i;
    EXPECT_EQ(got[i].body, sent[i].body) << i;
    if (sent[i].method == "GET") {  // nothing of the POST or PUT before it
      EXPECT_EQ(got[i].headers.count("content-type"), 0u) << i;
      EXPECT_EQ(got[i].headers.count("content-length"), 0u) << i;
    } else if (!sent[i].headers.empty()) {
      EXPECT_EQ(got[i].headers.at("content-type"), "application/json") << i;
    }
  }
  EXPECT_EQ(http.connections_opened(), 1);
}

// Kept-alive sockets stay registered with epoll between requests (parked). A connection the
// server drops is closed by curl and its number is usually given to the next connection at once:
// that one must be watched anew, or its answer would never be read (each send would time out).
TEST_P(HttpClientPath, ANewConnectionOnADroppedOnesSocketNumberIsWatched) {
  FakeProviders fake;
  HttpClientOptions one;
  one.max_in_flight = 1;
  HttpClient http(one);
  for (int i = 0; i < 4; ++i) {
    fake.script("wechat_robot", FakeAnswer::kDrop);
    // On a reused connection the request dropped is sent again on a new one (once).
    HttpResponse dropped = run_coro(http.send(robot_request(fake, std::chrono::seconds(2))));
    EXPECT_TRUE(dropped.ok() || dropped.transport == Transport::kDropped) << dropped.error;
    for (int j = 0; j < 2; ++j) {
      HttpResponse r = run_coro(http.send(robot_request(fake, std::chrono::seconds(2))));
      ASSERT_TRUE(r.ok()) << i << " " << j << ": " << r.error;
      EXPECT_EQ(r.status, 200);
    }
  }
  EXPECT_EQ(fake.connections(), 5);
}

// The bench's fake (count_only) checks and answers every request as before but keeps none:
// each row is a fake in one mode, a checked and a refused request through the same client.
TEST(FakeProvidersCounting, CountOnlyAnswersAndCountsEveryRequestButKeepsNone) {
  struct Case {
    bool count_only;
    std::size_t kept;
  };
  for (const Case c : {Case{false, 2}, Case{true, 0}}) {
    SCOPED_TRACE(c.count_only);
    FakeProviders fake;
    if (c.count_only) fake.count_only();
    HttpClient http;
    HttpResponse good = run_coro(http.send(robot_request(fake)));
    HttpRequest bad_request = robot_request(fake);
    bad_request.url = base_url(fake) + "/cgi-bin/webhook/send?key=unknown";
    HttpResponse bad = run_coro(http.send(bad_request));
    ASSERT_TRUE(good.ok() && bad.ok());
    EXPECT_THAT(good.body, HasSubstr("\"errcode\":0"));
    EXPECT_THAT(bad.body, HasSubstr("93000"));
    EXPECT_EQ(fake.request_count(), 2);
    EXPECT_EQ(fake.accepted_count(), 1);
    EXPECT_EQ(fake.requests().size(), c.kept);
  }
}

TEST_P(HttpClientPath, BoundsRequestsInFlight) {
  FakeProviders fake;
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(200));
  HttpClientOptions options;
  options.max_in_flight = 3;
  options.max_host_connections = 8;
  options.max_total_connections = 8;
  HttpClient http(options);
  asio::io_context io;
  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 10; ++i) {
    answers.push_back(asio::co_spawn(io, http.send(robot_request(fake)), asio::use_future));
  }
  io.run();
  for (auto& a : answers) {
    HttpResponse r = a.get();
    EXPECT_TRUE(r.ok()) << r.error;
  }
  EXPECT_EQ(fake.peak_in_flight(), 3);
  EXPECT_EQ(http.peak_in_flight(), 3);
  EXPECT_LE(fake.connections(), 3);
  EXPECT_EQ(fake.accepted("wechat_robot").size(), 10u);
}

TEST_P(HttpClientPath, TransportFailuresAreValuesWithoutSecrets) {
  FakeProviders fake;
  HttpClient http;
  // Refused: a port nobody listens on (the fake's, after it is gone).
  unsigned short dead_port = 0;
  {
    FakeProviders gone;
    dead_port = gone.port();
  }
  HttpRequest refused = robot_request(fake);
  refused.url = scheme + "127.0.0.1:" + std::to_string(dead_port) + "/cgi-bin/webhook/send?key=K1";
  HttpResponse r = run_coro(http.send(refused));
  EXPECT_EQ(r.transport, Transport::kConnect);
  EXPECT_THAT(r.error, Not(HasSubstr("K1")));
  EXPECT_THAT(r.error, HasSubstr("127.0.0.1"));

  fake.script("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(2000));
  r = run_coro(http.send(robot_request(fake, std::chrono::milliseconds(300))));
  EXPECT_EQ(r.transport, Transport::kTimeout);
  EXPECT_THAT(r.error, Not(HasSubstr(fake.secrets().robot_keys[0])));

  fake.script("wechat_robot", FakeAnswer::kDrop);
  r = run_coro(http.send(robot_request(fake)));
  EXPECT_EQ(r.transport, Transport::kDropped) << r.error;

  fake.script("wechat_robot", FakeAnswer::kTooManyRequests);
  r = run_coro(http.send(robot_request(fake)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "7");
}

TEST_P(HttpClientPath, ShutdownAnswersPendingRequests) {
  FakeProviders fake;
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(3000));
  HttpClient http;
  asio::io_context io;
  auto pending = asio::co_spawn(io, http.send(robot_request(fake)), asio::use_future);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    http.shutdown();
  });
  const auto start = std::chrono::steady_clock::now();
  io.run();
  stopper.join();
  HttpResponse r = pending.get();
  EXPECT_EQ(r.transport, Transport::kShutdown);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // After shutdown: an answer at once, nothing sent.
  r = run_coro(http.send(robot_request(fake)));
  EXPECT_EQ(r.transport, Transport::kShutdown);
}

TEST_P(HttpClientPath, CancellationTakesTheRequestOffTheWire) {
  using namespace asio::experimental::awaitable_operators;
  FakeProviders fake;
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(3000));
  HttpClient http;
  const auto start = std::chrono::steady_clock::now();
  auto winner = run_coro([&]() -> asio::awaitable<int> {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
    auto v = co_await (http.send(robot_request(fake)) || timer.async_wait(asio::use_awaitable));
    co_return int(v.index());
  }());
  EXPECT_EQ(winner, 1);  // the timer won; the request was cancelled
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// A client on a loop (as the daemon runs it): `coro` on that loop until the loop has nothing
// left to do, which an idle client must allow.
template <class T>
T on_loop(asio::io_context& io, asio::awaitable<T> coro) {
  io.restart();
  auto f = asio::co_spawn(io, std::move(coro), asio::use_future);
  io.run();
  return f.get();
}

TEST_P(HttpClientOnALoopPath, AnswersComeBackOnTheLoopsThreadWithinTheBoundAndKeptAlive) {
  FakeProviders fake;
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(100));
  asio::io_context io(1);
  HttpClientOptions options;
  options.max_in_flight = 3;
  options.max_host_connections = 8;
  options.max_total_connections = 8;
  HttpClient http(io, options);
  std::vector<std::future<std::pair<HttpResponse, std::thread::id>>> answers;
  for (int i = 0; i < 10; ++i) {
    auto one = [&]() -> asio::awaitable<std::pair<HttpResponse, std::thread::id>> {
      HttpResponse r = co_await http.send(robot_request(fake));
      co_return std::pair{std::move(r), std::this_thread::get_id()};
    };
    answers.push_back(asio::co_spawn(io, one(), asio::use_future));
  }
  io.run();  // returns: an idle client holds no work on the loop
  for (auto& a : answers) {
    auto [r, thread] = a.get();
    EXPECT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(thread, std::this_thread::get_id());
  }
  EXPECT_EQ(fake.peak_in_flight(), 3);
  EXPECT_EQ(http.peak_in_flight(), 3);
  EXPECT_EQ(fake.accepted("wechat_robot").size(), 10u);
  // The connections opened stay alive for later requests, after the loop went idle in between.
  fake.set_default("wechat_robot", FakeAnswer::kSuccess);
  const int opened = fake.connections();
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = on_loop(io, http.send(robot_request(fake)));
    ASSERT_TRUE(r.ok()) << r.error;
  }
  EXPECT_EQ(fake.connections(), opened);
}

// curl's timer runs as an Asio timer on the loop: a request's timeout, and a cancelled request
// leaves the client able to send the next one.
// Running requests leave the client's running set by their place in it, the last one taking the
// place: one cancelled while others run (the first of three, whose place the third takes) leaves
// each of the others its own answer.
TEST_P(HttpClientOnALoopPath, CancellingOneOfSeveralRunningLeavesTheOthersTheirOwnAnswers) {
  using namespace asio::experimental::awaitable_operators;
  FakeProviders fake;
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(300));
  asio::io_context io(1);
  HttpClientOptions options;
  options.max_in_flight = 4;
  options.max_host_connections = 4;
  options.max_total_connections = 4;
  HttpClient http(io, options);
  const auto got = on_loop(io, [&]() -> asio::awaitable<std::vector<std::string>> {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
    // The second waits for its answer (200); the third asks for a path the fake does not know
    // (404): a mixed-up place would hand one's answer to the other.
    HttpRequest second = robot_request(fake), third = robot_request(fake);
    third.url = base_url(fake) + "/no/such/path";
    auto first_or_timer = http.send(robot_request(fake)) || timer.async_wait(asio::use_awaitable);
    auto all =
        std::move(first_or_timer) && http.send(std::move(second)) && http.send(std::move(third));
    auto [first, two, three] = co_await std::move(all);
    std::vector<std::string> out;
    out.push_back(first.index() == 1 ? "cancelled" : "answered");
    for (const HttpResponse* r : {&two, &three}) {
      out.push_back(r->ok() ? std::to_string(r->status) + " " + r->body : r->error);
    }
    co_return out;
  }());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "cancelled");
  EXPECT_THAT(got[1], ::testing::StartsWith("200 "));
  EXPECT_THAT(got[2], ::testing::StartsWith("404 "));
}

TEST_P(HttpClientOnALoopPath, TimesOutCancelsAndGoesOn) {
  using namespace asio::experimental::awaitable_operators;
  FakeProviders fake;
  asio::io_context io(1);
  HttpClient http(io, {});
  fake.script("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(2000));
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = on_loop(io, http.send(robot_request(fake, std::chrono::milliseconds(300))));
  EXPECT_EQ(r.transport, Transport::kTimeout) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));

  fake.script("wechat_robot", FakeAnswer::kDelay);
  start = std::chrono::steady_clock::now();
  auto winner = on_loop(io, [&]() -> asio::awaitable<int> {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
    auto v = co_await (http.send(robot_request(fake)) || timer.async_wait(asio::use_awaitable));
    co_return int(v.index());
  }());
  EXPECT_EQ(winner, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));

  r = on_loop(io, http.send(robot_request(fake)));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
}

// A dropped connection's socket number given to the next connection is watched anew on a loop
// too (see ANewConnectionOnADroppedOnesSocketNumberIsWatched).
TEST_P(HttpClientOnALoopPath, ANewConnectionOnADroppedOnesSocketNumberIsWatched) {
  FakeProviders fake;
  asio::io_context io(1);
  HttpClientOptions one;
  one.max_in_flight = 1;
  HttpClient http(io, one);
  for (int i = 0; i < 4; ++i) {
    fake.script("wechat_robot", FakeAnswer::kDrop);
    HttpResponse dropped = on_loop(io, http.send(robot_request(fake, std::chrono::seconds(2))));
    EXPECT_TRUE(dropped.ok() || dropped.transport == Transport::kDropped) << dropped.error;
    for (int j = 0; j < 2; ++j) {
      HttpResponse r = on_loop(io, http.send(robot_request(fake, std::chrono::seconds(2))));
      ASSERT_TRUE(r.ok()) << i << " " << j << ": " << r.error;
    }
  }
  EXPECT_EQ(fake.connections(), 5);
}

// Shut down on the loop's thread (as the daemon does, or from a task on the loop): what is on
// the wire is answered kShutdown at once, later sends too. Sent from another thread's
// coroutine, a request goes over to the loop and its answer comes back.
TEST_P(HttpClientOnALoopPath, SendsFromAnotherThreadAndShutsDownOnTheLoop) {
  FakeProviders fake;
  asio::io_context io(1);
  HttpClient http(io, {});
  {
    auto guard = asio::make_work_guard(io);
    std::thread loop([&] { io.run(); });
    HttpResponse r = run_coro(http.send(robot_request(fake)));  // another io_context, thread
    guard.reset();
    loop.join();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
  }
  fake.set_default("wechat_robot", FakeAnswer::kDelay);
  fake.set_delay(std::chrono::milliseconds(3000));
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r = on_loop(io, [&]() -> asio::awaitable<HttpResponse> {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(200));
    timer.async_wait([&](boost::system::error_code) { http.shutdown(); });
    co_return co_await http.send(robot_request(fake));
  }());
  EXPECT_EQ(r.transport, Transport::kShutdown);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  r = on_loop(io, http.send(robot_request(fake)));
  EXPECT_EQ(r.transport, Transport::kShutdown);
}

// Each request goes out on its path: a plain server sees no Accept-Encoding from the plain path
// (curl asks for compressed answers), and an https:// URL goes to curl, whose TLS handshake the
// plain fake cannot answer: a failure, with no request seen.
TEST(HttpClient, HttpUrlsGoOutPlainAndHttpsOnesThroughCurl) {
  FakeProviders fake;
  HttpClient http;
  HttpRequest plain = robot_request(fake);
  HttpRequest curl = robot_request(fake);
  curl.url = "HTTP://" + curl.url.substr(std::string_view("http://").size());
  for (const HttpRequest* r : {&plain, &curl}) {
    HttpResponse a = run_coro(http.send(*r));
    ASSERT_TRUE(a.ok()) << a.error;
    EXPECT_EQ(a.status, 200);
  }
  auto got = fake.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].headers.count("accept-encoding"), 0u);
  EXPECT_EQ(got[1].headers.count("accept-encoding"), 1u);
  EXPECT_EQ(got[0].headers.at("host"), got[1].headers.at("host"));
  EXPECT_EQ(got[0].headers.at("user-agent"), "fangfan");
  EXPECT_EQ(got[0].headers.at("content-length"), got[1].headers.at("content-length"));

  HttpRequest tls = robot_request(fake, std::chrono::seconds(2));
  tls.url = "https://" + tls.url.substr(std::string_view("http://").size());
  HttpResponse r = run_coro(http.send(tls));
  EXPECT_EQ(r.transport, Transport::kOther) << r.error;
  EXPECT_THAT(r.error, HasSubstr("https://127.0.0.1:"));
  EXPECT_THAT(r.error, Not(HasSubstr(fake.secrets().robot_keys[0])));
  EXPECT_EQ(fake.requests().size(), 2u);
}

// A gateway written by hand: on its n-th connection it answers each request with the next of
// `replies[n]` (raw bytes), then closes that connection. What the fake providers never send:
// interim 1xx replies, chunked bodies, a close between a kept-alive connection's requests.
class RawGateway {
 public:
  using Replies = std::vector<std::vector<std::string>>;  // per connection, per request
  explicit RawGateway(Replies replies)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), replies_(std::move(replies)) {
    thread_ = std::thread([this] {
      for (const auto& on_connection : replies_) serve(on_connection);
    });
  }
  // A test that stopped early leaves the thread waiting for a connection: one empty connection
  // per connection it may still wait for ends each wait (the read finds the end of the stream).
  ~RawGateway() {
    for (std::size_t i = 0; i < replies_.size(); ++i) {
      asio::ip::tcp::socket knock(io_);
      boost::system::error_code ignored;
      knock.connect(acceptor_.local_endpoint(), ignored);
    }
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  // The request heads it read, in order.
  std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  void serve(const std::vector<std::string>& replies) {
    asio::ip::tcp::socket s = acceptor_.accept();
    std::string buffer;
    for (const std::string& reply : replies) {
      std::size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        char chunk[1024];
        boost::system::error_code ec;
        const std::size_t n = s.read_some(asio::buffer(chunk), ec);
        if (ec) return;
        buffer.append(chunk, n);
      }
      {
        std::lock_guard lock(mutex_);
        heads_.push_back(buffer.substr(0, end));
      }
      buffer.erase(0, end + 4);  // GET requests: no body
      asio::write(s, asio::buffer(reply));
    }
    boost::system::error_code ignored;
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  Replies replies_;
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

// Replies the fakes never give, read whole on both paths: an interim "100 Continue" before the
// answer, a chunked body, and then a second answer on the same (kept-alive) connection; the
// host is a name ("localhost"), resolved, not an address.
TEST_P(HttpClientPath, ReadsInterimAndChunkedRepliesFromANamedHost) {
  RawGateway gateway(RawGateway::Replies{std::vector<std::string>{
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Trace: Ab1\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok"}});
  HttpClient http;
  HttpRequest r;
  r.url = scheme + "localhost:" + std::to_string(gateway.port()) + "/status?id=1";
  HttpResponse first = run_coro(http.send(r));
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello world");
  EXPECT_EQ(first.header("x-trace"), "Ab1");
  HttpResponse second = run_coro(http.send(r));
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.status, 202);
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(http.connections_opened(), 1);
  const auto heads = gateway.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_THAT(heads[0], ::testing::StartsWith("GET /status?id=1 HTTP/1.1\r\n"));
  EXPECT_THAT(heads[0], HasSubstr("localhost:" + std::to_string(gateway.port())));
}

// A gateway that closes a kept-alive connection between two requests (its idle timeout): the
// second request, sent on the connection the client still holds, is sent again once on a new
// connection, and its answer is the one of that new connection.
TEST_P(HttpClientPath, ARequestOnAConnectionTheGatewayClosedGoesOnANewOne) {
  RawGateway gateway(RawGateway::Replies{{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"},
                                         {"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"}});
  HttpClient http;
  HttpRequest r;
  r.url = scheme + "127.0.0.1:" + std::to_string(gateway.port()) + "/status";
  HttpResponse first = run_coro(http.send(r));
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.body, "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the gateway's close arrives
  HttpResponse second = run_coro(http.send(r));
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.body, "second");
  EXPECT_EQ(http.connections_opened(), 2);
  EXPECT_EQ(gateway.heads().size(), 2u);
}

// At most max_host_connections to one host; with max_total_connections reached, a request to
// another host closes an idle connection to make room (it does not wait for ever).
TEST_P(HttpClientPath, KeepsToTheConnectionLimits) {
  FakeProviders a;
  FakeProviders b;
  a.set_default("wechat_robot", FakeAnswer::kDelay);
  a.set_delay(std::chrono::milliseconds(100));
  HttpClientOptions options;
  options.max_in_flight = 6;
  options.max_host_connections = 2;
  options.max_total_connections = 2;
  HttpClient http(options);
  asio::io_context io;
  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 6; ++i) {
    answers.push_back(asio::co_spawn(io, http.send(robot_request(a)), asio::use_future));
  }
  io.run();
  for (auto& f : answers) {
    HttpResponse r = f.get();
    EXPECT_TRUE(r.ok()) << r.error;
  }
  EXPECT_LE(a.connections(), 2);
  EXPECT_LE(a.peak_in_flight(), 2);
  EXPECT_EQ(a.accepted("wechat_robot").size(), 6u);
  // Two idle connections to `a` fill the total: `b` gets one by closing one of them, and `a`
  // its other one again.
  a.set_default("wechat_robot", FakeAnswer::kSuccess);
  for (FakeProviders* to : {&b, &b, &a}) {
    HttpResponse r = run_coro(http.send(robot_request(*to)));
    ASSERT_TRUE(r.ok()) << r.error;
  }
  EXPECT_EQ(b.connections(), 1);
  EXPECT_LE(a.connections(), 2);
}

}  // namespace
}  // namespace fangfan
