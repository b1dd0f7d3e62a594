// Outbox drain: N queued messages (default 100,000) drain through the real OutboxDispatcher at a
// configured concurrency, on SQLite, a PostgreSQL URL, or with `--db postgresql` a scratch
// database on the tests' throwaway PostgreSQL server (started and stopped here, fsync off), to
// either
//   --channel webhook  the generic JSON webhook gateway over loopback HTTP (curl multi,
//                      keep-alive) to the fake provider, which checks every request and counts
//                      it (keeps none); the fake runs in a forked child so its memory and CPU
//                      are not counted here;
//   --channel memory   an in-process channel that answers at once (dispatcher + storage cost).
// Prints enqueue rate, drain rate (messages/s) beside the target, the most requests the HTTP
// client had on the wire at once, the duplicate bound at this concurrency, and peak RSS (VmHWM)
// of this process. Claims are one statement per batch and answers are written in groups in the
// background (issue 15); with the webhook the fake provider (one thread) and the HTTP client's
// work per request take most of the CPU, the memory channel shows the dispatcher + storage cost.
//
//   build/bench/outbox_drain [--messages N] [--concurrency C] [--channel webhook|memory]
//                            [--recipients R] [--db URL|postgresql]
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "adapters/channels/webhook_channel.h"
#include "adapters/clock/system_clock.h"
#include "adapters/http/http_client.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "bench/measure.h"
#include "daemon/tasks/outbox_dispatcher.h"
#include "tests/support/fake_providers.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

using bench::cpu_seconds;

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

std::string proc_status(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      auto v = line.substr(std::string(key).size());
      return v.substr(v.find_first_not_of(" \t"));
    }
  }
  return "?";
}

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

class InstantChannel final : public Channel {
 public:
  const std::string& name() const override { return name_; }
  asio::awaitable<DeliveryResult> deliver(OutgoingMessage m) override {
    // Yield once, as a real asynchronous channel would.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    co_return DeliveryResult::sent("mem-" + std::to_string(m.outbox_id));
  }

 private:
  std::string name_ = "webhook";
};

// Runs the fake providers in a child process; returns its port and pid. The child exits when
// the parent closes `*stop_fd`.
std::pair<unsigned short, pid_t> start_fake(int* stop_fd) {
  int port_pipe[2], stop_pipe[2];
  if (::pipe(port_pipe) != 0 || ::pipe(stop_pipe) != 0) std::exit(2);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(port_pipe[0]);
    ::close(stop_pipe[1]);
    testing::FakeProviders fake;
    fake.count_only();  // checks every request, keeps none: its memory and CPU stay flat
    const unsigned short port = fake.port();
    if (::write(port_pipe[1], &port, sizeof port) != sizeof port) _exit(2);
    char c;
    while (::read(stop_pipe[0], &c, 1) > 0) {
    }
    // Not the fake's own peak in flight: it counts only its synchronous handler, which on its
    // one thread is always 1. The client's count (printed by the parent) is what went out at
    // once.
    std::fprintf(stderr, "fake provider: %lld requests (%lld accepted) over %d connections\n",
                 fake.request_count(), fake.accepted_count(), fake.connections());
    _exit(0);
  }
  ::close(port_pipe[1]);
  ::close(stop_pipe[0]);
  unsigned short port = 0;
  if (::read(port_pipe[0], &port, sizeof port) != sizeof port) std::exit(2);
  ::close(port_pipe[0]);
  *stop_fd = stop_pipe[1];
  return {port, pid};
}

