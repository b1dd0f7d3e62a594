// Durable timers at county scale on SQLite (issue 5's benchmark): about a million pending timers
// for 100,000 cases, made by the same change hook the API installs (adapters/scheduler), then
// fired by the same code the daemon's scheduler runs, each timer at its own instant over one
// simulated month, and a restart to the first fired timer.
//
//   timers_bench [--cases N] [--batch N] [--open-batch N] [--dir FOLDER] [--keep] [--floor]
//   timers_bench --spread RATE [--spread-seconds S] [--cases N] [--dir FOLDER] [--keep]
//   timers_bench --create-only [--cases N] --dir FOLDER   (creates, keeps FOLDER/bench.db, stops)
//   timers_bench --burst-from FILE [--batch N] [--dir FOLDER]
//
// Figures printed, each with its target (issue 15) beside it: time to create the cases and their
// timers (timers per second), time to fire every timer due by 1 February 2025 as one burst at
// that instant (as after downtime) in batches of N per transaction (default 256, the daemon's;
// --batch 1 is one transaction per timer), peak resident memory (VmHWM), the database size, and
// the time from opening the database again to the first fired timer. FOLDER (default: a fresh
// folder under the system temp folder) holds the SQLite file; it is removed at the end unless
// --keep. --burst-from FILE fires the burst on a copy of a --create-only database (no create
// line): for profiling or comparing the burst alone, back to back on one created database.
// --floor: at the end, SQLite's own floor under the create and burst figures (sqlite_floor.h):
// the same rows written again through SQLite's C API alone, CPU per timer beside what the
// targets leave on SQLite's one writer.
//
// Each case: household verification started on a day of 2025 (spread evenly over the year) and
// assistance started the same instant, so it owns a step duty (reminder, due, two escalation
// rungs) and this month's visits and monitoring duties (reminder, due, rungs): 11 timers. Cases
// are stored as copies of one real case (the daemon's case writer), the hook runs 2,000 cases per
// transaction (--open-batch N: N), in its bulk form (bulk_opening.h: the cases planned on a
// second thread while this one writes; all their duties and timers written before the commit).
// The create line also gives the CPU seconds it took (on a shared machine the figure that moves
// least with other loads), and the writing thread's own (SQLite's one writer: the critical path).
// Firing uses the daemon's own batch (fire_due_batch): each timer in a savepoint, one commit (on
// SQLite with synchronous=FULL, one fsync) per batch.
//
// --spread RATE: a spread load instead of the burst. The cases are made the same way (by default
// enough for RATE x S timers), then RATE of their pending timers fall due in each of the next S
// seconds of the REAL clock, evenly over each second (due_at and the millisecond within it,
// timer_store.h: at 2,000/s two each millisecond), and the daemon's own Scheduler
// (daemon/tasks/scheduler.h) fires them on a SystemClock, with one more timer already due when
// it starts. Printed beside their targets: the lateness of each timer (when the scheduler logged
// it fired, after its batch committed, minus its due instant: second plus millisecond) p50, p99
// and max in ms; the first firing of each second (how exactly the loop wakes); restart to
// the first fired timer (opening the database, migrating, starting the scheduler); peak RSS;
// database bytes per case.
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/bulk_opening.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/scheduler/deadline_batch.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/case_store.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/timer_store.h"
#include "bench/example_county.h"
#include "bench/measure.h"
#include "bench/sqlite_floor.h"
#include "bench/template_cases.h"
#include "daemon/tasks/scheduler.h"
#include "daemon/tasks/storage_executor.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace {

using namespace fangfan;
using bench::cpu_seconds;
using bench::FixedClock;
using bench::id_number;
using bench::read_text;
using bench::replace_once;
using bench::TemplateCases;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr int kBatch = 2000;
constexpr const char* kVillage = "379901001001";

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

Household template_household() {
  Household h;
  h.code = "3799010010010000000";
  h.village_code = kVillage;
  h.phone = "13900009999";
  h.members = {{"赵大山", id_number("19700312", 131), Relation::kHead, true, false, false},
               {"钱小梅", id_number("19720805", 242), Relation::kSpouse, true, false, false},
               {"赵小川", id_number("20100101", 353), Relation::kChild, false, false, true}};
  return h;
}

// -- spread load ---------------------------------------------------------------------------------

using Wall = std::chrono::system_clock;

