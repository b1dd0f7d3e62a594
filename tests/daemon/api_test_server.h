// A real HttpApi for tests: its own io_context on its own thread, an ephemeral
// loopback port, a fresh SQLite database in a temp folder, the example county's
// configuration, its working-day calendar and a simulated clock. Plus a small blocking HTTP client
// that can also send raw bytes, for the bad-input tests.
//
// Thread-safety: the server runs on its thread; tests talk to it only through
// sockets, storage sessions of their own (session()) and the thread-safe
// metrics/health objects. Routes are added by `setup` before the server runs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "daemon/api/http_api.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan::test {

// A fresh folder under the system temp folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The example configuration (config/example.toml) with its database in `dir`
// and the calendar folder of the source tree.
std::shared_ptr<const Config> example_config(const std::filesystem::path& dir);

// For tests whose subject is not department feeds or lists (they count every timer and
// message): the example's configuration text without its [[feeds]] sources, [[lists]] and their
// schedules, or the loaded configuration without them.
std::string without_feeds(std::string toml);
std::shared_ptr<const Config> without_feeds(std::shared_ptr<const Config> config);

class TestApiServer {
 public:
  explicit TestApiServer(ApiLimits limits = {}, std::function<void(HttpApi&)> setup = {});
  ~TestApiServer();  // stops the server and waits for it

  unsigned short port() const { return port_; }
  const Config& config() const { return *config_; }
  HttpApi& api() { return *api_; }
  SimulatedClock& clock() { return clock_; }
  std::unique_ptr<soci::session> session() const { return db_->open_session(); }
  int outbox_wakeups() const { return outbox_wakeups_.load(); }
  int case_write_wakeups() const { return case_write_wakeups_.load(); }  // services().case_written

  // A fresh token in the database; returns its secret.
  std::string token(Role role, const std::string& scope, const std::string& holder = "测试用户");

  // Starts the graceful stop and waits until run() returned (true) or `timeout` passed.
  bool stop_and_wait(std::chrono::milliseconds timeout);

 private:
  TempDir dir_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<const WorkingDayCalendar> calendar_;  // of the source tree
  SimulatedClock clock_;
  std::shared_ptr<Database> db_;
  std::unique_ptr<StorageExecutor> storage_;
  // Without deadlines (the API tests are not about them): test_case_writer.h's no_deadlines().
  std::unique_ptr<CaseWriter> case_writer_;
  boost::asio::io_context io_{1};
  std::unique_ptr<HttpApi> api_;
  std::atomic<int> outbox_wakeups_{0};
  std::atomic<int> case_write_wakeups_{0};
  std::atomic<bool> finished_{false};
  unsigned short port_ = 0;
  std::thread thread_;
};

struct Reply {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
  bool keep_alive = false;

  boost::json::value json() const;           // the body parsed; null when it is not JSON
  std::string field(const char* key) const;  // a top-level string field of the JSON body
};

// One blocking TCP connection to the server. Reads give up after `timeout`.
class TestClient {
 public:
  explicit TestClient(unsigned short port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends `raw` as it is; false when the connection failed.
  bool send(const std::string& raw);
  // One request on this (keep-alive) connection.
  Reply request(boost::beast::http::verb method, const std::string& target,
                const std::string& token = "", const std::string& body = "");
  // The next answer; nullopt when the server closed the connection (or the read failed).
  std::optional<Reply> read_reply();
  // True when the server closes the connection within the read timeout (EOF or reset).
  bool closed_by_server();

  // Shuts down the sending side (the server then sees end of stream).
  void shutdown_send();

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;  // bytes read but not yet parsed (pipelined answers)
  std::chrono::milliseconds timeout_;
};

// One request on a fresh connection.
Reply http_once(unsigned short port, boost::beast::http::verb method, const std::string& target,
                const std::string& token = "", const std::string& body = "");

}  // namespace fangfan::test
