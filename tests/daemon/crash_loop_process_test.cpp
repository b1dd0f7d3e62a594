// The crash loop (issue 16, item 4): the real fangfand on the simulated clock over the example
// county, SIGKILLed at a random moment 200 times while the API writes cases, the clock is moved
// through the API, case lists are imported and messages are delivered to the real fake gateway
// process (fangfan_fake_provider's webhook on loopback; the county's four webhook people).
// Afterwards: every write the API acknowledged is in the database, every timer fired at most once
// (one message per fired timer), the messages sent again after a kill stay within the README's
// bound per kill (tests/daemon/outbox_process_test.cpp states it), every restart reached READY=1,
// and the restart-to-ready times are printed (p50, p99). Half the rounds wait for their first
// request's answer before the kill may land, so the minimum of work done is fixed whatever the
// machine's load. CMake compiles this file once per backend: the example's SQLite file
// (FANGFAN_CRASH_LOOP_SQLITE=1), or a scratch database on the tests' PostgreSQL server
// (FANGFAN_CRASH_LOOP_POSTGRESQL=1); both are in the suite.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/daemon_process.h"
#include "tests/support/fake_provider_process.h"
#include "tests/support/people.h"
#include "tests/support/pg_server.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::DaemonProcess;

const fs::path kSource = FANGFAN_SOURCE_DIR;
constexpr int kKills = 200;
constexpr int kConcurrency = 8;  // [delivery] concurrency of the example configuration
// The README's bound on messages sent again per crash (issue 15): max(128, 4 x `concurrency`).
constexpr int kDuplicatesPerKill = OutboxDispatcher::unrecorded_bound(kConcurrency);
constexpr const char* kVillage = "379901001001";
const std::vector<std::string> kWebhookPeople = {"王丽@379901001", "陈静@379901002",
                                                 "卫小红@379901003", "蒋国庆@379901001001"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The outbox ids the fake gateway logged, in order; with `from`, only those of the complete
// lines after that offset, which it moves on (every round reads only what is new).
std::vector<std::int64_t> reached(const fs::path& log, std::streamoff* from = nullptr) {
  std::vector<std::int64_t> out;
  std::ifstream in(log, std::ios::binary);
  if (from) in.seekg(*from);
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;  // a line the fake is still writing: the next round reads it
    if (from) *from = in.tellg();
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object() || v.at("provider").as_string() != "webhook") continue;
    json::value body = json::parse(v.at("body").as_string(), ec);
    if (!ec && body.is_object()) out.push_back(body.at("outbox_id").to_number<std::int64_t>());
  }
  return out;
}

class CrashLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy(kSource / "config/calendar", dir() / "calendar", fs::copy_options::recursive);
    // Feeds are not the subject here.
    std::string text = test::without_feeds(read_file(kSource / "config/example.toml"));
    auto replace = [&](const std::string& from, const std::string& to, std::size_t pos = 0) {
      const std::size_t at = text.find(from, pos);
      ASSERT_NE(at, std::string::npos) << from;
      text.replace(at, from.size(), to);
    };
    replace("listen = \"127.0.0.1:8470\"", "listen = \"127.0.0.1:0\"");
