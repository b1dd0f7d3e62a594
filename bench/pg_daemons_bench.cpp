// Burst firing on PostgreSQL with one and with several daemons (issue 15, items 4 and 5).
//
//   pg_daemons_bench [--cases N] [--daemons 1,3] [--batch N] [--floor]
//
// For each daemon count D: a fresh database on the throwaway PostgreSQL server the tests use
// (scripts/pg-test-server, started here as tests/support/pg_server.h does; its data is thrown
// away, so it runs with fsync off), N cases whose timers are scheduled by the daemon's case hook
// in its batch form (deadline_batch.h, as timers_bench does on SQLite: about 11 timers per case,
// spread over 2025), the statistics gathered (ANALYZE, as autovacuum would have by then), then
// every timer due by 1 February 2025 fired as one burst by D firers at once. Each firer is what a
// daemon's scheduler runs: its own connection, fire_due_batch() in batches of N (default 256),
// the due timers taken FOR UPDATE SKIP LOCKED, until nothing unlocked is due. Printed: timers/s
// for each D beside the targets (one daemon >= 70,000/s; three faster than one), and
// that every due timer fired exactly once (none left pending, none fired twice: the state
// change is conditional), the CPU per timer of the firer threads and of their server backends
// (/proc/PID/stat of pg_backend_pid(): the server is local), and the statements (round trips)
// the firers sent per batch and per timer; and what the server wrote per timer: WAL bytes and
// the rows inserted, updated (HOT: without touching an index) and deleted in each table
// (pg_stat_user_tables, read once the firers' backends have exited and so reported them).
//
// --floor: instead, the server's own floor per fired timer, to tell how far the firer could go.
// On a fresh database set up as above, the daemon fires one batch (real outbox rows to copy),
// then one server backend alone fires the rest in batches (a PL/pgSQL procedure: plans cached,
// no client, no round trips, no values to parse), writing one outbox row per timer copied from
// the daemon's rows, in three shapes, each on its own fresh database:
//   as written  the timer row marked fired, the outbox row with every index and foreign key the
//               schema has: the rows the daemon writes, nothing else
//   moved out   the timer row deleted and its dedupe key kept in a table of fired keys; the
//               outbox row with what its readers need (primary key, dedupe key, the
//               dispatcher's due index, the case's foreign key): the leanest schema that keeps
//               exactly-once firing and the dispatcher's claims
//   barest      the timer row deleted; the outbox row with its primary key only (keeps nothing)
// Printed: the backend's CPU per timer for each, beside the CPU per timer a rate allows on this
// machine (cores / rate: 70,000/s on 2 cores leaves 28.6 us for the firer and the server).
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/scheduler/deadline_batch.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/migrations.h"
#include "bench/example_county.h"
#include "bench/measure.h"
#include "bench/template_cases.h"
#include "tests/support/pg_server.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace {

using namespace fangfan;
using bench::FixedClock;
using bench::id_number;
using bench::read_text;
using bench::replace_once;
using bench::TemplateCases;
using bench::thread_cpu_seconds;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr int kCasesPerTransaction = 2000;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// Rows a table got: inserted, updated, of those HOT (no index entry written), deleted.
struct TableWrites {
  long long inserted = 0, updated = 0, hot = 0, deleted = 0;
};
using Writes = std::map<std::string, TableWrites>;

Writes table_writes(soci::session& s) {
  s << "SELECT pg_stat_clear_snapshot()";
  Writes out;
  soci::rowset<soci::row> rows =
      (s.prepare << "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del"
                    " FROM pg_stat_user_tables");
  for (const auto& r : rows) {
    out[r.get<std::string>(0)] = {r.get<long long>(1), r.get<long long>(2), r.get<long long>(3),
                                  r.get<long long>(4)};
  }
  return out;
}

long long wal_bytes(soci::session& s) {
  long long at = 0;
  s << "SELECT CAST(pg_current_wal_lsn() - CAST('0/0' AS pg_lsn) AS BIGINT)", soci::into(at);
  return at;
}

struct Run {
  long long due = 0, fired = 0, left = 0, failed = 0, recorded = 0, batches = 0, statements = 0;
  double seconds = 0;
  double firer_cpu = 0, server_cpu = 0;  // CPU seconds of the firer threads, of their backends
  long long wal = 0;                     // WAL bytes written during the burst
  Writes writes;                         // rows per table during the burst
};

