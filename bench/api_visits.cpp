// Recording visits through the HTTP API: requests per second and latency percentiles.
//
// Starts the API in-process as fangfand builds it (HttpApi on its own io_context thread, a
// StorageExecutor with two sessions, the timer hook on every case write) over a fresh SQLite
// database with the example county's configuration and the calendar of the source tree. Opens
// --cases cases through the API and takes each to registered with an assigned officer, then
// --clients keep-alive clients (Beast, all in one io_context on one thread) post record_visit
// events to them for --seconds, each waiting for its answer before sending the next.
//
//   api_visits [--seconds 10] [--clients 50] [--cases 2000] [--group 256]
//
// Each visit stays in its case's data, so a write costs more as its case collects visits. A
// monitored household is visited about monthly; 2,000 cases keep a run at the target rate
// (10,000/s for 10 s) at about 50 visits per case, a few years' worth, instead of the hundreds
// 200 cases would collect. The figure printed says how many each case got.
//
// Case writes are committed in groups as the daemon does (daemon/tasks/write_group.h): at most
// --group writes per transaction, one fsync each; --group 1 commits every write alone (before
// issue 15). Prints the count, requests per second and p50/p90/p99/max latency, each beside its
// target (issue 15), the writes per commit, and any non-200 answers.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/token_store.h"
#include "adapters/storage/wal_checkpointer.h"
#include "bench/example_county.h"
#include "bench/measure.h"
#include "daemon/api/http_api.h"
#include "daemon/tasks/storage_executor.h"
#include "daemon/tasks/write_group.h"
#include "workflows/date.h"
#include "workflows/household.h"
#include "workflows/id_number.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace fs = std::filesystem;
using asio::ip::tcp;
using Steady = std::chrono::steady_clock;
using namespace fangfan;
using bench::cpu_seconds;
using bench::read_text;
using bench::replace_once;
using bench::thread_cpu_seconds;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr int kSetupConnections = 16;
constexpr const char* kVillages[] = {"379901001001", "379901001002", "379901002001", "379901002002",
                                     "379901003001"};

// A generated (never real) ID number: county 379901, a birth date and sequence that differ for
// every n below 33,600, the sex digit, the check.
std::string id_number(int year, int n, bool male) {
  char first17[32];
  std::snprintf(first17, sizeof first17, "379901%04d%02d%02d%02d%d", year, 1 + (n / 100) % 12,
                1 + (n / 1200) % 28, n % 100, male ? 1 : 2);
  return std::string(first17) + id_check_char(first17);
}

json::object household(int n) {
  json::array members;
  members.push_back({{"name", "测试户主" + std::to_string(n)},
                     {"id_number", id_number(1960 + n % 30, n, true)},
                     {"relation", "head"},
                     {"able_to_work", true}});
  members.push_back({{"name", "测试配偶" + std::to_string(n)},
                     {"id_number", id_number(1962 + n % 30, n, false)},
                     {"relation", "spouse"}});
  char phone[16];
  std::snprintf(phone, sizeof phone, "138%08d", n % 100000000);
  const std::string village = kVillages[n % 5];
  char code[32];
  std::snprintf(code, sizeof code, "%s%04d", village.c_str(), n);
  return {{"code", code}, {"village_code", village}, {"phone", phone}, {"members", members}};
}

// A blocking client for the setup (one request per connection).
json::value call(unsigned short port, http::verb method, const std::string& target,
                 const std::string& token, const json::value& body, unsigned want) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + token);
  if (!body.is_null()) {
    req.set(http::field::content_type, "application/json");
    req.body() = json::serialize(body);
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  if (res.result_int() != want) {
    throw std::runtime_error(target + " answered " + std::to_string(res.result_int()) + ": " +
                             res.body());
  }
  return json::parse(res.body());
}

struct Results {
  std::vector<double> latencies_ms;
  std::map<unsigned, int> statuses;
  int failures = 0;
};

