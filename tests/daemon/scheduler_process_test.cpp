// The scheduler in the real fangfand: simulated time moved through the API and fangfanctl,
// the dry run, a restart after a simulated week of downtime, and SIGKILL at random moments
// while timers fire. Messages are read where an operator would see them: the file channel's
// messages.jsonl, and the database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/storage/case_json.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/daemon_process.h"
#include "tests/support/people.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::DaemonProcess;
using ::testing::HasSubstr;
using testing::run_program;

const fs::path kSource = FANGFAN_SOURCE_DIR;
constexpr const char* kDonglingVillage = "379901001001";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One delivered message of messages.jsonl: type and recipient.
using Line = std::pair<std::string, std::string>;

// The delivered messages of types starting with `type_prefix`, sorted (the dispatcher delivers
// several at once, so the file's order is not the queue's; the queue's order is checked on the
// outbox table).
std::vector<Line> delivered(const fs::path& file, const std::string& type_prefix) {
  std::vector<Line> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const std::string type(v.at("type").as_string());
    if (type.rfind(type_prefix, 0) != 0) continue;
    out.emplace_back(type, std::string(v.at("recipient").as_string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Line> sorted(std::vector<Line> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A county's deployment in a temp folder: the example configuration on an ephemeral port.
class SchedulerDaemon : public ::testing::Test {
 protected:
  void SetUp() override { make_folder(dir_.path()); }

  static void make_folder(const fs::path& dir) {
    fs::copy(kSource / "config/calendar", dir / "calendar", fs::copy_options::recursive);
    // Feeds are not the subject here (every timer fired is counted).
    std::string text = test::without_feeds(read_file(kSource / "config/example.toml"));
    const std::string listen = "listen = \"127.0.0.1:8470\"";
    text.replace(text.find(listen), listen.size(), "listen = \"127.0.0.1:0\"");
    std::ofstream(dir / "fangfan.toml") << text;
  }
  // The deployment's files without the test's sockets and logs.
  static void copy_deployment(const fs::path& from, const fs::path& to) {
    fs::copy(from / "fangfan.toml", to / "fangfan.toml");
    fs::copy(from / "calendar", to / "calendar", fs::copy_options::recursive);
    fs::copy(from / "state", to / "state", fs::copy_options::recursive);
  }
  fs::path config(const fs::path& dir) const { return dir / "fangfan.toml"; }
  fs::path config() const { return config(dir_.path()); }
  fs::path messages(const fs::path& dir) const { return dir / "state/messages.jsonl"; }
  fs::path messages() const { return messages(dir_.path()); }

  testing::RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config().string()});
    return run_program(FANGFANCTL_PATH, args, {{"HOME", dir_.path().string()}});
  }

  std::string make_token(const std::string& role, const std::string& scope,
                         const std::string& name) {
    testing::RunResult made =
        ctl({"token", "create", "--role", role, "--scope", scope, "--name", name});
    EXPECT_EQ(made.status, 0) << made.output;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(made.output, m, std::regex("fft_[0-9a-f]{64}"))) << made.output;
    return m.str();
  }

  // Starts fangfand on `dir` at simulated instant `at` (or the system clock when empty) and
  // returns its API port.
  unsigned short start(DaemonProcess& d, const fs::path& dir, const std::string& at) {
    std::vector<std::string> args = {"--config", config(dir).string()};
    if (!at.empty()) args.insert(args.end(), {"--simulated-clock", at});
    d.start(FANGFAND_PATH, args);
    EXPECT_TRUE(d.wait_notify("READY=1", 30s)) << d.log();
    // The last "api.listening" line: the log file keeps the earlier runs in this folder.
    const std::string log = d.log();
    static const std::regex line(R"(api\.listening address=127\.0\.0\.1:([0-9]+))");
    std::string port;
    for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
      port = (*it)[1];
    }
    EXPECT_FALSE(port.empty()) << log;
    return port.empty() ? 0 : static_cast<unsigned short>(std::stoi(port));
  }

  static void stop(DaemonProcess& d) {
    d.signal(SIGTERM);
    auto status = d.wait_exit(10s);
    ASSERT_TRUE(status) << d.log();
    EXPECT_EQ(*status, 0) << d.log();
  }

  // Opens a case for generated household `n` and starts its household verification.
  std::int64_t open_verifying_case(unsigned short port, const std::string& token, int n) {
    json::object body;
    body["household"] = case_json::encode(people_.household(
        std::string(kDonglingVillage) + "0" + std::to_string(100 + n), kDonglingVillage, 3));
    body["kind"] = "unstable";
    body["source"] = "self_application";
    body["risk_causes"] = json::array{"illness"};
    test::Reply opened =
        test::http_once(port, http::verb::post, "/api/v1/cases", token, json::serialize(body));
    EXPECT_EQ(opened.status, 201u) << opened.body;
    if (opened.status != 201u) return 0;
    const std::int64_t id = opened.json().at("case").at("id").as_int64();
    test::Reply started =
        test::http_once(port, http::verb::post, "/api/v1/cases/" + std::to_string(id) + "/events",
                        token, R"({"type":"start_verification","verifier":"镇扶贫办李*"})");
    EXPECT_EQ(started.status, 200u) << started.body;
    return id;
  }

  static long long count(const fs::path& dir, const std::string& sql) {
    soci::session s("sqlite3", "db=" + (dir / "state/fangfan.db").string() + " timeout=10");
    long long n = -1;
    s << sql, soci::into(n);
    return n;
  }

  // Every row of a query as text, one string per row ("a|b|c"), in the query's order.
  static std::vector<std::string> rows(const fs::path& dir, const std::string& sql) {
    soci::session s("sqlite3", "db=" + (dir / "state/fangfan.db").string() + " timeout=10");
    std::vector<std::string> out;
    soci::rowset<soci::row> rs = s.prepare << sql;
    for (const auto& r : rs) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (i) line += "|";
        if (r.get_indicator(i) == soci::i_null) {
          line += "NULL";
          continue;
        }
        switch (r.get_properties(i).get_data_type()) {
          case soci::dt_string:
            line += r.get<std::string>(i);
            break;
          case soci::dt_integer:
            line += std::to_string(r.get<int>(i));
            break;
          case soci::dt_long_long:
            line += std::to_string(r.get<long long>(i));
            break;
          case soci::dt_unsigned_long_long:
            line += std::to_string(r.get<unsigned long long>(i));
            break;
          default:
            line += std::to_string(r.get<double>(i));
            break;
        }
      }
      out.push_back(line);
    }
    return out;
  }

  // Waits until messages.jsonl holds `n` lines of types starting with `prefix`.
  bool wait_delivered(const fs::path& file, const std::string& prefix, std::size_t n,
                      std::chrono::seconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (delivered(file, prefix).size() >= n) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  test::TempDir dir_;
  testing::PeopleGenerator people_{20251124};
};