// CPU seconds (user + system) of process `pid`, from /proc/PID/stat: a firer's server backend
// (the throwaway server runs on this machine). 0 when it cannot be read.
double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t end = text.rfind(')');  // the command name may hold spaces
  if (end == std::string::npos) return 0;
  std::istringstream fields(text.substr(end + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields 3.. after the name: state is the 3rd; utime and stime are the 14th and 15th.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

// Statements the firers send during the burst (each a round trip to the server; the
// transaction's BEGIN and COMMIT, which do not pass the filter, come on top): counted through
// the storage's query filter (DatabaseOptions::query_filter), which every statement's text
// passes, each run of a kept prepared one included.
std::atomic<bool> counting{false};
std::atomic<long long> statements{0};

int backend_pid(soci::session& s) {
  int pid = 0;
  s << "SELECT pg_backend_pid()", soci::into(pid);
  return pid;
}

// The tables of the floor's shapes (--floor): 2 "moved out", 3 "barest"; 1 writes the
// schema's own tables.
void create_floor_tables(soci::session& s, int shape) {
  if (shape == 2) {
    s << "CREATE TABLE floor_fired (dedupe_key TEXT PRIMARY KEY, fired_at BIGINT NOT NULL)";
    s << "CREATE TABLE floor_outbox (LIKE outbox INCLUDING DEFAULTS INCLUDING CONSTRAINTS)";
    s << "ALTER TABLE floor_outbox ADD PRIMARY KEY (id), ADD UNIQUE (dedupe_key),"
         " ADD FOREIGN KEY (case_id) REFERENCES cases (id)";
    s << "CREATE INDEX floor_outbox_by_due ON floor_outbox (next_attempt_at, id)"
         " WHERE status = 'pending'";
  } else if (shape == 3) {
    s << "CREATE TABLE floor_outbox (LIKE outbox INCLUDING DEFAULTS INCLUDING CONSTRAINTS)";
    s << "ALTER TABLE floor_outbox ADD PRIMARY KEY (id)";
  }
}

// Fires every pending timer due by `until` in one server backend (--floor), in batches of
// `batch` in due order, one transaction each; the outbox rows are copies of those the daemon
// wrote so far (same channels, recipients, bodies), one per timer. Returns the timers fired.
long long fire_on_the_server(soci::session& s, int shape, int batch, long long until) {
  create_floor_tables(s, shape);
  s << "CREATE TABLE floor_samples AS SELECT CAST(row_number() OVER (ORDER BY id) - 1 AS INT) AS n,"
       " channel, recipient, message_type, body, person FROM outbox";
  long long samples = 0;
  s << "SELECT COUNT(*) FROM floor_samples", soci::into(samples);
  if (samples == 0) throw std::runtime_error("--floor: the daemon's first batch wrote no message");
  const std::string columns =
      " (dedupe_key, case_id, channel, recipient, message_type, body, next_attempt_at,"
      " created_at, person) SELECT 'floor/' || t.id, t.case_id, m.channel, m.recipient,"
      " m.message_type, m.body, until_at, until_at, m.person FROM ";
  const std::string sample = " JOIN floor_samples m ON m.n = t.id % samples";
  std::string write;
  if (shape == 1) {
    write =
        "UPDATE timers SET state = 'fired', fired_at = until_at"
        " WHERE id = ANY(ids) AND state = 'pending';"
        " INSERT INTO outbox" +
        columns + "timers t" + sample +
        " WHERE t.id = ANY(ids) ON CONFLICT (dedupe_key) DO NOTHING;";
  } else {
    write = "WITH t AS (DELETE FROM timers WHERE id = ANY(ids) RETURNING id, case_id, dedupe_key)";
    if (shape == 2) {
      write += ", k AS (INSERT INTO floor_fired SELECT dedupe_key, until_at FROM t)";
    }
    write += " INSERT INTO floor_outbox" + columns + "t" + sample +
             (shape == 2 ? " ON CONFLICT (dedupe_key) DO NOTHING;" : ";");
  }
  s << "CREATE PROCEDURE floor_fire(batch INT, until_at BIGINT, samples INT) LANGUAGE plpgsql AS $$"
       " DECLARE ids BIGINT[];"
       " BEGIN LOOP"
       "  SELECT array_agg(id) INTO ids FROM (SELECT id FROM timers"
       "   WHERE state = 'pending' AND due_at <= until_at ORDER BY due_at, due_ms, id"
       "   LIMIT batch FOR UPDATE SKIP LOCKED) due;"
       "  EXIT WHEN ids IS NULL; " +
           write +
           "  COMMIT;"
           " END LOOP; END $$";
  long long before = 0, after = 0;
  const std::string left =
      "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND due_at <= " + std::to_string(until);
  s << left, soci::into(before);
  s << "CALL floor_fire(" + std::to_string(batch) + ", " + std::to_string(until) + ", " +
           std::to_string(samples) + ")";
  s << left, soci::into(after);
  if (after != 0) throw std::runtime_error("--floor: due timers left pending");
  return before;
}

// One database: N cases and their timers, then the burst by `daemons` firers.
Run run_once(const std::string& url, int cases, int daemons, int batch, int floor_shape) {
  const fs::path source = FANGFAN_SOURCE_DIR;
  std::string text = read_text(source / "config/example.toml");
  replace_once(text, "url = \"sqlite3://state/fangfan.db\"", "url = \"" + url + "\"");
  replace_once(text, "dir = \"calendar\"",
               "dir = \"" + (source / "config/calendar").string() + "\"");
  auto loaded = load_config_text(text, fs::temp_directory_path() / "fangfan.toml");
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    throw std::runtime_error(errors->front().to_string());
  }
  auto config = std::get<std::shared_ptr<const Config>>(std::move(loaded));
  auto calendar_load = load_calendar_dir(config->calendar_dir);
  if (!calendar_load.calendar) throw std::runtime_error("the calendar files did not load");
  auto calendar = std::make_shared<const WorkingDayCalendar>(std::move(*calendar_load.calendar));
  const TimePoint year_start =
      china_time(Date{std::chrono::year{2025} / 1 / 2}, std::chrono::hours(9));
  const TimePoint month_end = china_time(Date{std::chrono::year{2025} / 2 / 1});

  DatabaseOptions options;
  options.query_filter = [](const std::string& sql) {
    if (counting) ++statements;
    return sql;
  };
  Database db = Database::open(url, options);
  migrate(db, year_start);
  auto session = db.open_session();
  soci::session& s = *session;

  const auto t_open = Steady::now();
  // -- the cases, copies of one real case; the hook schedules each copy's duties and timers.
  FixedClock open_clock(year_start);
  const auto writer = make_case_writer(
      open_clock, [config] { return config; }, [calendar] { return calendar; });
  OpenCase open;
  open.meta = {"基准测试", year_start, ""};
  open.kind = "unstable";
  open.household.code = "3799010010010000000";
  open.household.village_code = "379901001001";
  open.household.phone = "13900009999";
  open.household.members = {
      {"赵大山", id_number("19700312", 131), Relation::kHead, true, false, false},
      {"钱小梅", id_number("19720805", 242), Relation::kSpouse, true, false, false}};
  open.risk_causes = {RiskCause::kIllness};
  auto opened = writer->begin(*config).open_case(s, open);
  const auto* first = std::get_if<CaseChange>(&opened);
  if (!first) throw std::runtime_error(std::get<Refusal>(opened).message);
  // The daemon's hook for a transaction of many cases (deadline_batch.h), as timers_bench opens
  // them: the setup is not what is measured.
  DeadlineBatch deadlines(config, calendar);
  TemplateCases copies(s, *first, year_start, cases);
  for (int done = 0; done < cases;) {
    WriteTransaction tx(s);
    for (int n = 0; n < kCasesPerTransaction && done < cases; ++n, ++done) {
      copies.open(s, deadlines, done);
    }
    deadlines.flush(s);
    tx.commit();
  }
  // A database that has run a while has its statistics (autovacuum analyzes a table after a
  // tenth of it changed); one just filled has not yet, and the planner would guess.
  s << "ANALYZE";
  const long long until = to_epoch(month_end);
  Run run;
  s << "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND due_at <= :t", soci::use(until),
      soci::into(run.due);
  // A mark for whoever profiles the burst alone (perf record from this line on).
  std::printf("  %d cases opened in %.1f s; %lld timers due: firing\n", cases,
              seconds_since(t_open), run.due);

  if (floor_shape != 0) {
    // One batch by the daemon: the outbox rows the floor copies; the server fires the rest.
    fire_due_batch(s, *config, *calendar, month_end, batch);
    const int pid = backend_pid(s);
    const double cpu0 = process_cpu_seconds(pid);
    const auto t0 = Steady::now();
    run.fired = fire_on_the_server(s, floor_shape, batch, until);
    run.seconds = seconds_since(t0);
    run.server_cpu = process_cpu_seconds(pid) - cpu0;
    return run;
  }
  // -- the burst: `daemons` firers at once, each on its own connection, opened beforehand.
  std::vector<std::unique_ptr<soci::session>> sessions;
  std::vector<int> backends;
  for (int d = 0; d < daemons; ++d) {
    sessions.push_back(db.open_session());
    int pid = 0;
    *sessions.back() << "SELECT pg_backend_pid()", soci::into(pid);
    backends.push_back(pid);
  }
  std::vector<double> server_cpu(backends.size());
  for (std::size_t d = 0; d < backends.size(); ++d)
    server_cpu[d] = process_cpu_seconds(backends[d]);
  const Writes writes_before = table_writes(s);
  const long long wal_before = wal_bytes(s);
  std::atomic<long long> fired{0}, failed{0}, batches{0};
  std::atomic<long long> firer_cpu_ns{0};
  std::vector<std::thread> firers;
  statements = 0;
  counting = true;
  const auto t0 = Steady::now();
  for (int d = 0; d < daemons; ++d) {
    firers.emplace_back([&, d] {
      const double cpu0 = thread_cpu_seconds();
      for (;;) {
        FiringBatch b = fire_due_batch(*sessions[d], *config, *calendar, month_end, batch);
        if (b.claimed == 0) break;
        ++batches;
        fired += static_cast<long long>(b.fired.size());
        failed += static_cast<long long>(b.failed.size());
      }
      firer_cpu_ns += static_cast<long long>((thread_cpu_seconds() - cpu0) * 1e9);
    });
  }
  for (auto& t : firers) t.join();
  run.seconds = seconds_since(t0);
  counting = false;
  for (std::size_t d = 0; d < backends.size(); ++d) {
    run.server_cpu += process_cpu_seconds(backends[d]) - server_cpu[d];
  }
  run.firer_cpu = double(firer_cpu_ns) / 1e9;
  run.wal = wal_bytes(s) - wal_before;
  sessions.clear();
  // A backend reports its table statistics when it exits: wait for the firers' (up to 10 s).
  std::string pids;
  for (const int pid : backends) pids += (pids.empty() ? "" : ",") + std::to_string(pid);
  for (int i = 0; i < 1000; ++i) {
    long long alive = 0;
    s << "SELECT COUNT(*) FROM pg_stat_activity WHERE pid IN (" + pids + ")", soci::into(alive);
    if (alive == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& [table, w] : table_writes(s)) {
    const TableWrites& b = writes_before.count(table) ? writes_before.at(table) : TableWrites{};
    const TableWrites d{w.inserted - b.inserted, w.updated - b.updated, w.hot - b.hot,
                        w.deleted - b.deleted};
    if (d.inserted || d.updated || d.deleted) run.writes[table] = d;
  }
  run.statements = statements;
  run.batches = batches;
  run.fired = fired;
  run.failed = failed;
  s << "SELECT COUNT(*) FROM timers WHERE state = 'pending' AND due_at <= :t", soci::use(until),
      soci::into(run.left);
  // Every firing the firers counted is one timer marked fired at the burst's instant.
  s << "SELECT COUNT(*) FROM timers WHERE state = 'fired' AND fired_at = :t", soci::use(until),
      soci::into(run.recorded);
  return run;
}

// --floor: the server's CPU per timer for each shape, beside what the rates allow here.
int print_floor(const test::PgTestServer& pg, int cases, int batch) {
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf("server floor: one backend fires alone (PL/pgSQL, no client, no round trips)\n");
  const char* shapes[] = {
      "as written (timer marked fired; outbox row with all its indexes and foreign keys)",
      "moved out (timer deleted, its key kept; outbox with primary key, dedupe key, due index, "
      "case foreign key)",
      "barest (timer deleted; outbox with its primary key only: keeps no guarantee)"};
  for (int shape = 1; shape <= 3; ++shape) {
    test::ScratchPgDatabase scratch(pg);
    const Run r = run_once(scratch.url(), cases, 1, batch, shape);
    std::printf("  %s: %.1f us CPU per timer in the backend (%lld timers in %.2f s)\n",
                shapes[shape - 1], 1e6 * r.server_cpu / double(std::max(1LL, r.fired)), r.fired,
                r.seconds);
  }
  std::printf(
      "  CPU per timer a rate allows on %.0f cores, firer and server together: 70,000/s %.1f us,"
      " 30,000/s %.1f us\n",
      cores, 1e6 * cores / 70000, 1e6 * cores / 30000);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 20000, batch = 256;
  bool floor = false;
  std::vector<int> counts = {1, 3};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cases" && i + 1 < argc) {
      cases = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--floor") {
      floor = true;
    } else if (a == "--daemons" && i + 1 < argc) {
      counts.clear();
      std::stringstream list(argv[++i]);
      for (std::string n; std::getline(list, n, ',');) counts.push_back(std::max(1, std::stoi(n)));
    } else {
      std::cerr << "usage: pg_daemons_bench [--cases N] [--daemons 1,3] [--batch N] [--floor]\n";
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  spdlog::set_level(spdlog::level::warn);
  // The throwaway server this run starts is stopped whichever way main returns.
  struct StopServer {
    ~StopServer() { test::stop_self_started_pg_server(); }
  } stop_server;
  const test::PgTestServer& pg = test::pg_test_server();
  if (pg.status != test::PgTestServer::Status::kReady) {
    std::cerr << "pg_daemons_bench: no throwaway PostgreSQL server: " << pg.reason << "\n";
    return pg.status == test::PgTestServer::Status::kAbsent ? 77 : 1;
  }
  std::printf("pg_daemons_bench: %d cases, batch %d, PostgreSQL %s:%d (throwaway, fsync off)\n",
              cases, batch, pg.host.c_str(), pg.port);
  if (floor) return print_floor(pg, cases, batch);
  double one = 0;
  bool exact = true;
  for (const int daemons : counts) {
    test::ScratchPgDatabase scratch(pg);
    const Run r = run_once(scratch.url(), cases, daemons, batch, 0);
    const double rate = double(r.fired) / r.seconds;
    if (daemons == 1) one = rate;
    std::printf(
        "fire (burst) with %d daemon%s: %lld of %lld due timers in %.2f s: %.0f timers/s "
        "(target: one daemon >= 70000/s%s); left pending %lld, failed %lld\n",
        daemons, daemons == 1 ? "" : "s", r.fired, r.due, r.seconds, rate,
        daemons == 1 || one == 0
            ? ""
            : (rate > one ? "; faster than one: yes" : "; faster than one: NO"),
        r.left, r.failed);
    std::printf("  CPU per timer: %.1f us in the firer%s, %.1f us in %s server backend%s\n",
                1e6 * r.firer_cpu / double(std::max(1LL, r.fired)), daemons == 1 ? "" : "s",
                1e6 * r.server_cpu / double(std::max(1LL, r.fired)), daemons == 1 ? "its" : "their",
                daemons == 1 ? "" : "s");
    std::printf(
        "  %lld batches, %lld statements (round trips, BEGIN/COMMIT not counted): %.1f per "
        "batch, %.2f per timer\n",
        r.batches, r.statements, double(r.statements) / double(std::max(1LL, r.batches)),
        double(r.statements) / double(std::max(1LL, r.fired)));
    const double per = 1.0 / double(std::max(1LL, r.fired));
    std::printf("  written per timer: %.0f bytes of WAL; rows", per * double(r.wal));
    for (const auto& [table, w] : r.writes) {
      std::printf(" %s", table.c_str());
      if (w.inserted) std::printf(" +%.2f", per * double(w.inserted));
      if (w.updated) std::printf(" ~%.2f (HOT %.2f)", per * double(w.updated), per * double(w.hot));
      if (w.deleted) std::printf(" -%.2f", per * double(w.deleted));
      std::printf(";");
    }
    std::printf("\n");
    // Firing a month's timer may schedule follow-ups due within the burst: fired >= due.
    exact = exact && r.fired >= r.due && r.left == 0 && r.fired == r.recorded;
  }
  if (!exact) {
    std::printf("NOT every due timer fired exactly once\n");
    return 1;
  }
  return 0;
}