#if defined(FANGFAN_CRASH_LOOP_POSTGRESQL)
    const test::PgTestServer& pg = test::pg_test_server();
    if (pg.status == test::PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
    ASSERT_EQ(pg.status, test::PgTestServer::Status::kReady) << pg.reason;
    scratch_.emplace(pg);
    url_ = scratch_->url();
    replace("url = \"sqlite3://state/fangfan.db\"", "url = \"" + url_ + "\"");
#else
    url_ = "sqlite3://" + (dir() / "state/fangfan.db").string();
#endif
    ASSERT_NE(text.find("concurrency = " + std::to_string(kConcurrency)), std::string::npos);
    for (const auto& who : kWebhookPeople) {
      const std::string name = "name = \"" + who.substr(0, who.find('@')) + "\"";
      const std::size_t at = text.find(name);
      ASSERT_NE(at, std::string::npos) << name;
      replace("channels = [\"file\"]", "channels = [\"webhook\"]", at);
    }
    fake_ = std::make_unique<testing::FakeProviderProcess>(
        FANGFAN_FAKE_PROVIDER_PATH, dir() / "fake", log(),
        std::vector<std::string>{"--answer", "webhook=delay", "--delay-ms", "5"}, 0);
    ASSERT_NE(fake_->port(), 0);
    text += "\n[channels.webhook]\nenabled = true\nurl = \"http://127.0.0.1:" +
            std::to_string(fake_->port()) + "/hook\"\n";
    std::ofstream(dir() / "fangfan.toml") << text;
  }
  void TearDown() override {
    if (fake_) fake_->stop();
  }

  const fs::path& dir() const { return dir_.path(); }
  fs::path log() const { return dir() / "gateway.jsonl"; }
  Database& db() {
    if (!db_) db_.emplace(Database::open(url_));
    return *db_;
  }

  long long count(const std::string& sql) {
    auto s = db().open_session();
    long long n = -1;
    *s << sql, soci::into(n);
    return n;
  }
  std::set<std::int64_t> ids(const std::string& sql) {
    auto s = db().open_session();
    std::set<std::int64_t> out;
    soci::rowset<long long> rs = (s->prepare << sql);
    for (long long id : rs) out.insert(id);
    return out;
  }

  std::string make_token() {
    testing::RunResult made =
        testing::run_program(FANGFANCTL_PATH,
                             {"--config", (dir() / "fangfan.toml").string(), "token", "create",
                              "--role", "county_admin", "--scope", "379901", "--name", "周建国"},
                             {{"HOME", dir().string()}});
    EXPECT_EQ(made.status, 0) << made.output;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(made.output, m, std::regex("fft_[0-9a-f]{64}"))) << made.output;
    return m.str();
  }

  // Messages to the webhook people, queued while the daemon is down (as a firing would).
  void enqueue(int round, int n, TimePoint at) {
    auto session = db().open_session();
    WriteTransaction tx(*session);
    for (int i = 0; i < n; ++i) {
      NewOutboxMessage m;
      m.dedupe_key = "crash-loop:" + std::to_string(round) + ":" + std::to_string(i);
      m.channel = "webhook";
      m.recipient = kWebhookPeople[std::size_t(i) % kWebhookPeople.size()];
      m.message_type = "written_notice";
      m.body = "【防返贫监测】请核对东岭村走访记录，第" + std::to_string(round) + "批。";
      m.created_at = at;
      m.next_attempt_at = at;
      enqueue_outbox(*session, m);
    }
    tx.commit();
  }

  // Starts fangfand at simulated instant `at`; the API port, and the time to READY=1 in `ready`.
  unsigned short start(DaemonProcess& d, const std::string& at, double& ready_ms) {
    const auto t0 = std::chrono::steady_clock::now();
    d.start(FANGFAND_PATH,
            {"--config", (dir() / "fangfan.toml").string(), "--simulated-clock", at});
    const bool ready = d.wait_notify("READY=1", 30s).has_value();
    ready_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_TRUE(ready) << d.log();
    if (!ready) return 0;
    const std::string text = d.log();
    static const std::regex line(R"(api\.listening address=127\.0\.0\.1:([0-9]+))");
    std::string port;
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      port = (*it)[1];
    }
    return port.empty() ? 0 : static_cast<unsigned short>(std::stoi(port));
  }

  test::TempDir dir_;
  std::optional<test::ScratchPgDatabase> scratch_;
  std::string url_;
  std::optional<Database> db_;
  std::unique_ptr<testing::FakeProviderProcess> fake_;
  testing::PeopleGenerator people_{20261205};
};

// A request that may meet a daemon being killed: status 0 when it got no answer.
test::Reply try_request(unsigned short port, http::verb method, const std::string& target,
                        const std::string& token, const std::string& body,
                        std::chrono::milliseconds timeout = 2s) {
  try {
    test::TestClient c(port, timeout);
    return c.request(method, target, token, body);
  } catch (const std::exception&) {
    return {};
  }
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.at(std::min(v.size() - 1, std::size_t(p * double(v.size()))));
}