asio::awaitable<void> client(unsigned short port, std::string token, std::vector<std::int64_t> ids,
                             std::string date, Steady::time_point until, Results& results) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  auto [cec] = co_await stream.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), kAwait);
  if (cec) {
    ++results.failures;
    co_return;
  }
  beast::flat_buffer buffer;
  std::size_t next = 0;
  while (Steady::now() < until) {
    const std::int64_t id = ids[next++ % ids.size()];
    http::request<http::string_body> req{http::verb::post,
                                         "/api/v1/cases/" + std::to_string(id) + "/events", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + token);
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"type":"record_visit","date":")" + date +
                 R"(","officer":"第一书记赵*","findings":"收入稳定，政策落实"})";
    req.keep_alive(true);
    req.prepare_payload();
    const auto started = Steady::now();
    auto [wec, wn] = co_await http::async_write(stream, req, kAwait);
    http::response<http::string_body> res;
    if (!wec) {
      auto [rec, rn] = co_await http::async_read(stream, buffer, res, kAwait);
      if (rec) wec = rec;
    }
    if (wec) {
      ++results.failures;
      co_return;
    }
    results.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Steady::now() - started).count());
    ++results.statuses[res.result_int()];
  }
}

int int_flag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return std::stoi(argv[i + 1]);
  }
  return fallback;
}