int run(int argc, char** argv) {
  int messages = 100000, concurrency = 32, recipients = 1000;
  std::string channel_kind = "webhook", url;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--messages") {
      messages = std::stoi(v);
    } else if (k == "--concurrency") {
      concurrency = std::stoi(v);
    } else if (k == "--channel") {
      channel_kind = v;
    } else if (k == "--recipients") {
      recipients = std::stoi(v);
    } else if (k == "--db") {
      url = v;
    } else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }

  spdlog::set_level(spdlog::level::warn);  // one info line per message would dominate
  // `--db postgresql`: the throwaway server this run starts is stopped whichever way it returns,
  // after the scratch database is dropped (declared after it) and every connection closed.
  struct StopServer {
    bool started = false;
    ~StopServer() {
      if (started) test::stop_self_started_pg_server();
    }
  } stop_server;
  std::unique_ptr<test::ScratchPgDatabase> scratch;
  if (url == "postgresql") {
    stop_server.started = true;
    const test::PgTestServer& pg = test::pg_test_server();
    if (pg.status != test::PgTestServer::Status::kReady) {
      std::cerr << "outbox_drain: no throwaway PostgreSQL server: " << pg.reason << "\n";
      return pg.status == test::PgTestServer::Status::kAbsent ? 77 : 1;
    }
    scratch = std::make_unique<test::ScratchPgDatabase>(pg);
    url = scratch->url();
    std::printf("PostgreSQL %s:%d (throwaway, fsync off), database %s\n", pg.host.c_str(), pg.port,
                scratch->name().c_str());
  }
  int stop_fd = -1;
  pid_t fake_pid = -1;
  unsigned short port = 0;
  if (channel_kind == "webhook") std::tie(port, fake_pid) = start_fake(&stop_fd);

  const fs::path dir =
      fs::temp_directory_path() / ("fangfan-outbox-bench-" + std::to_string(::getpid()));
  if (url.empty()) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    url = "sqlite3://" + (dir / "bench.db").string();
  }
  SimulatedClock clock(TimePoint{std::chrono::seconds{1741050000}});  // 2025-03-04 09:00 CST
  auto db = std::make_shared<Database>(Database::open(url));
  migrate(*db, clock.now());

  auto start = Steady::now();
  {
    auto s = db->open_session();
    constexpr int kChunk = 5000;
    for (int done = 0; done < messages;) {
      WriteTransaction tx(*s);
      for (int i = 0; i < kChunk && done < messages; ++i, ++done) {
        NewOutboxMessage m;
        m.dedupe_key = "bench:" + std::to_string(done);
        m.channel = "webhook";
        m.recipient = "r" + std::to_string(done % recipients);
        m.message_type = "written_notice";
        m.body = R"({"case_id":")" + std::to_string(done) +
                 R"(","household":"王*","village":"东村","text":"请于三日内补充收入证明材料"})";
        m.created_at = clock.now();
        m.next_attempt_at = clock.now();
        enqueue_outbox(*s, m);
      }
      tx.commit();
    }
  }
  const double enqueue_s = seconds_since(start);
  std::printf("enqueued %d messages in %.2f s (%.0f/s)\n", messages, enqueue_s,
              messages / enqueue_s);

  auto config = std::make_shared<Config>();
  config->delivery.concurrency = concurrency;
  config->delivery.per_recipient_per_minute.clear();
  config->channels.webhook.enabled = true;
  config->channels.webhook.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";

  asio::io_context io(1);
  StorageExecutor storage(db, 2);
  HttpClientOptions http_options;
  http_options.max_in_flight = concurrency;
  http_options.max_host_connections = concurrency;
  http_options.max_total_connections = concurrency;
  HttpClient http(io, http_options);  // on the loop, as the daemon runs it
  SystemClock wall;
  OutboxDispatcher dispatcher(io.get_executor(), storage, clock, config);
  if (channel_kind == "webhook") {
    dispatcher.add_channel(std::make_shared<WebhookChannel>(config->channels.webhook, http, wall,
                                                            std::chrono::milliseconds(10000)));
  } else {
    dispatcher.add_channel(std::make_shared<InstantChannel>());
  }

  start = Steady::now();
  const double cpu_start = cpu_seconds(RUSAGE_SELF);
  const std::map<int, bench::ThreadCpu> threads_before = bench::threads_cpu();
  auto done = asio::co_spawn(io, dispatcher.dispatch_due(), asio::use_future);
  io.run();
  done.get();
  const double drain_s = seconds_since(start);
  const double drain_cpu = cpu_seconds(RUSAGE_SELF) - cpu_start;
  const std::map<int, bench::ThreadCpu> threads_after = bench::threads_cpu();
  storage.join();

  long long sent = 0;
  {
    auto s = db->open_session();
    *s << "SELECT COUNT(*) FROM outbox WHERE status = 'sent'", soci::into(sent);
  }
  const auto& st = dispatcher.stats();
  std::printf("channel %s, concurrency %d, %d recipients, %s\n", channel_kind.c_str(), concurrency,
              recipients, url.rfind("sqlite3://", 0) == 0 ? "SQLite" : "PostgreSQL");
  std::printf(
      "drained %lld sent (retried %lld, failed %lld) in %.2f s: %.0f messages/s (target >= "
      "30,000/s at concurrency 32, issue 15)\n",
      st.sent, st.retried, st.failed, drain_s, st.sent / drain_s);
  std::printf("rows sent in the database: %lld of %d\n", sent, messages);
  // Each write is a commit (a sync of the disk on SQLite); the duplicate bound caps what waits
  // unrecorded, so it caps the answers one commit can hold.
  const long long commits = st.answer_writes + st.claims;
  std::printf(
      "commits: %lld (%.0f/s, %.1f messages each): %lld of answers alone (%.1f answers each), "
      "%lld claims (%.1f messages each, carrying %.1f answers)\n",
      commits, commits / drain_s, double(messages) / double(std::max(1LL, commits)),
      st.answer_writes, double(st.answers_written) / double(std::max(1LL, st.answer_writes)),
      st.claims, double(st.claimed) / double(std::max(1LL, st.claims)),
      double(st.answers_with_claims) / double(std::max(1LL, st.claims)));
  std::printf("duplicate bound (sent again after a SIGKILL, at most): %d messages\n",
              OutboxDispatcher::unrecorded_bound(concurrency));
  if (channel_kind == "webhook") {
    std::printf("in flight at most: %d requests on the wire at once (concurrency %d)\n",
                http.peak_in_flight(), concurrency);
  }
  std::printf("peak RSS (VmHWM) %s, RSS now %s\n", proc_status("VmHWM:").c_str(),
              proc_status("VmRSS:").c_str());
  // On PostgreSQL the server's CPU is in neither figure (its processes are not this one's).
  std::printf("CPU per message: dispatcher process %.1f us", 1e6 * drain_cpu / messages);
  if (stop_fd >= 0) {
    // Children waited for before (`--db postgresql`: the throwaway server's start script) are
    // not the fake's.
    const double children_before = cpu_seconds(RUSAGE_CHILDREN);
    ::close(stop_fd);
    ::waitpid(fake_pid, nullptr, 0);
    // The fake's whole life (it idles while the messages are queued).
    std::printf(", fake provider %.1f us",
                1e6 * (cpu_seconds(RUSAGE_CHILDREN) - children_before) / messages);
  }
  std::printf("\n");
  // The loop (this thread: dispatcher, channel, curl multi) against the storage threads (claims,
  // answers, reads; unnamed pool threads) and the WAL checkpointer, in clock ticks (10 ms).
  double loop_cpu = 0, storage_cpu = 0, checkpoint_cpu = 0;
  for (const auto& [tid, after] : threads_after) {
    const auto before = threads_before.find(tid);
    const double used =
        after.seconds - (before == threads_before.end() ? 0 : before->second.seconds);
    if (tid == ::getpid()) {
      loop_cpu += used;
    } else if (after.name == "wal-checkpoint") {
      checkpoint_cpu += used;
    } else {
      storage_cpu += used;
    }
  }
  std::printf(
      "CPU per message by thread: loop %.1f us, storage %.1f us, WAL checkpointer %.1f us\n",
      1e6 * loop_cpu / messages, 1e6 * storage_cpu / messages, 1e6 * checkpoint_cpu / messages);
  fs::remove_all(dir);
  return sent == messages ? 0 : 1;
}

}  // namespace
}  // namespace fangfan

int main(int argc, char** argv) { return fangfan::run(argc, argv); }