TEST_F(CrashLoop, TwoHundredKillsLoseNoAcknowledgedWriteAndFireNoTimerTwice) {
  TimePoint sim = *parse_time("2025-03-03T09:00");
  // The database exists before the first run, so messages can be queued into it.
  migrate(db(), sim);
  const std::string admin = make_token();
  std::mt19937 random(20261205);
  std::vector<double> ready_ms;
  std::map<std::string, std::int64_t> acked_cases;  // household code -> case id
  std::vector<std::string> acked_import_codes;      // households of acknowledged imports
  int acked_advances = 0, acked_imports = 0, kills = 0, mid_delivery = 0;
  int most_at_risk = 0;
  int next_household = 0;
  std::streamoff logged = 0;
  const auto began = std::chrono::steady_clock::now();
  // The work done must not depend on how loaded the machine is: every odd round opens with one
  // request that is answered before the kill may land (an import in every 10th round, a clock
  // advance or a new case in turn in the others), then the kinds follow in turn until the kill;
  // an even round is killed at a random moment from READY=1 on, which may come before any request
  // is answered (during the restart's recovery and first delivery pass).
  enum class Op { kCase, kAdvance, kImport };
  auto waits = [](int round) { return round % 2 == 1; };
  auto first_op = [](int round) {
    return round % 10 == 5 ? Op::kImport : round % 4 == 1 ? Op::kAdvance : Op::kCase;
  };
  std::map<Op, int> waited;  // rounds whose first request was waited for, by kind
  for (int round = 0; round < kKills; ++round) {
    if (waits(round)) ++waited[first_op(round)];
  }
  int first_acked = 0;
  std::vector<double> first_ms[3];  // how long the first request took, by kind

  for (int round = 0; round < kKills; ++round) {
    enqueue(round, 6, sim);
    const fs::path run = dir() / ("run-" + std::to_string(round % 4));
    fs::create_directories(run);
    DaemonProcess d(run);
    double ms = 0;
    const unsigned short port = start(d, format_time(sim), ms);
    ASSERT_NE(port, 0) << "restart " << round << " failed";
    ready_ms.push_back(ms);
    // The kill lands at a random moment (after the round's first request was answered, in a
    // round that waits for it) while the requests run.
    std::atomic<bool> answered{!waits(round)}, killed{false};
    const auto delay = std::chrono::milliseconds(random() % (waits(round) ? 50 : 100));
    std::thread killer([&] {
      const auto limit = std::chrono::steady_clock::now() + 30s;
      while (!answered && std::chrono::steady_clock::now() < limit) {
        std::this_thread::sleep_for(1ms);
      }
      std::this_thread::sleep_for(delay);
      d.signal(SIGKILL);
      killed = true;
    });
    for (int op = 0; !killed; ++op) {
      const Op kind = op == 0                                ? first_op(round)
                      : (op + int(first_op(round))) % 3 == 1 ? Op::kAdvance
                                                             : Op::kCase;
      bool acked = false;
      // Nothing kills the daemon before a waited-for request is answered: it may take its time.
      const std::chrono::milliseconds timeout = op == 0 && waits(round) ? 30s : 2s;
      const auto op_began = std::chrono::steady_clock::now();
      if (kind == Op::kAdvance) {
        // The clock moves two hours; a restart resumes at the latest instant asked for, so
        // simulated time never goes back whatever the kill interrupted.
        sim += 2h;
        const test::Reply moved = try_request(port, http::verb::post, "/api/v1/clock/advance",
                                              admin, R"({"by":"2h"})", timeout);
        acked = moved.status == 200u;
        if (acked) ++acked_advances;
      } else if (kind == Op::kImport) {
        std::string csv =
            "户编码,村编码,户主姓名,身份证号,联系电话,监测对象类型,信息来源,风险类型,"
            "先帮扶后认定,劳动能力,先帮扶原因\n";
        std::vector<std::string> codes;
        for (int i = 0; i < 2; ++i) {
          const auto p = people_.person();
          codes.push_back(std::string(kVillage) + std::to_string(5000 + next_household++));
          csv += codes.back() + "," + kVillage + "," + p.name + "," + p.id_number + "," + p.phone +
                 ",边缘易致贫户,村两委排查,因病,否,是,\n";
        }
        const test::Reply imported =
            try_request(port, http::verb::post,
                        "/api/v1/imports?kind=cases&name=list" + std::to_string(round) + ".csv",
                        admin, csv, timeout);
        acked = imported.status == 201u;
        if (acked) {
          ++acked_imports;
          acked_import_codes.insert(acked_import_codes.end(), codes.begin(), codes.end());
          EXPECT_EQ(imported.json().at("import").at("applied").as_int64(), 2) << imported.body;
        }
      } else {
        const std::string code = std::string(kVillage) + std::to_string(5000 + next_household++);
        const Household h = people_.household(code, kVillage, 2);
        json::object open{{"household", case_json::encode(h)},
                          {"kind", "unstable"},
                          {"source", "self_application"},
                          {"risk_causes", json::array{"illness"}}};
        const test::Reply opened = try_request(port, http::verb::post, "/api/v1/cases", admin,
                                               json::serialize(open), timeout);
        acked = opened.status == 201u;
        if (acked) {
          const std::int64_t id = opened.json().at("case").at("id").as_int64();
          acked_cases[code] = id;
          // Its verification starts: the step's deadlines are timers from now on.
          try_request(port, http::verb::post, "/api/v1/cases/" + std::to_string(id) + "/events",
                      admin, R"({"type":"start_verification","verifier":"镇扶贫办"})");
        } else if (opened.status != 0u) {
          ADD_FAILURE() << opened.status << " " << opened.body;
        }
      }
      if (op == 0 && waits(round)) {
        // Nothing can have killed the daemon yet: the first request is always acknowledged.
        EXPECT_TRUE(acked) << "round " << round << ": the first request was not acknowledged";
        first_acked += acked ? 1 : 0;
        first_ms[int(kind)].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - op_began)
                .count());
        answered = true;
      }
    }
    killer.join();
    ASSERT_EQ(d.wait_exit(5s), 128 + SIGKILL) << d.log();
    ++kills;
    // Requests still in the fake's delay are logged when it answers.
    std::this_thread::sleep_for(10ms);
    const std::vector<std::int64_t> new_lines = reached(log(), &logged);
    const std::set<std::int64_t> this_run(new_lines.begin(), new_lines.end());
    int at_risk = 0;
    if (!this_run.empty()) {
      std::string list;
      for (std::int64_t id : this_run) list += (list.empty() ? "" : ",") + std::to_string(id);
      const std::set<std::int64_t> done =
          ids("SELECT id FROM outbox WHERE status = 'sent' AND id IN (" + list + ")");
      for (std::int64_t id : this_run) at_risk += done.count(id) ? 0 : 1;
      ++mid_delivery;
    }
    EXPECT_LE(at_risk, kDuplicatesPerKill) << "kill " << round;
    most_at_risk = std::max(most_at_risk, at_risk);
  }
  const double loop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  // A last run without a kill: the clock moves on up to two days until everything went out (a
  // digest's members go out in it).
  const std::string unsent =
      "SELECT COUNT(*) FROM outbox WHERE channel = 'webhook' AND status <> 'sent' AND"
      " digest_of IS NULL";
  {
    fs::create_directories(dir() / "final");
    DaemonProcess d(dir() / "final");
    double ms = 0;
    const unsigned short port = start(d, format_time(sim), ms);
    ASSERT_NE(port, 0);
    // A week on first: the verifications' reminders and due times fall due and fire.
    {
      test::TestClient week(port, 120s);
      const test::Reply moved =
          week.request(http::verb::post, "/api/v1/clock/advance", admin, R"({"by":"7d"})");
      ASSERT_EQ(moved.status, 200u) << moved.body;
    }
    for (int i = 0; i < 8 && count(unsent) > 0; ++i) {
      const test::Reply moved =
          test::http_once(port, http::verb::post, "/api/v1/clock/advance", admin, R"({"by":"6h"})");
      ASSERT_EQ(moved.status, 200u) << moved.body;
      const auto until = std::chrono::steady_clock::now() + 3s;
      while (count("SELECT COUNT(*) FROM outbox WHERE status = 'sending'") > 0 &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(20ms);
      }
    }
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(15s), 0) << d.log();
  }
  fake_->stop();

  // Every acknowledged write is there.
  EXPECT_EQ(kills, kKills);
  // Work was done whatever the load: every waited-for first request was acknowledged (an import
  // in 20 rounds, a clock advance in 40, a new case in 40).
  EXPECT_EQ(first_acked, kKills / 2);
  EXPECT_GE(acked_cases.size(), std::size_t(waited[Op::kCase]));
  EXPECT_GE(acked_advances, waited[Op::kAdvance]);
  EXPECT_GE(acked_imports, waited[Op::kImport]);
  EXPECT_EQ(waited[Op::kImport], kKills / 10);
  for (const auto& [code, id] : acked_cases) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM cases WHERE id = " + std::to_string(id) +
                    " AND household_code = '" + code + "'"),
              1)
        << code;
  }
  for (const auto& code : acked_import_codes) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM cases WHERE household_code = '" + code + "'"), 1) << code;
  }
  // Whole cases: history and version agree.
  EXPECT_EQ(count("SELECT COUNT(*) FROM cases c WHERE c.version <>"
                  " (SELECT COUNT(*) FROM case_history h WHERE h.case_id = c.id)"),
            0);
  // No timer fired twice: one message at most per fired case timer, none for a pending one.
  const long long fired = count(
      "SELECT COUNT(*) FROM timers WHERE case_id IS NOT NULL AND"
      " state = 'fired'");
  EXPECT_GT(fired, 0);
  EXPECT_LE(count("SELECT COUNT(*) FROM outbox WHERE message_type LIKE 'step_%'"), fired);
  EXPECT_EQ(count("SELECT COUNT(*) FROM (SELECT case_id, message_type, recipient, created_at"
                  " FROM outbox WHERE message_type LIKE 'step_%' GROUP BY case_id, message_type,"
                  " recipient, created_at HAVING COUNT(*) > 1) AS twice"),
            0);
  // Every queued webhook message went out, and the copies sent again stay within the bound.
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE channel = 'webhook' AND status <> 'sent'"), 0);
  const std::vector<std::int64_t> all = reached(log());
  const std::set<std::int64_t> distinct(all.begin(), all.end());
  const int duplicates = int(all.size() - distinct.size());
  EXPECT_EQ(distinct, ids("SELECT id FROM outbox WHERE channel = 'webhook' AND digest_of IS NULL"));
  EXPECT_LE(duplicates, kills * kDuplicatesPerKill);
  // Rounds in which messages went out before the kill (each round queues 6 at its start).
  EXPECT_GE(mid_delivery, kKills / 10);

  const double p50 = percentile(ready_ms, 0.50), p99 = percentile(ready_ms, 0.99);
  RecordProperty("kills", kills);
  RecordProperty("restart_to_ready_p50_ms", int(p50));
  RecordProperty("restart_to_ready_p99_ms", int(p99));
  std::cout << "crash loop: kills=" << kills << " in " << loop_seconds << " s, cases acknowledged "
            << acked_cases.size() << ", imports " << acked_imports << ", clock advances "
            << acked_advances << ", timers fired " << fired << ", messages " << distinct.size()
            << ", sent again " << duplicates << " (most per kill " << most_at_risk << ", bound "
            << kDuplicatesPerKill << "), kills during delivery " << mid_delivery
            << ", restart to ready p50 " << p50 << " ms p99 " << p99 << " ms\n";
  const char* kinds[] = {"case", "clock advance", "import"};
  for (int k = 0; k < 3; ++k) {
    if (first_ms[k].empty()) continue;
    std::cout << "crash loop: a round's first " << kinds[k] << " answered in p50 "
              << percentile(first_ms[k], 0.5) << " ms, p99 " << percentile(first_ms[k], 0.99)
              << " ms\n";
  }
}

}  // namespace
}  // namespace fangfan
