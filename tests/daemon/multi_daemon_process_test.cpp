// Several daemons on one PostgreSQL (issue 15, item 4): THREE real fangfand processes share a
// scratch database on the tests' throwaway PostgreSQL server, each with its own API port, on the
// real clock. They get a backlog of due timers and of messages to the real fake gateway process
// (fangfan_fake_provider's webhook on loopback), and are SIGKILLed in turn while they work, each
// started again at once. Afterwards: every timer fired, and exactly once (no two
// "scheduler.fired timer=<id>" lines in all the daemons' logs together); every message reached
// the gateway and is recorded sent, with messages sent again within the README's bound per kill
// (tests/daemon/outbox_process_test.cpp states it); at every look at most one daemon alive
// leads (the advisory lock, daemon/tasks/leadership.h), and one leads again soon after the
// leader was killed.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <soci/soci.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_store.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "tests/daemon/api_test_server.h"
#include "tests/support/daemon_process.h"
#include "tests/support/fake_provider_process.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::DaemonProcess;

const fs::path kSource = FANGFAN_SOURCE_DIR;
constexpr int kDaemons = 3;
constexpr int kTimers = 6000;
constexpr int kMessages = 1500;
constexpr int kConcurrency = 8;  // [delivery] concurrency of the example configuration
// The README's bound on messages sent again per crash (issue 15): max(128, 4 x `concurrency`).
constexpr int kDuplicatesPerKill = OutboxDispatcher::unrecorded_bound(kConcurrency);
const std::vector<std::string> kWebhookPeople = {"王丽@379901001", "陈静@379901002",
                                                 "卫小红@379901003", "蒋国庆@379901001001"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A loopback port free right now, below the kernel's ephemeral range: the daemons need fixed
// ports (a restarted daemon recognises its previous life's sends by its identity, host name and
// [api] listen), and a port from the ephemeral range (what binding port 0 gives) can be taken
// between a kill and the restart as the local end of any outgoing connection on the machine
// (the daemons' own to PostgreSQL and the gateway, other tests'): the restart then failed with
// "Address already in use".
unsigned short free_port() {
  unsigned low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  const unsigned first = low > 12000 ? low - 10000 : 1024, span = low > first ? low - first : 1;
  static unsigned seed = static_cast<unsigned>(::getpid()) * 2654435761u;
  for (int attempt = 0; attempt < 200; ++attempt) {
    seed = seed * 1103515245u + 12345u;
    const auto port = static_cast<unsigned short>(first + (seed >> 8) % span);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    // Each daemon its own port.
    static std::set<unsigned short> given;
    if (free && given.insert(port).second) return port;
  }
  return 0;
}

// The outbox ids the fake gateway logged (complete lines only).
std::vector<std::int64_t> reached(const fs::path& log) {
  std::vector<std::int64_t> out;
  std::ifstream in(log, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object() || v.at("provider").as_string() != "webhook") continue;
    json::value body = json::parse(v.at("body").as_string(), ec);
    if (!ec && body.is_object()) out.push_back(body.at("outbox_id").to_number<std::int64_t>());
  }
  return out;
}

class MultiDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    const test::PgTestServer& pg = test::pg_test_server();
    if (pg.status == test::PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
    ASSERT_EQ(pg.status, test::PgTestServer::Status::kReady) << pg.reason;
    scratch_.emplace(pg);
    fake_ = std::make_unique<testing::FakeProviderProcess>(
        FANGFAN_FAKE_PROVIDER_PATH, dir() / "fake", log(),
        std::vector<std::string>{"--answer", "webhook=delay", "--delay-ms", "2"}, 0);
    ASSERT_NE(fake_->port(), 0);
    // Feeds are not the subject here.
    const std::string base = test::without_feeds(read_file(kSource / "config/example.toml"));
    for (int i = 0; i < kDaemons; ++i) {
      std::string text = base;
      auto replace = [&](const std::string& from, const std::string& to, std::size_t pos = 0) {
        const std::size_t at = text.find(from, pos);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
      };
      const unsigned short port = free_port();
      ASSERT_NE(port, 0) << "no free loopback port below the ephemeral range";
      replace("listen = \"127.0.0.1:8470\"", "listen = \"127.0.0.1:" + std::to_string(port) + "\"");
      replace("url = \"sqlite3://state/fangfan.db\"", "url = \"" + scratch_->url() + "\"");
      ASSERT_NE(text.find("concurrency = " + std::to_string(kConcurrency)), std::string::npos);
      for (const auto& who : kWebhookPeople) {
        const std::string name = "name = \"" + who.substr(0, who.find('@')) + "\"";
        const std::size_t at = text.find(name);
        ASSERT_NE(at, std::string::npos) << name;
        replace("channels = [\"file\"]", "channels = [\"webhook\"]", at);
      }
      text += "\n[channels.webhook]\nenabled = true\nurl = \"http://127.0.0.1:" +
              std::to_string(fake_->port()) + "/hook\"\n";
      fs::create_directories(daemon_dir(i));
      fs::copy(kSource / "config/calendar", daemon_dir(i) / "calendar",
               fs::copy_options::recursive);
      std::ofstream(config(i)) << text;
    }
  }
  void TearDown() override {
    if (fake_) fake_->stop();
  }

  const fs::path& dir() const { return dir_.path(); }
  fs::path log() const { return dir() / "gateway.jsonl"; }
  fs::path daemon_dir(int i) const { return dir() / ("daemon-" + std::to_string(i)); }
  fs::path config(int i) const { return daemon_dir(i) / "fangfan.toml"; }
  Database& db() {
    if (!db_) db_.emplace(Database::open(scratch_->url()));
    return *db_;
  }
  long long count(const std::string& sql) {
    auto s = db().open_session();
    long long n = -1;
    *s << sql, soci::into(n);
    return n;
  }

  // The backlog: timers due an hour ago whose firing writes nothing else (an unreadable
  // payload is marked fired and skipped), and messages to the webhook people.
  void backlog(TimePoint now) {
    auto session = db().open_session();
    WriteTransaction tx(*session);
    for (int i = 0; i < kTimers; ++i) {
      NewTimer t;
      t.kind = "multi_daemon_test";
      t.step = "backlog";
      t.dedupe_key = "multi-daemon:" + std::to_string(i);
      t.due_at = now - 1h + std::chrono::seconds(i % 600);
      t.payload = "not json: fired and skipped";
      t.created_at = now - 2h;
      schedule_timer(*session, t);
    }
    for (int i = 0; i < kMessages; ++i) {
      NewOutboxMessage m;
      m.dedupe_key = "multi-daemon:" + std::to_string(i);
      m.channel = "webhook";
      m.recipient = kWebhookPeople[std::size_t(i) % kWebhookPeople.size()];
      m.message_type = "written_notice";
      m.body = "【防返贫监测】请核对东岭村走访记录，第" + std::to_string(i) + "条。";
      m.created_at = now - 1h;
      m.next_attempt_at = now - 1h;
      enqueue_outbox(*session, m);
    }
    tx.commit();
  }

  void start(int i) {
    daemons_[i] = std::make_unique<DaemonProcess>(daemon_dir(i));
    daemons_[i]->start(FANGFAND_PATH, {"--config", config(i).string()});
    ASSERT_TRUE(daemons_[i]->wait_notify("READY=1", 30s)) << daemons_[i]->log();
  }
  void kill(int i) {
    daemons_[i]->signal(SIGKILL);
    ASSERT_TRUE(daemons_[i]->wait_exit(10s));
    // A life that led must not be counted as leading after its death.
    lives_led_[i] = leader_lines(i);
  }
  int leader_lines(int i) const {
    const std::string text = read_file(daemon_dir(i) / "daemon.log");
    int n = 0;
    for (std::size_t at = 0; (at = text.find("leader.gained", at)) != std::string::npos; ++at) {
      ++n;
    }
    return n;
  }
  // How many daemons alive lead now (their log says leader.gained since their last start).
  int leaders_alive() const {
    int n = 0;
    for (int i = 0; i < kDaemons; ++i) n += leader_lines(i) > lives_led_[i] ? 1 : 0;
    return n;
  }

  test::TempDir dir_;
  std::optional<test::ScratchPgDatabase> scratch_;
  std::optional<Database> db_;
  std::unique_ptr<testing::FakeProviderProcess> fake_;
  std::unique_ptr<DaemonProcess> daemons_[kDaemons];
  int lives_led_[kDaemons] = {};
};