// CPU seconds per thread, by thread id with its name.
using bench::ThreadCpu;
using bench::threads_cpu;

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t at = std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())));
  return sorted[at];
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = int_flag(argc, argv, "--seconds", 10);
  const int clients = int_flag(argc, argv, "--clients", 50);
  const int cases = int_flag(argc, argv, "--cases", 2000);
  const int group = int_flag(argc, argv, "--group", WriteGroup::kDefaultMaxGroup);

  const fs::path dir = fs::temp_directory_path() / ("fangfan-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path source = FANGFAN_SOURCE_DIR;
  std::string text = read_text(source / "config/example.toml");
  replace_once(text, "url = \"sqlite3://state/fangfan.db\"",
               "url = \"sqlite3://" + (dir / "fangfan.db").string() + "\"");
  replace_once(text, "dir = \"calendar\"",
               "dir = \"" + (source / "config/calendar").string() + "\"");
  auto loaded = load_config_text(text, dir / "fangfan.toml");
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    std::fprintf(stderr, "config: %s\n", errors->front().to_string().c_str());
    return 1;
  }
  auto config = std::get<std::shared_ptr<const Config>>(std::move(loaded));
  auto calendar_load = load_calendar_dir(config->calendar_dir);
  if (!calendar_load.calendar) {
    std::fprintf(stderr, "the calendar did not load\n");
    return 1;
  }
  auto calendar = std::make_shared<const WorkingDayCalendar>(std::move(*calendar_load.calendar));

  SimulatedClock clock(
      china_time(Date{std::chrono::year(2025) / std::chrono::March / 3}, std::chrono::hours(9)));
  auto db = std::make_shared<Database>(Database::open(config->storage_url));
  migrate(*db, clock.now());
  StorageExecutor storage(db, 2);
  asio::io_context server_io{1};
  // As the daemon does: every case write runs the deadline hook.
  const auto writer = make_case_writer(
      clock, [config] { return config; }, [calendar] { return calendar; });
  auto api = std::make_unique<HttpApi>(
      server_io.get_executor(), storage, clock, [config] { return config; }, [] {}, *writer);
  api->services().calendar = [calendar] { return calendar; };
  api->services().case_writes.set_max_group(group);  // before the loop runs
  if (auto error = api->listen("127.0.0.1:0")) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  const unsigned short port = api->local_endpoint().port();
  asio::co_spawn(server_io, api->run(), asio::detached);
  std::thread server_thread([&] {
    pthread_setname_np(pthread_self(), "api-loop");
    server_io.run();
  });

  std::string admin, clerk, office;
  {
    auto s = db->open_session();
    admin = create_api_token(*s, {"county_admin", "379901", "县管理员", clock.now()}).secret;
  }

  // Setup: open the cases and take them to registered with an officer, on several connections
  // at once (the writes share commits, as the run's do), so that thousands of cases take seconds.
  std::fprintf(stderr, "setting up %d cases...\n", cases);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(cases));
  const IncomeWindow w = income_window(month_of(china_date(clock.now())));
  json::array accounts;
  for (auto m = w.first; m <= w.last; m += std::chrono::months(1)) {
    accounts.push_back(
        {{"month", format_month(m)}, {"wage_income_fen", 20000}, {"medical_expense_fen", 25000}});
  }
  const auto events_of = [](std::int64_t id) {
    return "/api/v1/cases/" + std::to_string(id) + "/events";
  };
  const auto on_connections = [&](const std::function<void(int)>& each) {
    std::vector<std::thread> workers;
    std::atomic<int> next{0};
    std::exception_ptr failed;
    std::mutex failed_mutex;
    for (int t = 0; t < kSetupConnections; ++t) {
      workers.emplace_back([&] {
        try {
          for (int n = next++; n < cases; n = next++) each(n);
        } catch (...) {
          std::lock_guard lock(failed_mutex);
          failed = std::current_exception();
        }
      });
    }
    for (auto& t : workers) t.join();
    if (failed) std::rethrow_exception(failed);
  };
  on_connections([&](int n) {
    json::object open{{"household", household(n + 1)},
                      {"kind", "unstable"},
                      {"source", "self_application"},
                      {"risk_causes", json::array{"illness"}}};
    const json::value opened = call(port, http::verb::post, "/api/v1/cases", admin, open, 201);
    const std::int64_t id = opened.at("case").at("id").as_int64();
    ids[static_cast<std::size_t>(n)] = id;
    call(port, http::verb::post, events_of(id), admin,
         json::object{{"type", "start_verification"}, {"verifier", "镇扶贫办李*"}}, 200);
    call(port, http::verb::post, events_of(id), admin,
         json::object{{"type", "record_verification"},
                      {"accounts", accounts},
                      {"hardship", {{"basic_needs_affected", true}}}},
         200);
    call(port, http::verb::post, events_of(id), admin,
         json::object{{"type", "record_democratic_review"},
                      {"passed", true},
                      {"asset_authorisation_signed", true}},
         200);
    call(port, http::verb::post, events_of(id), admin,
         json::object{{"type", "record_county_review"}}, 200);
  });
  clock.advance(std::chrono::hours(24 * 14));  // past the 5-day publicity
  on_connections([&](int n) {
    const std::int64_t id = ids[static_cast<std::size_t>(n)];
    call(port, http::verb::post, events_of(id), admin, json::object{{"type", "close_publicity"}},
         200);
    call(port, http::verb::post, events_of(id), admin,
         json::object{{"type", "assign_officer"}, {"officer", "第一书记赵*"}}, 200);
  });
  const std::string today = format_date(china_date(clock.now()));

  // The setup's writes (answered, so the server is idle) are left out of the commit figures.
  const WriteGroup::Stats setup_writes = api->services().case_writes.stats();
  const std::string file = (dir / "fangfan.db").string();
  const storage_detail::WalCheckpointCounts setup_checkpoints =
      storage_detail::wal_checkpoint_counts(file);
  // The run: all clients on one io_context (one thread). The line below tells a profiler
  // attaching now (perf record -p) that the setup is over.
  std::fprintf(stderr, "running for %d s...\n", seconds);
  std::vector<Results> results(static_cast<std::size_t>(clients));
  asio::io_context client_io{1};
  const double cpu_before = cpu_seconds();
  const std::map<int, ThreadCpu> threads_before = threads_cpu();
  const auto started = Steady::now();
  const auto until = started + std::chrono::seconds(seconds);
  for (int c = 0; c < clients; ++c) {
    std::vector<std::int64_t> mine;  // each client walks its own slice of the cases
    for (std::size_t i = static_cast<std::size_t>(c); i < ids.size();
         i += static_cast<std::size_t>(clients)) {
      mine.push_back(ids[i]);
    }
    if (mine.empty()) mine.push_back(ids[static_cast<std::size_t>(c) % ids.size()]);
    asio::co_spawn(
        client_io,
        client(port, admin, std::move(mine), today, until, results[static_cast<std::size_t>(c)]),
        asio::detached);
  }
  const double client_cpu_before = thread_cpu_seconds();
  client_io.run();
  const double client_cpu = thread_cpu_seconds() - client_cpu_before;
  const double elapsed = std::chrono::duration<double>(Steady::now() - started).count();
  const double cpu = cpu_seconds() - cpu_before;
  std::map<int, ThreadCpu> threads_after = threads_cpu();

  std::vector<double> all;
  std::map<unsigned, int> statuses;
  int failures = 0;
  for (const auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    for (const auto& [s, n] : r.statuses) statuses[s] += n;
    failures += r.failures;
  }
  std::sort(all.begin(), all.end());
  // Before the sessions close (the last close ends the file's checkpointer and its counts).
  const storage_detail::WalCheckpointCounts checkpoints =
      storage_detail::wal_checkpoint_counts(file);
  api->stop();
  server_thread.join();
  storage.join();
  WriteGroup::Stats writes = api->services().case_writes.stats();
  writes.groups -= setup_writes.groups;
  writes.writes -= setup_writes.writes;

  std::printf("api_visits: %d clients (keep-alive), %d cases, SQLite, %.1f s, group <= %d\n",
              clients, cases, elapsed, group);
  std::printf("  requests     %zu (%.0f/s; target >= 10,000/s)\n", all.size(),
              double(all.size()) / elapsed);
  std::printf("  latency ms   p50 %.2f  p90 %.2f  p99 %.2f (target < 20)  max %.2f\n",
              percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99),
              all.empty() ? 0.0 : all.back());
  std::printf(
      "  commits      %lld for %lld case writes (%.1f per commit, largest of the whole run %lld)\n",
      static_cast<long long>(writes.groups), static_cast<long long>(writes.writes),
      writes.groups ? double(writes.writes) / double(writes.groups) : 0.0,
      static_cast<long long>(writes.largest));
  // Each round syncs the WAL and the database file: more rounds than the WAL's growth needs
  // (one per 1,000 pages) cost CPU on the checkpointer's thread.
  const std::int64_t frames = checkpoints.frames - setup_checkpoints.frames;
  std::printf(
      "  wal          %lld pages appended (%.1f per request, %.0f per commit), restarted %lld "
      "times\n",
      static_cast<long long>(frames), all.empty() ? 0.0 : double(frames) / double(all.size()),
      writes.groups ? double(frames) / double(writes.groups) : 0.0,
      static_cast<long long>(checkpoints.restarts - setup_checkpoints.restarts));
  std::printf(
      "  checkpoints  %lld rounds on the checkpointer's thread (%.2f CPU s), %lld remainders "
      "finished by a commit, %lld in commits past the bound\n",
      static_cast<long long>(checkpoints.background - setup_checkpoints.background),
      double(checkpoints.thread_cpu_ns - setup_checkpoints.thread_cpu_ns) / 1e9,
      static_cast<long long>(checkpoints.finished_on_commit - setup_checkpoints.finished_on_commit),
      static_cast<long long>(checkpoints.on_commit_path - setup_checkpoints.on_commit_path));
  // On a shared machine the rate measures the share of the 2 cores the process got; CPU per
  // request (server and clients together) does not.
  std::printf(
      "  cpu          %.2f s over %.1f s: %.3f ms per request (10,000/s on 2 cores needs "
      "< 0.2)\n",
      cpu, elapsed, all.empty() ? 0.0 : 1000 * cpu / double(all.size()));
  // The clients' own thread left out: what the daemon would spend (HTTP, decoding, the write,
  // its share of the commits).
  std::printf("  server cpu   %.2f s: %.3f ms per request (clients %.2f s)\n", cpu - client_cpu,
              all.empty() ? 0.0 : 1000 * (cpu - client_cpu) / double(all.size()), client_cpu);
  // Where the server's CPU went: the loop thread (HTTP, JSON), the storage threads (the writer:
  // load, decide, write, commit), the checkpointer (its rounds' copies and syncs).
  std::string per_thread;
  for (auto& [tid, t] : threads_after) {
    auto before = threads_before.find(tid);
    const double used = t.seconds - (before == threads_before.end() ? 0.0 : before->second.seconds);
    if (used < 0.05) continue;
    char item[96];
    std::snprintf(item, sizeof item, "%s%s %.2f", per_thread.empty() ? "" : ", ", t.name.c_str(),
                  used);
    per_thread += item;
  }
  std::printf("  threads cpu  %s s (main: the clients)\n", per_thread.c_str());
  std::printf("  visits       %.1f per case recorded in the run (%d cases)\n",
              double(all.size()) / double(cases), cases);
  for (const auto& [s, n] : statuses) std::printf("  status %u    %d\n", s, n);
  if (failures) std::printf("  connection failures %d\n", failures);

  api.reset();
  fs::remove_all(dir);
  return statuses.size() == 1 && statuses.count(200) && failures == 0 ? 0 : 1;
}
