// fangfand as a process, started the way systemd starts it: readiness, reload,
// graceful stop, the watchdog, refusals at start, and the unit file itself.
#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "adapters/storage/database.h"
#include "tests/support/daemon_process.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::DaemonProcess;
using testing::run_program;

const fs::path kFangfand = FANGFAND_PATH;
const fs::path kSource = FANGFAN_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// A copy of the example config folder in a fresh temp dir, as an operator would make one.
class ConfigFolder {
 public:
  ConfigFolder() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("fangfan-proc-" + std::string(info->name()) + "-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy(kSource / "config/calendar", dir_ / "calendar", fs::copy_options::recursive);
    // Port 0: tests run in parallel, each daemon on an ephemeral loopback port.
    std::string text = read_file(kSource / "config/example.toml");
    const std::string listen = "listen = \"127.0.0.1:8470\"";
    text.replace(text.find(listen), listen.size(), "listen = \"127.0.0.1:0\"");
    write_file(dir_ / "fangfan.toml", text);
  }
  ~ConfigFolder() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }
  fs::path config() const { return dir_ / "fangfan.toml"; }

 private:
  fs::path dir_;
};

TEST(Process, StartsReportsReadyReloadsAndStopsCleanly) {
  ConfigFolder folder;
  DaemonProcess d(folder.dir());
  d.start(kFangfand, {"--config", folder.config().string()});
  auto ready = d.wait_notify("READY=1", 30s);
  ASSERT_TRUE(ready) << d.log();
  // The database exists once READY=1 is sent: migrations ran first.
  EXPECT_TRUE(fs::exists(folder.dir() / "state/fangfan.db"));

  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_notify("RELOADING=1", 10s)) << d.log();
  ASSERT_TRUE(d.wait_notify("READY=1", 10s)) << d.log();
  EXPECT_NE(d.log().find("config.reloaded"), std::string::npos) << d.log();

  const auto t0 = std::chrono::steady_clock::now();
  d.signal(SIGTERM);
  EXPECT_TRUE(d.wait_notify("STOPPING=1", 5s)) << d.log();
  auto status = d.wait_exit(5s);
  ASSERT_TRUE(status) << "fangfand did not exit within 5 s of SIGTERM\n" << d.log();
  EXPECT_EQ(*status, 0) << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_NE(d.log().find("daemon.stopped clean=true"), std::string::npos) << d.log();
}

TEST(Process, ReloadWithABrokenFileKeepsTheOldConfiguration) {
  ConfigFolder folder;
  DaemonProcess d(folder.dir());
  d.start(kFangfand, {"--config", folder.config().string()});
  ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();

  std::string text = read_file(folder.config());
  text.replace(text.find("per_month = 2"), 13, "per_month = -2");
  write_file(folder.config(), text);
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_notify("READY=1", 10s)) << d.log();
  const std::string log = d.log();
  EXPECT_NE(log.find("config.reload_rejected"), std::string::npos) << log;
  EXPECT_NE(log.find("rules.visits.per_month: must be a positive number"), std::string::npos)
      << log;
  EXPECT_TRUE(d.running());

  d.signal(SIGINT);
  auto status = d.wait_exit(5s);
  ASSERT_TRUE(status) << d.log();
  EXPECT_EQ(*status, 0);
}

TEST(Process, SendsWatchdogKeepalivesAtHalfTheInterval) {
  ConfigFolder folder;
  DaemonProcess d(folder.dir());
  d.start(kFangfand, {"--config", folder.config().string()}, {}, /*watchdog_usec=*/400000);
  ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
  // Three keep-alives within ~3 intervals.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(d.wait_notify("WATCHDOG=1", 1s)) << i << d.log();
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(5s), 0);
}