// Remembers when the scheduler logged each timer fired ("scheduler.fired timer=ID ..."): the
// instant its batch had committed and the loop took the result.
class FiredSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FiredSink(std::unordered_set<long long> watched) : watched_(std::move(watched)) {}
  // The watched timers that fired, and when. Read after the loop stopped.
  std::unordered_map<long long, Wall::time_point> fired;

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return fired.size();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    constexpr std::string_view kPrefix = "scheduler.fired timer=";
    if (text.substr(0, kPrefix.size()) != kPrefix) return;
    const long long id = std::atoll(std::string(text.substr(kPrefix.size(), 20)).c_str());
    if (watched_.contains(id)) fired.emplace(id, msg.time);
  }
  void flush_() override {}

 private:
  std::unordered_set<long long> watched_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

// The real clock moved by a whole number of seconds: it ticks in real time (the scheduler sleeps
// on it as on the SystemClock) but reads the bench's month, whose cases, duties and calendar
// the timers belong to.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(std::chrono::seconds offset) : offset_(offset) {}
  TimePoint now() const override {
    return std::chrono::floor<std::chrono::seconds>(Wall::now()) + offset_;
  }

 private:
  std::chrono::seconds offset_;
};

// The millisecond within its second at which the i-th of RATE timers a second falls due: evenly
// spread, the first at the second's start.
int due_within(std::size_t i, int rate) {
  return static_cast<int>(static_cast<long long>(i % static_cast<std::size_t>(rate)) * 1000 / rate);
}