TEST_F(MultiDaemon, ThreeDaemonsKilledInTurnFireEachTimerOnceAndDeliverEveryMessage) {
  const TimePoint now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  migrate(db(), now);
  backlog(now);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < kDaemons; ++i) start(i);
  if (HasFatalFailure()) return;

  // Kill each in turn while they work (the first kills land in the backlog), start it again.
  int kills = 0, leader_checks = 0;
  for (int round = 0; round < 6; ++round) {
    const int victim = round % kDaemons;
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    EXPECT_LE(leaders_alive(), 1) << "two daemons alive lead at once";
    kill(victim);
    ++kills;
    start(victim);
    if (HasFatalFailure()) return;
    // Some daemon leads again within a few seconds (a follower retries every 2 s).
    for (int wait = 0; wait < 100 && leaders_alive() == 0; ++wait) {
      std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(leaders_alive(), 1) << "after killing daemon " << victim;
    ++leader_checks;
  }

  // Everything is done within the time limit.
  const std::string all_sent =
      "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE 'multi-daemon:%'"
      " AND status = 'sent'";
  const std::string all_fired =
      "SELECT COUNT(*) FROM timers WHERE kind = 'multi_daemon_test'"
      " AND state = 'fired'";
  for (int wait = 0; wait < 300; ++wait) {
    if (count(all_sent) == kMessages && count(all_fired) == kTimers) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(count(all_fired), kTimers);
  EXPECT_EQ(count(all_sent), kMessages);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE status = 'sending'"), 0);

  // Exactly once: no timer logged fired by two daemons (or two lives of one).
  std::map<long long, int> fired;
  std::set<long long> backlog_ids;
  {
    auto s = db().open_session();
    soci::rowset<long long> rs =
        (s->prepare << "SELECT id FROM timers WHERE kind = 'multi_daemon_test'");
    for (long long id : rs) backlog_ids.insert(id);
  }
  static const std::regex line(R"(scheduler\.fired timer=([0-9]+) )");
  int by_daemon[kDaemons] = {};
  for (int i = 0; i < kDaemons; ++i) {
    const std::string text = read_file(daemon_dir(i) / "daemon.log");
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      const long long id = std::stoll((*it)[1]);
      if (!backlog_ids.count(id)) continue;
      ++fired[id];
      ++by_daemon[i];
    }
  }
  int twice = 0;
  for (const auto& [id, n] : fired) twice += n > 1 ? 1 : 0;
  EXPECT_EQ(twice, 0) << "timers fired more than once";
  // A kill between a batch's commit and its log line leaves a fired timer unlogged: fine.
  EXPECT_GE(static_cast<int>(fired.size()), kTimers - kills * 256);

  // Every message reached the gateway; duplicates within the bound per kill.
  const std::vector<std::int64_t> hits = reached(log());
  const std::set<std::int64_t> distinct(hits.begin(), hits.end());
  EXPECT_GE(static_cast<int>(distinct.size()), kMessages);
  const int duplicates = static_cast<int>(hits.size() - distinct.size());
  EXPECT_LE(duplicates, kills * kDuplicatesPerKill);

  for (int i = 0; i < kDaemons; ++i) {
    daemons_[i]->signal(SIGTERM);
    const auto status = daemons_[i]->wait_exit(20s);
    ASSERT_TRUE(status) << daemons_[i]->log();
    EXPECT_EQ(*status, 0) << daemons_[i]->log();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf(
      "multi-daemon: %d daemons, %d kills, %d timers (fired per daemon %d/%d/%d), %d messages, "
      "%d sent again (bound %d), %.1f s\n",
      kDaemons, kills, kTimers, by_daemon[0], by_daemon[1], by_daemon[2], kMessages, duplicates,
      kills * kDuplicatesPerKill, seconds);
  EXPECT_EQ(leader_checks, 6);
}

}  // namespace
}  // namespace fangfan