TEST(Process, RefusesToStartOnAnInvalidConfiguration) {
  ConfigFolder folder;
  std::string text = read_file(folder.config());
  text.replace(text.find("period = 3\n"), 11, "period = 0\n");
  write_file(folder.config(), text);
  auto r = run_program(kFangfand, {"--config", folder.config().string()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("rules.deadlines.county_review.period: deadline must be a positive"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("not starting"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(folder.dir() / "state/fangfan.db"));
}

TEST(Process, RefusesADatabaseNewerThanItself) {
  ConfigFolder folder;
  {
    DaemonProcess d(folder.dir());
    d.start(kFangfand, {"--config", folder.config().string()});
    ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(5s), 0);
  }
  {
    soci::session s("sqlite3", "db=" + (folder.dir() / "state/fangfan.db").string());
    s << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the "
         "future', 0)";
  }
  DaemonProcess d(folder.dir());
  d.start(kFangfand, {"--config", folder.config().string()});
  auto status = d.wait_exit(30s);
  ASSERT_TRUE(status) << d.log();
  EXPECT_EQ(*status, 1);
  EXPECT_NE(d.log().find("999"), std::string::npos) << d.log();
  EXPECT_NE(d.log().find("storage.open_failed"), std::string::npos) << d.log();
}

int count_lines_with(const fs::path& file, const std::string& needle) {
  std::ifstream in(file);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// Waits until `file` has a line containing `needle`, up to `timeout`.
bool wait_for_line(const fs::path& file, const std::string& needle, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count_lines_with(file, needle) > 0) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// From 1 November the county admin is told, through the outbox and the file
// channel, that next year's holiday arrangement is missing — once per week,
// however often the daemon restarts. The simulated clock pins the date.
TEST(Process, WarnsTheCountyAdminOnceWhenNextYearsCalendarIsMissing) {
  ConfigFolder folder;
  const fs::path messages = folder.dir() / "state/messages.jsonl";
  for (int run = 0; run < 2; ++run) {
    DaemonProcess d(folder.dir());
    d.start(kFangfand,
            {"--config", folder.config().string(), "--simulated-clock", "2026-11-02T09:00"});
    ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
    if (run == 0) {
      ASSERT_TRUE(wait_for_line(messages, "缺少2027年的工作日历", 10s)) << d.log();
    } else {
      // Give the second run the same chance to (wrongly) send again.
      std::this_thread::sleep_for(1s);
    }
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(5s), 0) << d.log();
  }
  EXPECT_EQ(count_lines_with(messages, "缺少2027年的工作日历"), 1);
  EXPECT_EQ(count_lines_with(messages, "\"type\":\"calendar_missing\""), 1);
  EXPECT_EQ(count_lines_with(messages, "\"recipient\":\"周建国@379901\""), 1);
  EXPECT_EQ(count_lines_with(messages, "2027年的节假日安排尚未配置"), 1);
}

TEST(Process, NoCalendarWarningBeforeNovember) {
  ConfigFolder folder;
  DaemonProcess d(folder.dir());
  d.start(kFangfand,
          {"--config", folder.config().string(), "--simulated-clock", "2026-10-31T09:00"});
  ASSERT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
  std::this_thread::sleep_for(1s);
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait_exit(5s), 0) << d.log();
  EXPECT_EQ(count_lines_with(folder.dir() / "state/messages.jsonl", "calendar_missing"), 0);
  EXPECT_EQ(d.log().find("calendar.next_year_missing"), std::string::npos) << d.log();
}

TEST(CheckConfig, ValidFileExitsZero) {
  auto r = run_program(kFangfand, {"--check-config", (kSource / "config/example.toml").string()});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("valid (3 townships"), std::string::npos) << r.output;
}

TEST(CheckConfig, InvalidFileExitsTwoWithFileLineAndKey) {
  ConfigFolder folder;
  std::string text = read_file(folder.config());
  const auto pos = text.find("phone = \"13900000011\"");
  text.replace(pos, 21, "phone = \"1390000001\"");
  write_file(folder.config(), text);
  const int line = 1 + int(std::count(text.begin(), text.begin() + long(pos), '\n'));
  auto r = run_program(kFangfand, {"--check-config", folder.config().string()});
  EXPECT_EQ(r.status, 2);
  // The phone itself is masked even in the error.
  EXPECT_NE(r.output.find(folder.config().string() + ":" + std::to_string(line) +
                          ": people[3 郑海峰].phone: '139***0001' is not a mainland mobile number"),
            std::string::npos)
      << r.output;
}

TEST(CommandLine, VersionHelpAndUnknownOptions) {
  auto v = run_program(kFangfand, {"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.output, "fangfand " FANGFAN_VERSION "\n");
  auto h = run_program(kFangfand, {"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.output.find("--check-config FILE"), std::string::npos);
  auto bad = run_program(kFangfand, {"--frobnicate"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("unknown option '--frobnicate'"), std::string::npos);
}

TEST(SystemdUnit, VerifiesWithSystemdAnalyze) {
  const fs::path analyze = "/usr/bin/systemd-analyze";
  if (!fs::exists(analyze)) GTEST_SKIP() << "systemd-analyze is not installed";
  ConfigFolder folder;
  // The unit as shipped, with ExecStart pointing at the binary under test.
  std::string unit = read_file(kSource / "systemd/fangfand.service");
  ASSERT_NE(unit.find("Type=notify"), std::string::npos);
  for (const char* key :
       {"WatchdogSec=", "Restart=on-failure", "DynamicUser=yes",
        "StateDirectory=", "ConfigurationDirectory=", "ProtectSystem=strict", "ProtectHome=yes",
        "PrivateTmp=yes", "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "ExecReload=/bin/kill -HUP $MAINPID"}) {
    EXPECT_NE(unit.find(key), std::string::npos) << key;
  }
  unit = std::regex_replace(unit, std::regex("/usr/local/bin/fangfand"), kFangfand.string());
  write_file(folder.dir() / "fangfand.service", unit);
  auto r = run_program(analyze, {"verify", (folder.dir() / "fangfand.service").string()},
                       {{"SYSTEMD_LOG_LEVEL", "warning"}});
  // verify prints nothing and exits 0 for a clean unit; documentation links to
  // files not installed on a build machine are not errors of the unit.
  std::string out = std::regex_replace(r.output, std::regex(".*Documentation.*\n"), "");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(out, "") << r.output;
}

}  // namespace
}  // namespace fangfan