double ms_between(Wall::time_point from, Wall::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// RATE x SECONDS pending timers made due evenly (to the millisecond) from a few seconds from
// now, fired by the
// daemon's Scheduler on the real clock shifted to `base` (the burst's instant). Returns the exit
// status.
int run_spread(const std::string& url, std::shared_ptr<const Config> config,
               std::shared_ptr<const WorkingDayCalendar> calendar, int rate, int seconds, int cases,
               const fs::path& file, TimePoint base) {
  const auto offset = base - std::chrono::floor<std::chrono::seconds>(Wall::now());
  const ShiftedClock clock(offset);
  const long long want = static_cast<long long>(rate) * seconds;
  std::vector<long long> ids;
  Wall::time_point first_due;
  long long restart_id = 0;
  {
    auto db = Database::open(url);
    auto session = db.open_session();
    soci::session& s = *session;
    soci::rowset<long long> rows =
        (s.prepare << "SELECT id FROM timers WHERE state = 'pending' ORDER BY due_at, id");
    for (long long id : rows) ids.push_back(id);
    if (static_cast<long long>(ids.size()) < want + 1) {
      std::cerr << "spread: only " << ids.size() << " pending timers for " << want
                << "; give more --cases\n";
      return 1;
    }
    restart_id = ids[static_cast<std::size_t>(want)];
    ids.resize(static_cast<std::size_t>(want));
    // The rest wait far ahead; the spread ones keep their order (a duty's reminder before its
    // due date before its rungs), RATE to each second from a few seconds from now.
    const TimePoint start = clock.now() + std::chrono::seconds{4};  // the bench's month
    first_due = start - offset;                                     // the real instant
    WriteTransaction tx(s);
    s << "UPDATE timers SET due_at = :far WHERE state = 'pending'",
        soci::use(to_epoch(TimePoint{start + std::chrono::days{3650}}));
    long long due = 0, id = 0;
    int due_ms = 0;
    soci::statement move =
        (s.prepare << "UPDATE timers SET due_at = :due, due_ms = :due_ms WHERE id = :id",
         soci::use(due), soci::use(due_ms), soci::use(id));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      id = ids[i];
      due = to_epoch(TimePoint{start}) + static_cast<long long>(i) / rate;
      due_ms = due_within(i, rate);
      move.execute(true);
    }
    id = restart_id;
    due = to_epoch(TimePoint{start}) - 10;  // already due when the scheduler starts
    due_ms = 0;
    move.execute(true);
    tx.commit();
    if (Wall::now() + std::chrono::milliseconds(500) > first_due) {
      std::cerr << "spread: setting the due times took too long; the first second is late\n";
    }
  }

  std::unordered_set<long long> watched(ids.begin(), ids.end());
  watched.insert(restart_id);
  auto sink = std::make_shared<FiredSink>(std::move(watched));
  auto logger = std::make_shared<spdlog::logger>("bench", sink);
  logger->set_level(spdlog::level::info);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  // -- restart: open, migrate, start the scheduler; it fires the timer already due first.
  const auto restarted = Wall::now();
  auto db = std::make_shared<Database>(Database::open(url));
  migrate(*db, clock.now());
  boost::asio::io_context io{1};
  StorageExecutor storage(db, 2);
  Scheduler scheduler(
      io.get_executor(), storage, clock, nullptr, [config] { return config; },
      [calendar] { return calendar; }, [] {});
  boost::asio::cancellation_signal stop;
  boost::asio::co_spawn(io, scheduler.run(),
                        boost::asio::bind_cancellation_slot(stop.slot(), boost::asio::detached));
  // Ends the run when every spread timer fired, or 30 s after the last one fell due.
  boost::asio::steady_timer check(io);
  const auto give_up = first_due + std::chrono::seconds{seconds + 30};
  std::function<void(boost::system::error_code)> look = [&](boost::system::error_code) {
    if (sink->count() >= ids.size() + 1 || Wall::now() > give_up) {
      stop.emit(boost::asio::cancellation_type::terminal);
      scheduler.wake();
      return;
    }
    check.expires_after(std::chrono::milliseconds(200));
    check.async_wait(look);
  };
  check.expires_after(std::chrono::milliseconds(200));
  check.async_wait(look);
  io.run();
  storage.join();
  spdlog::set_default_logger(previous);

  std::vector<double> late, first_of_second;
  std::map<long long, double> earliest;  // per due second: its first firing's lateness
  long long missing = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto at = sink->fired.find(ids[i]);
    if (at == sink->fired.end()) {
      ++missing;
      continue;
    }
    const long long second = static_cast<long long>(i) / rate;
    const double ms = ms_between(
        first_due + std::chrono::seconds{second} + std::chrono::milliseconds{due_within(i, rate)},
        at->second);
    late.push_back(ms);
    auto [e, fresh] = earliest.emplace(second, ms);
    if (!fresh) e->second = std::min(e->second, ms);
  }
  for (const auto& [second, ms] : earliest) first_of_second.push_back(ms);
  // A timer that did not fire was cancelled by an earlier firing (its duty closed), or is late.
  long long cancelled = 0;
  {
    auto session = db->open_session();
    std::string state;
    long long id = 0;
    soci::statement read = (session->prepare << "SELECT state FROM timers WHERE id = :id",
                            soci::use(id), soci::into(state));
    for (long long watched_id : ids) {
      if (sink->fired.contains(watched_id)) continue;
      id = watched_id;
      read.execute(true);
      if (state == "cancelled") ++cancelled;
    }
  }
  missing -= cancelled;
  std::printf(
      "spread: %d timers due each second, evenly over it, for %d s (%lld) through the daemon's "
      "scheduler on the real clock; %lld fired, %lld cancelled by earlier firings, %lld not "
      "fired\n",
      rate, seconds, want, static_cast<long long>(late.size()), cancelled, missing);
  std::printf("  lateness ms: p50 %.1f  p99 %.1f (target < 10)  max %.1f\n", percentile(late, 0.5),
              percentile(late, 0.99),
              late.empty() ? 0.0 : *std::max_element(late.begin(), late.end()));
  std::printf(
      "  first timer of each second (due at its start) fired, ms late: p50 %.1f  p99 %.1f\n",
      percentile(first_of_second, 0.5), percentile(first_of_second, 0.99));
  const auto restart_fire = sink->fired.find(restart_id);
  if (restart_fire != sink->fired.end()) {
    std::printf("restart: first timer fired %.1f ms after opening the database (keep ~2.7 ms)\n",
                ms_between(restarted, restart_fire->second));
  } else {
    std::printf("restart: the timer due at start did not fire\n");
  }
  std::printf("memory: peak resident %.1f MiB (VmHWM)\n",
              double(bench::status_kib("VmHWM:")) / 1024);
  db.reset();
  std::uintmax_t bytes = fs::file_size(file);
  if (fs::exists(file.string() + "-wal")) bytes += fs::file_size(file.string() + "-wal");
  std::printf("database: %.1f MiB, %.0f bytes per case (no target)\n",
              double(bytes) / (1024 * 1024), double(bytes) / std::max(1, cases));
  return missing == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 100000;
  fs::path dir;
  bool keep = false;
  fs::path burst_from;       // a --create-only run's database: no create phase
  bool create_only = false;  // keep the created database (for --burst-from) and stop
  bool floor = false;        // SQLite's own floor at the end (sqlite_floor.h)
  int batch = 256;           // the daemon's firing batch (daemon/tasks/scheduler.cpp)
  int spread = 0;            // timers due per second (spread load), 0: the burst
  int spread_seconds = 30;
  bool cases_given = false;
  int open_batch = kBatch;  // cases opened per transaction
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc) {
      cases = std::atoi(argv[++i]);
      cases_given = true;
    } else if (a == "--spread" && i + 1 < argc) {
      spread = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--spread-seconds" && i + 1 < argc) {
      spread_seconds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--open-batch" && i + 1 < argc) {
      open_batch = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--burst-from" && i + 1 < argc) {
      burst_from = fs::absolute(argv[++i]);
    } else if (a == "--create-only") {
      create_only = keep = true;
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--floor") {
      floor = true;
    } else {
      std::cerr << "usage: timers_bench [--cases N] [--batch N] [--open-batch N] [--dir FOLDER] "
                   "[--keep] [--floor]\n"
                   "       timers_bench --create-only [--cases N] --dir FOLDER\n"
                   "       timers_bench --burst-from FILE [--batch N] [--dir FOLDER]\n"
                   "       timers_bench --spread RATE [--spread-seconds S] [--cases N] [--dir "
                   "FOLDER] [--keep]\n";
      return 2;
    }
  }
  // About 11 timers per case: enough cases for the spread, with room.
  if (spread > 0 && !cases_given) cases = spread * spread_seconds / 9 + 1;
  if (cases < 1) cases = 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  if (dir.empty()) {
    dir = fs::temp_directory_path() / ("fangfan-timers-bench-" + std::to_string(::getpid()));
  }
  fs::create_directories(dir);
  spdlog::set_level(spdlog::level::warn);

  const fs::path source = FANGFAN_SOURCE_DIR;
  std::string text = read_text(source / "config/example.toml");
  replace_once(text, "url = \"sqlite3://state/fangfan.db\"",
               "url = \"sqlite3://" + (dir / "bench.db").string() + "\"");
  replace_once(text, "dir = \"calendar\"",
               "dir = \"" + (source / "config/calendar").string() + "\"");
  auto loaded = load_config_text(text, dir / "fangfan.toml");
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    std::cerr << errors->front().to_string() << "\n";
    return 1;
  }
  auto config = std::get<std::shared_ptr<const Config>>(std::move(loaded));
  auto calendar_load = load_calendar_dir(config->calendar_dir);
  if (!calendar_load.calendar) {
    std::cerr << "the calendar files of the source tree did not load\n";
    return 1;
  }
  auto calendar = std::make_shared<const WorkingDayCalendar>(std::move(*calendar_load.calendar));
  const TimePoint year_start =
      china_time(Date{std::chrono::year{2025} / 1 / 2}, std::chrono::hours(9));
  const TimePoint month_end = china_time(Date{std::chrono::year{2025} / 2 / 1});

  if (!burst_from.empty()) {
    fs::copy_file(burst_from, dir / "bench.db", fs::copy_options::overwrite_existing);
  }
  auto db = std::make_shared<Database>(Database::open(config->storage_url));
  migrate(*db, year_start);
  auto session = db->open_session();
  soci::session& s = *session;

  std::printf("timers_bench: %d cases, SQLite at %s\n", cases, (dir / "bench.db").c_str());

  long long timers = 0, pending_in_month = 0;
  if (burst_from.empty()) {
    // -- create: one real case, copied; the hook schedules each copy's duties and timers.
    const auto t_create = Steady::now();
    const double create_cpu = cpu_seconds();
    const double create_writer_cpu = bench::thread_cpu_seconds();
    FixedClock open_clock(year_start);
    // As the daemon writes cases: its opening duties come before timers_before below.
    const auto writer = make_case_writer(
        open_clock, [config] { return config; }, [calendar] { return calendar; });
    OpenCase open;
    open.meta = {"基准测试", year_start, ""};
    open.kind = "unstable";
    open.household = template_household();
    open.risk_causes = {RiskCause::kIllness};
    auto opened = writer->begin(*config).open_case(s, open);
    const auto* first = std::get_if<CaseChange>(&opened);
    if (!first) {
      std::cerr << "the template case was refused: " << std::get<Refusal>(opened).message << "\n";
      return 1;
    }
    // The daemon's bulk opening: each case planned on a second thread while this one writes the
    // cases and what was planned before; all their duties and timers written before the commit
    // (bulk_opening.h).
    BulkOpening deadlines(config, calendar);
    // The daemon's case writer session's page cache (storage-writer thread, case_store.h); the
    // session's own again for what follows.
    int cache_size = 0;
    s << "PRAGMA cache_size", soci::into(cache_size);
    widen_case_writer_cache(s);
    long long timers_before = 0;
    s << "SELECT COUNT(*) FROM timers", soci::into(timers_before);
    TemplateCases copies(s, *first, year_start, cases);
    for (int done = 0; done < cases;) {
      WriteTransaction tx(s);
      const int end = std::min(cases, done + open_batch);
      for (int k = 0; done < end; done += k) {
        k = std::min(static_cast<int>(BulkOpening::kChunk), end - done);
        copies.open_range(s, deadlines, done, k);
      }
      deadlines.flush(s);
      tx.commit();
    }
    s << "SELECT COUNT(*) FROM timers", soci::into(timers);
    s << "PRAGMA cache_size = " + std::to_string(cache_size);
    timers -= timers_before;
    const double create_s = seconds_since(t_create);
    const double writer_cpu = bench::thread_cpu_seconds() - create_writer_cpu;
    std::printf(
        "create: %d cases, %lld pending timers in %.1f s (%.0f timers/s, target >= 200000); %.1f s "
        "of CPU (%.0f timers per CPU second), %d cases per transaction; writing thread %.1f s of "
        "CPU (%.2f us per timer: %.0f timers/s when it has a core)\n",
        cases, timers, create_s, double(timers) / create_s, cpu_seconds() - create_cpu,
        double(timers) / (cpu_seconds() - create_cpu), open_batch, writer_cpu,
        writer_cpu * 1e6 / double(timers), double(timers) / writer_cpu);
  }
  s << "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND due_at <= :t",
      soci::use(static_cast<long long>(to_epoch(month_end))), soci::into(pending_in_month);
  if (create_only) return 0;
  // The created database as it is now, for the floor: every page in the main file (a TRUNCATE
  // checkpoint copies the WAL back and empties it), copied while nothing writes.
  const fs::path created = burst_from.empty() ? dir / "created.db" : burst_from;
  if (floor && spread == 0 && burst_from.empty()) {
    s << "PRAGMA wal_checkpoint(TRUNCATE)";
    fs::copy_file(dir / "bench.db", created, fs::copy_options::overwrite_existing);
  }
  if (spread > 0) {
    session.reset();
    db.reset();
    const int status = run_spread(config->storage_url, config, calendar, spread, spread_seconds,
                                  cases, dir / "bench.db", month_end);
    if (!keep) fs::remove_all(dir);
    return status;
  }

  // -- fire January as a burst: every timer due by 1 February fired at that instant (as after
  // downtime, or a month's backlog), in the daemon's batches: one transaction per batch.
  const auto t_fire = Steady::now();
  const double fire_cpu = cpu_seconds();
  long long fired = 0, messages = 0, follow_ups = 0, failed = 0, batches = 0;
  for (;;) {
    FiringBatch b = fire_due_batch(s, *config, *calendar, month_end, batch);
    if (b.claimed == 0) break;
    ++batches;
    failed += static_cast<long long>(b.failed.size());
    for (const FiredTimer& f : b.fired) {
      ++fired;
      messages += static_cast<long long>(f.outbox_ids.size());
      follow_ups += f.follow_up_timers;
    }
  }
  const double fire_s = seconds_since(t_fire);
  std::printf(
      "fire (burst): %lld timers due by 1 February 2025 (of %lld due by then) in %.1f s, %lld "
      "transactions of up to %d: %.0f timers/s (target >= 100000), %.3f ms each; %lld messages "
      "queued, %lld follow-up timers, %lld failed; %.2f s of CPU (%.0f timers per CPU second)\n",
      fired, pending_in_month, fire_s, batches, batch, double(fired) / fire_s,
      1000 * fire_s / double(fired), messages, follow_ups, failed, cpu_seconds() - fire_cpu,
      double(fired) / (cpu_seconds() - fire_cpu));
  std::printf("memory: peak resident %.1f MiB (VmHWM)\n",
              double(bench::status_kib("VmHWM:")) / 1024);
  session.reset();
  db.reset();
  std::printf("database: %.1f MiB\n", double(fs::file_size(dir / "bench.db")) / (1024 * 1024));

  // -- restart: open, check the schema, find and fire the first due timer.
  const auto t_restart = Steady::now();
  db = std::make_shared<Database>(Database::open(config->storage_url));
  migrate(*db, month_end);
  session = db->open_session();
  std::optional<TimerRecord> next = next_due_timer(*session);
  std::optional<FiredTimer> f;
  if (next) f = fire_next_due_timer(*session, *config, *calendar, next->due_at);
  const double restart_s = seconds_since(t_restart);
  if (!f) {
    std::cerr << "restart: no timer fired\n";
    return 1;
  }
  std::printf("restart: first timer fired %.1f ms after opening the database\n", 1000 * restart_s);
  session.reset();
  db.reset();
  bool floors = true;
  if (floor) {
    floors = bench::print_create_floor(created, dir / "floor.db", open_batch) && floors;
    floors = bench::print_burst_floor(created, dir / "bench.db", dir / "floor.db", batch) && floors;
  }
  if (!keep) fs::remove_all(dir);
  return floors ? 0 : 1;
}