// The verification ladder of a case started on Monday 2025-03-03 (see scheduler_test.cpp).
const std::vector<Line> kLadder = {
    {"step_reminder", "王丽@379901001"},
    {"step_overdue", "王丽@379901001"},
    {"step_overdue", "郑海峰@379901001"},
    {"step_overdue", "吴秀兰@379901"},
};

TEST_F(SchedulerDaemon, SimulatedClockMovesThroughFangfanctlAndFiresInOrder) {
  const std::string admin = make_token("county_admin", "379901", "周建国");
  const std::string clerk = make_token("township_clerk", "379901001", "王丽");
  DaemonProcess d(dir_.path());
  const unsigned short port = start(d, dir_.path(), "2025-03-03T09:00");
  ASSERT_NE(port, 0);
  const std::string api = "127.0.0.1:" + std::to_string(port);
  auto clock = [&](std::vector<std::string> words) {
    words.insert(words.begin(), {"clock", "--api", api, "--token", admin});
    return ctl(words);
  };

  testing::RunResult now = clock({});
  EXPECT_EQ(now.status, 0) << now.output;
  EXPECT_THAT(now.output, HasSubstr("2025-03-03T09:00:00+08:00"));
  EXPECT_THAT(now.output, HasSubstr("simulated"));

  const std::int64_t id = open_verifying_case(port, clerk, 1);
  ASSERT_NE(id, 0);

  // The dry run shows the whole ladder and leaves nothing behind.
  testing::RunResult dry = ctl(
      {"simulate", "--api", api, "--token", admin, "--from", "2025-03-03", "--to", "2025-03-31"});
  EXPECT_EQ(dry.status, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("step_reminder"));
  EXPECT_THAT(dry.output, HasSubstr("2025-03-18 08:00"));
  EXPECT_THAT(dry.output, HasSubstr("吴秀兰@379901"));
  EXPECT_THAT(dry.output, HasSubstr("nothing was sent"));
  EXPECT_EQ(count(dir_.path(), "SELECT COUNT(*) FROM outbox WHERE case_id IS NOT NULL"), 0);
  EXPECT_EQ(count(dir_.path(), "SELECT COUNT(*) FROM timers WHERE state <> 'pending'"), 0);

  // Durations that are not positive, not understood or too long are refused, naming the field.
  for (const char* body : {R"({"by":"0d"})", R"({"by":"3x"})", R"({"by":"401d"})",
                           R"({"to":"2025-03-01T09:00"})", R"({"by":"1d","to":"2025-04-01"})"}) {
    test::Reply bad = test::http_once(port, http::verb::post, "/api/v1/clock/advance", admin, body);
    EXPECT_EQ(bad.status, 400u) << body << " " << bad.body;
  }
  // A township clerk may not move the county's clock.
  testing::RunResult refused = ctl({"clock", "--api", api, "--token", clerk, "advance", "3d"});
  EXPECT_EQ(refused.status, 1) << refused.output;

  // Sunday 03-09 09:00: the reminder went out on Fri 03-07 at 08:00, 1 working day before the
  // last day 03-10 (issue 14 item 8: it came on 03-10 itself).
  testing::RunResult moved = clock({"advance", "6d"});
  EXPECT_EQ(moved.status, 0) << moved.output;
  EXPECT_THAT(moved.output, HasSubstr("2025-03-09T09:00:00+08:00"));
  EXPECT_THAT(moved.output, HasSubstr("1 timers fired"));
  moved = clock({"advance", "12h"});  // 21:00
  EXPECT_EQ(moved.status, 0) << moved.output;
  moved = clock({"advance", "30m", "--json"});
  EXPECT_EQ(moved.status, 0) << moved.output;
  EXPECT_THAT(moved.output, HasSubstr("\"now\":\"2025-03-09T21:30:00+08:00\""));
  moved = clock({"advance", "1d"});  // Monday 03-10 21:30, the last day: nothing more
  EXPECT_THAT(moved.output, HasSubstr("0 timers fired"));
  ASSERT_TRUE(wait_delivered(messages(), "step_", 1)) << d.log();
  EXPECT_EQ(delivered(messages(), "step_"),
            std::vector<Line>(kLadder.begin(), kLadder.begin() + 1));

  moved = clock({"advance", "9d"});
  EXPECT_THAT(moved.output, HasSubstr("3 timers fired"));
  ASSERT_TRUE(wait_delivered(messages(), "step_", 4)) << d.log();
  EXPECT_EQ(delivered(messages(), "step_"), sorted(kLadder));
  stop(d);
  // Queued in due order, each at its own instant of the simulated clock.
  EXPECT_EQ(
      rows(dir_.path(),
           "SELECT message_type, recipient, created_at FROM outbox"
           " WHERE case_id IS NOT NULL ORDER BY id"),
      (std::vector<std::string>{
          "step_reminder|王丽@379901001|1741305600", "step_overdue|王丽@379901001|1741651200",
          "step_overdue|郑海峰@379901001|1741824000", "step_overdue|吴秀兰@379901|1742256000"}));
}

