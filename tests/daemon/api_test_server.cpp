// GCC 12.2 misreports Asio's coroutine frames (class-specific operator new/delete) as
// -Wmismatched-new-delete at -O2 (GCC bug 109224, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "tests/daemon/api_test_server.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "adapters/calendar/calendar_files.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/token_store.h"
#include "tests/adapters/test_case_writer.h"

namespace fangfan::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::ip::tcp;
using namespace std::chrono_literals;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("example.toml has no '" + from + "'");
  text.replace(at, from.size(), to);
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = fs::temp_directory_path() /
          ("fangfan-api-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::shared_ptr<const Config> example_config(const fs::path& dir) {
  const fs::path source = FANGFAN_SOURCE_DIR;
  std::string text = read_text(source / "config/example.toml");
  replace_once(text, "url = \"sqlite3://state/fangfan.db\"",
               "url = \"sqlite3://" + (dir / "fangfan.db").string() + "\"");
  replace_once(text, "dir = \"calendar\"",
               "dir = \"" + (source / "config/calendar").string() + "\"");
  auto loaded = load_config_text(text, dir / "fangfan.toml");
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    throw std::runtime_error("example config: " + errors->front().to_string());
  }
  return std::get<std::shared_ptr<const Config>>(std::move(loaded));
}

std::string without_feeds(std::string toml) {
  // Blocks begin at a table header; a [[feeds]] block (with its [[feeds.rules]]) and a schedule
  // of kind "feed" are left out, everything else is kept as written.
  std::vector<std::string> blocks(1);
  std::istringstream in(toml);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '[') blocks.emplace_back();
    blocks.back() += line + "\n";
  }
  std::string out;
  for (const std::string& b : blocks) {
    if (b.rfind("[[feeds", 0) == 0 || b.rfind("[feeds", 0) == 0) continue;
    if (b.rfind("[[lists]]", 0) == 0) continue;  // department lists (issue 13) as well
    if (b.rfind("[[rules.schedules]]", 0) == 0 &&
        (b.find("kind = \"feed\"") != std::string::npos ||
         b.find("kind = \"list\"") != std::string::npos ||
         b.find("kind = \"report\"") != std::string::npos)) {  // the monthly report too
      continue;
    }
    out += b;
  }
  return out;
}

std::shared_ptr<const Config> without_feeds(std::shared_ptr<const Config> config) {
  auto copy = std::make_shared<Config>(*config);
  copy->rules.feeds.sources.clear();
  copy->rules.lists.lists.clear();
  copy->rules.monthly_reports.reports.clear();
  std::erase_if(copy->rules.schedules, [](const Schedule& s) {
    return s.kind == "feed" || s.kind == "list" || s.kind == "report";
  });
  return copy;
}

// ---- TestApiServer

TestApiServer::TestApiServer(ApiLimits limits, std::function<void(HttpApi&)> setup)
    : config_(example_config(dir_.path())),
      clock_(china_time(Date{std::chrono::year(2025) / std::chrono::March / 3},
                        std::chrono::hours(9))) {
  db_ = std::make_shared<Database>(Database::open(config_->storage_url));
  migrate(*db_, clock_.now());
  storage_ = std::make_unique<StorageExecutor>(db_, 2, widen_case_writer_cache);
  case_writer_ = test_case_writer(clock_, no_deadlines());
  api_ = std::make_unique<HttpApi>(
      io_.get_executor(), *storage_, clock_, [c = config_] { return c; },
      [this] { ++outbox_wakeups_; }, *case_writer_, limits);
  auto calendar = load_calendar_dir(config_->calendar_dir);
  if (!calendar.calendar) throw std::runtime_error("the calendar of the source tree did not load");
  calendar_ = std::make_shared<const WorkingDayCalendar>(std::move(*calendar.calendar));
  api_->services().calendar = [c = calendar_] { return c; };
  api_->services().case_written = [this] { ++case_write_wakeups_; };
  if (setup) setup(*api_);
  if (auto error = api_->listen("127.0.0.1:0")) throw std::runtime_error(*error);
  port_ = api_->local_endpoint().port();
  asio::co_spawn(io_, api_->run(), [this](std::exception_ptr) { finished_ = true; });
  thread_ = std::thread([this] { io_.run(); });
}

TestApiServer::~TestApiServer() {
  if (!stop_and_wait(10s)) io_.stop();
  thread_.join();
  storage_->join();
  api_.reset();
}

bool TestApiServer::stop_and_wait(std::chrono::milliseconds timeout) {
  api_->stop();
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!finished_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  return finished_;
}

std::string TestApiServer::token(Role role, const std::string& scope, const std::string& holder) {
  auto s = session();
  return create_api_token(*s, {role_name(role), scope, holder, clock_.now()}).secret;
}

// ---- Reply

boost::json::value Reply::json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

std::string Reply::field(const char* key) const {
  const boost::json::value v = json();
  if (!v.is_object()) return "";
  const boost::json::value* f = v.get_object().if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

// ---- TestClient

TestClient::TestClient(unsigned short port, std::chrono::milliseconds timeout)
    : stream_(io_), timeout_(timeout) {
  beast::error_code ec;
  stream_.expires_after(timeout_);
  stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                        [&](beast::error_code e) { ec = e; });
  io_.run();
  io_.restart();
  if (ec) throw std::runtime_error("connect to the test server: " + ec.message());
}

bool TestClient::send(const std::string& raw) {
  beast::error_code ec;
  stream_.expires_after(timeout_);
  asio::async_write(stream_, asio::buffer(raw), [&](beast::error_code e, std::size_t) { ec = e; });
  io_.run();
  io_.restart();
  return !ec;
}

void TestClient::shutdown_send() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

Reply TestClient::request(http::verb method, const std::string& target, const std::string& token,
                          const std::string& body) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();
  std::ostringstream raw;
  raw << req;
  if (!send(raw.str())) return Reply{};
  return read_reply().value_or(Reply{});
}

std::optional<Reply> TestClient::read_reply() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  stream_.expires_after(timeout_);
  http::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  io_.run();
  io_.restart();
  if (ec) return std::nullopt;
  auto res = parser.release();
  Reply r;
  r.status = res.result_int();
  r.body = res.body();
  r.headers = res.base();
  r.keep_alive = res.keep_alive();
  return r;
}

bool TestClient::closed_by_server() {
  std::array<char, 4096> sink;
  stream_.expires_after(timeout_);
  for (;;) {
    beast::error_code ec;
    stream_.async_read_some(asio::buffer(sink), [&](beast::error_code e, std::size_t) { ec = e; });
    io_.run();
    io_.restart();
    if (!ec) continue;  // e.g. the rest of an answer: keep reading until the close
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
}

Reply http_once(unsigned short port, http::verb method, const std::string& target,
                const std::string& token, const std::string& body) {
  TestClient c(port);
  return c.request(method, target, token, body);
}

}  // namespace fangfan::test
