// The API as the operator meets it: a real fangfand (port 0, found in its log), the first admin
// token made with `fangfanctl token create` before anything else, then `fangfanctl outbox` and
// plain HTTP against the daemon, and a SIGTERM while a keep-alive connection sits idle.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tests/daemon/county_daemon.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using test::read_file;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::run_program;

// The example county's configuration in a temp folder, listening on an ephemeral loopback port
// (tests/daemon/county_daemon.h); these tests start fangfand themselves, on the real clock.
class ApiDaemon : public test::CountyDaemon {
 protected:
  // The port from the daemon's "api.listening address=127.0.0.1:PORT" log line.
  static std::optional<unsigned short> port_in(const std::string& log) {
    std::smatch m;
    static const std::regex line(R"(api\.listening address=127\.0\.0\.1:([0-9]+))");
    if (!std::regex_search(log, m, line)) return std::nullopt;
    return static_cast<unsigned short>(std::stoi(m[1]));
  }
};

TEST_F(ApiDaemon, FirstTokenThenOutboxOverHttpThenACleanStop) {
  // No daemon yet: the first county admin token comes straight from the database.
  testing::RunResult made =
      ctl({"token", "create", "--role", "county_admin", "--scope", "379901", "--name", "周建国"});
  ASSERT_EQ(made.status, 0) << made.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(made.output, m, std::regex("fft_[0-9a-f]{64}"))) << made.output;
  const std::string token = m.str();

  DaemonProcess d(dir_.path());
  d.start(FANGFAND_PATH, {"--config", config().string()});
  ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
  const auto port = port_in(d.log());
  ASSERT_TRUE(port) << d.log();
  const std::string api = "127.0.0.1:" + std::to_string(*port);

  EXPECT_EQ(test::http_once(*port, http::verb::get, "/healthz").status, 200u);
  test::Reply metrics = test::http_once(*port, http::verb::get, "/metrics", token);
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_THAT(metrics.body, HasSubstr("fangfan_outbox_messages{status=\"pending\"}"));

  testing::RunResult listed = ctl({"outbox", "--api", api, "--token", token, "--json"});
  EXPECT_EQ(listed.status, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("\"messages\""));
  testing::RunResult refused = ctl({"outbox", "--api", api, "--token", token, "retry", "999"});
  EXPECT_EQ(refused.status, 1);
  EXPECT_THAT(refused.output, HasSubstr("no message 999"));

  // A revoked token stops working at once, without restarting the daemon.
  ASSERT_EQ(ctl({"token", "revoke", "1"}).status, 0);
  EXPECT_EQ(test::http_once(*port, http::verb::get, "/metrics", token).status, 401u);

  // SIGTERM with an idle keep-alive connection open: it is closed and the daemon exits quickly.
  test::TestClient idle(*port);
  EXPECT_EQ(idle.request(http::verb::get, "/healthz").status, 200u);
  const auto t0 = std::chrono::steady_clock::now();
  d.signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_server());
  auto status = d.wait_exit(5s);
  ASSERT_TRUE(status) << d.log();
  EXPECT_EQ(*status, 0) << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_THAT(d.log(), HasSubstr("api.stopped"));
  EXPECT_THAT(d.log(), HasSubstr("daemon.stopped clean=true"));
}

TEST_F(ApiDaemon, RefusesToStartWhenTheApiAddressIsTaken) {
  fs::create_directories(dir_.path() / "first");
  DaemonProcess first(dir_.path() / "first");
  first.start(FANGFAND_PATH, {"--config", config().string()});
  ASSERT_TRUE(first.wait_notify("READY=1", 30s)) << first.log();
  const auto port = port_in(first.log());
  ASSERT_TRUE(port);

  std::string text = read_file(config());
  const std::string listen = "listen = \"127.0.0.1:0\"";
  text.replace(text.find(listen), listen.size(),
               "listen = \"127.0.0.1:" + std::to_string(*port) + "\"");
  // Its own SQLite file: a second daemon on the first one's file is refused before it listens
  // (one daemon per SQLite file, the next test).
  const std::string url = "url = \"sqlite3://state/fangfan.db\"";
  ASSERT_NE(text.find(url), std::string::npos);
  text.replace(text.find(url), url.size(), "url = \"sqlite3://state/second.db\"");
  std::ofstream(dir_.path() / "second.toml") << text;
  testing::RunResult second =
      run_program(FANGFAND_PATH, {"--config", (dir_.path() / "second.toml").string()});
  EXPECT_EQ(second.status, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("api.listen_failed"));
  EXPECT_THAT(second.output, HasSubstr("127.0.0.1:" + std::to_string(*port)));

  first.signal(SIGTERM);
  EXPECT_EQ(first.wait_exit(5s), 0);
}

// Several daemons share a database only on PostgreSQL (issue 15): a second fangfand on the same
// SQLite file says so and exits 1 before it touches the file, while the first carries on.
TEST_F(ApiDaemon, RefusesASecondDaemonOnTheSameSqliteFile) {
  fs::create_directories(dir_.path() / "first");
  DaemonProcess first(dir_.path() / "first");
  first.start(FANGFAND_PATH, {"--config", config().string()});
  ASSERT_TRUE(first.wait_notify("READY=1", 30s)) << first.log();
  testing::RunResult second = run_program(FANGFAND_PATH, {"--config", config().string()});
  EXPECT_EQ(second.status, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("storage.in_use"));
  EXPECT_THAT(second.output, HasSubstr("SQLite allows one daemon per file"));
  EXPECT_TRUE(first.running());
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait_exit(5s), 0);
}

}  // namespace
}  // namespace fangfan