TEST_F(SchedulerDaemon, TheSystemClockCannotBeAdvanced) {
  const std::string admin = make_token("county_admin", "379901", "周建国");
  DaemonProcess d(dir_.path());
  const unsigned short port = start(d, dir_.path(), "");
  ASSERT_NE(port, 0);
  test::Reply shown = test::http_once(port, http::verb::get, "/api/v1/clock", admin);
  EXPECT_EQ(shown.status, 200u);
  EXPECT_FALSE(shown.json().at("simulated").as_bool()) << shown.body;
  test::Reply refused =
      test::http_once(port, http::verb::post, "/api/v1/clock/advance", admin, R"({"by":"3d"})");
  EXPECT_EQ(refused.status, 409u);
  EXPECT_EQ(refused.field("error"), "clock_not_simulated");
  EXPECT_THAT(refused.field("message"), HasSubstr("--simulated-clock"));
  testing::RunResult ctl_refused = ctl(
      {"clock", "--api", "127.0.0.1:" + std::to_string(port), "--token", admin, "advance", "3d"});
  EXPECT_EQ(ctl_refused.status, 1);
  EXPECT_THAT(ctl_refused.output, HasSubstr("--simulated-clock"));
  stop(d);
}

// Down from Monday 03-03 to Wednesday 03-19: on start each rung fires once (three overdue
// notices, the stale reminder skipped), and a second start fires nothing again.
TEST_F(SchedulerDaemon, AfterASimulatedWeekDownEveryDueTimerFiresExactlyOnce) {
  const std::string admin = make_token("county_admin", "379901", "周建国");
  const std::string clerk = make_token("township_clerk", "379901001", "王丽");
  {
    DaemonProcess d(dir_.path());
    const unsigned short port = start(d, dir_.path(), "2025-03-03T09:00");
    ASSERT_NE(open_verifying_case(port, clerk, 1), 0);
    stop(d);
  }
  EXPECT_EQ(count(dir_.path(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 4);
  const std::string fired =
      "SELECT COUNT(*) FROM timers WHERE state = 'fired' AND case_id IS NOT NULL";
  {
    DaemonProcess d(dir_.path());
    const unsigned short port = start(d, dir_.path(), "2025-03-19T09:00");
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (count(dir_.path(), fired) < 4 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(count(dir_.path(), fired), 4) << d.log();
    // Reminders and overdue notices to one person wait five minutes of the daemon's clock to be
    // grouped ([delivery] digest_window_seconds): move the clock past that.
    test::Reply moved =
        test::http_once(port, http::verb::post, "/api/v1/clock/advance", admin, R"({"by":"10m"})");
    ASSERT_EQ(moved.status, 200u) << moved.body;
    EXPECT_EQ(moved.json().at("timers_fired").as_int64(), 0) << moved.body;
    ASSERT_TRUE(wait_delivered(messages(), "step_", 3)) << d.log();
    std::this_thread::sleep_for(500ms);  // time to (wrongly) send more
    stop(d);
  }
  {
    DaemonProcess d(dir_.path());
    start(d, dir_.path(), "2025-03-19T10:00");
    std::this_thread::sleep_for(1s);
    stop(d);
  }
  EXPECT_EQ(delivered(messages(), "step_"),
            sorted(std::vector<Line>(kLadder.begin() + 1, kLadder.end())));
  EXPECT_EQ(rows(dir_.path(),
                 "SELECT kind, rung, state, fired_at - due_at > 0 FROM timers"
                 " WHERE case_id IS NOT NULL ORDER BY due_at, id"),
            (std::vector<std::string>{"reminder|0|fired|1", "due|0|fired|1", "escalation|1|fired|1",
                                      "escalation|2|fired|1"}));
}

// SIGKILL at random moments while a backlog of timers fires: in the end the database holds
// exactly what one uninterrupted run produces (every timer fired once, every message queued
// once, none lost).
TEST_F(SchedulerDaemon, SigkillAtRandomMomentsLosesNothingAndDuplicatesNothing) {
  // 3,000 timers: about twelve of the scheduler's firing batches (256 timers per transaction),
  // so kills land between committed batches in several rounds even now that a batch commits in
  // a few milliseconds (with 1,000 timers a loaded machine sometimes saw the rest of the backlog
  // fire in the round after the first, and the test proved too little).
  constexpr int kCases = 750;
  const std::string clerk = make_token("township_clerk", "379901001", "王丽");
  {
    DaemonProcess d(dir_.path());
    const unsigned short port = start(d, dir_.path(), "2025-03-03T09:00");
    for (int n = 1; n <= kCases; ++n) ASSERT_NE(open_verifying_case(port, clerk, n), 0);
    stop(d);
  }
  ASSERT_EQ(count(dir_.path(), "SELECT COUNT(*) FROM timers WHERE state = 'pending'"), 4 * kCases);
  // The reference: the same database, one uninterrupted run.
  test::TempDir reference;
  copy_deployment(dir_.path(), reference.path());
  const std::string later = "2025-03-20T09:00";
  const std::string unfinished =
      "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND case_id IS NOT NULL";
  auto wait_all_fired = [&](const fs::path& dir) {
    const auto until = std::chrono::steady_clock::now() + 15s;
    while (count(dir, unfinished) > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(50ms);
    }
    return count(dir, unfinished) == 0;
  };
  {
    DaemonProcess d(reference.path());
    start(d, reference.path(), later);
    ASSERT_TRUE(wait_all_fired(reference.path())) << d.log();
    stop(d);
  }

  // Each round kills the daemon once its first batch has committed, a random 0..10 ms later:
  // the backlog takes several rounds, killed in the middle of it (often inside the next batch's
  // transaction), whatever the machine's load.
  std::mt19937 random(20251123);
  int killed_while_firing = 0;
  long long left = count(dir_.path(), unfinished);
  for (int round = 0; round < 12 && left > 0; ++round) {
    DaemonProcess d(dir_.path());
    start(d, dir_.path(), later);
    const auto committed_by = std::chrono::steady_clock::now() + 20s;
    while (count(dir_.path(), unfinished) == left &&
           std::chrono::steady_clock::now() < committed_by) {
      std::this_thread::sleep_for(2ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 10));
    d.signal(SIGKILL);
    ASSERT_EQ(d.wait_exit(5s), 128 + SIGKILL);
    const long long now_left = count(dir_.path(), unfinished);
    if (now_left > 0 && now_left < left) ++killed_while_firing;
    left = now_left;
  }
  {
    DaemonProcess d(dir_.path());
    start(d, dir_.path(), later);
    ASSERT_TRUE(wait_all_fired(dir_.path())) << d.log();
    stop(d);
  }
  // Kills must have landed in the middle of the backlog, or the test proved nothing.
  EXPECT_GE(killed_while_firing, 2);
  RecordProperty("kills_while_firing", killed_while_firing);
  const std::string timers =
      "SELECT dedupe_key, kind, rung, state, fired_at FROM timers ORDER BY dedupe_key";
  const std::string outbox =
      "SELECT dedupe_key, case_id, recipient, message_type, created_at FROM outbox"
      " ORDER BY dedupe_key";
  EXPECT_EQ(rows(dir_.path(), timers), rows(reference.path(), timers));
  EXPECT_EQ(rows(dir_.path(), outbox), rows(reference.path(), outbox));
  EXPECT_EQ(count(dir_.path(), "SELECT COUNT(*) FROM outbox WHERE message_type LIKE 'step_%'"),
            3 * kCases);
}

// The 2023 screening campaign of the example county: a township clerk reports a milestone done,
// the clock passes two due dates, and the progress table names the townships behind.
TEST_F(SchedulerDaemon, CampaignProgressNamesTheTownshipsBehind) {
  const std::string admin = make_token("county_admin", "379901", "周建国");
  const std::string clerk = make_token("township_clerk", "379901001", "王丽");
  const std::string other_clerk = make_token("township_clerk", "379901002", "陈静");
  DaemonProcess d(dir_.path());
  const unsigned short port = start(d, dir_.path(), "2023-04-03T09:00");
  ASSERT_NE(port, 0);
  const std::string done = "/api/v1/campaigns/screening_2023/milestones/plan/done";
  // Only the township's own clerk (or the county office) reports for it.
  EXPECT_EQ(
      test::http_once(port, http::verb::post, done, other_clerk, R"({"township":"379901001"})")
          .status,
      403u);
  test::Reply reported =
      test::http_once(port, http::verb::post, done, clerk, R"({"township":"379901001"})");
  ASSERT_EQ(reported.status, 200u) << reported.body;
  EXPECT_EQ(reported.field("done_at"), "2023-04-03T09:00:00+08:00");
  EXPECT_EQ(
      test::http_once(port, http::verb::get, "/api/v1/campaigns/nothing/progress", admin).status,
      404u);

  test::Reply moved = test::http_once(port, http::verb::post, "/api/v1/clock/advance", admin,
                                      R"({"to":"2023-05-15T09:00"})");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  test::Reply progress =
      test::http_once(port, http::verb::get, "/api/v1/campaigns/screening_2023/progress", admin);
  ASSERT_EQ(progress.status, 200u) << progress.body;
  const json::value body = progress.json();
  // Townships 002 and 003 are behind on plan and training; 001 only on training.
  const json::array& behind = body.at("behind").as_array();
  ASSERT_EQ(behind.size(), 3u) << progress.body;
  EXPECT_EQ(behind[0].at("township").as_string(), "379901002");
  EXPECT_EQ(json::serialize(behind[0].at("milestones")), R"(["plan","training"])");
  EXPECT_EQ(behind[1].at("township").as_string(), "379901003");
  EXPECT_EQ(behind[2].at("township").as_string(), "379901001");
  EXPECT_EQ(json::serialize(behind[2].at("milestones")), R"(["training"])");
  // A township token sees its own rows only.
  test::Reply own =
      test::http_once(port, http::verb::get, "/api/v1/campaigns/screening_2023/progress", clerk);
  ASSERT_EQ(own.status, 200u) << own.body;
  const json::value own_body = own.json();
  for (const auto& row : own_body.at("milestones").as_array()) {
    EXPECT_EQ(row.at("township").as_string(), "379901001");
  }
  // The plan's reminders and escalations went to the two townships that did not report.
  EXPECT_EQ(count(dir_.path(),
                  "SELECT COUNT(*) FROM outbox WHERE message_type LIKE 'campaign_%'"
                  " AND dedupe_key LIKE '%plan%' AND dedupe_key LIKE '%379901001%'"),
            0);
  EXPECT_GT(count(dir_.path(),
                  "SELECT COUNT(*) FROM outbox WHERE message_type = "
                  "'campaign_overdue' AND dedupe_key LIKE '%plan%'"),
            0);

  test::Reply evaluation =
      test::http_once(port, http::verb::get, "/api/v1/evaluations/2023/progress", admin);
  ASSERT_EQ(evaluation.status, 200u) << evaluation.body;
  EXPECT_EQ(evaluation.json().at("townships").as_array().size(), 3u);
  EXPECT_EQ(test::http_once(port, http::verb::get, "/api/v1/evaluations/23/progress", admin).status,
            400u);
  stop(d);
}

}  // namespace
}  // namespace fangfan
