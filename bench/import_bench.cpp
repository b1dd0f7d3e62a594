// `fangfanctl import` at county scale, beside bench/feed_ingest (issue 12): a 1-million-row
// visits file (走访记录) as GBK CSV and as XLSX through the importer (adapters/import/importer.h)
// on SQLite in a temporary folder, against households of the example county whose emergency cases
// (先帮扶后认定) have an officer, so that every row can apply.
//
//   import_bench [--rows N] [--households H] [--apply N] [--step N] [--dir FOLDER] [--keep]
//
// Two passes are timed per file, as ImportJob runs them: start() (the file read through by the
// streaming readers, its rows counted, the run recorded) over the whole file, then step()
// applying the first --apply rows (default 20,000; 0 = all) in steps of --step rows (default
// ImportJob::kRowsPerStep, the daemon's): each row checked like the API call and applied through
// the case writer with the daemon's deadline hook, under a savepoint of its own, one transaction
// (one commit) a step. Figures: rows/s (wall and per CPU second; the database runs WAL with
// synchronous=FULL, so a step waits for its commit to reach the disk), CPU µs per row, a step's
// mean and longest wall time (how long it holds SQLite's one writer: other writers wait that long),
// and peak RSS growth (VmHWM, reset through /proc/self/clear_refs): of the reading pass over the
// resident memory before the file's bytes were read (the request holds the whole file, as the API's
// does), of the applying pass over the resident memory at its start.
//
// Rows: household r % H, visit day 2025-03-(1 + (r / H) % 25), officer (r / H) / 25 of a pool,
// so every row's key (户编码, 走访日期, 走访人) is distinct up to 25 * 40 visits a household.
// Generated people only (valid GB 11643 check characters, fictional names).
#include <iconv.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/import/importer.h"
#include "adapters/scheduler/case_writing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "bench/example_county.h"
#include "bench/measure.h"
#include "bench/xlsx_file.h"
#include "workflows/id_number.h"

namespace {

using namespace fangfan;
using bench::read_text;
using bench::replace_once;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr int kOfficers = 40, kDays = 25;
constexpr const char* kFindings[] = {"收入稳定，帮扶措施已落实", "看病花费大，已申请医疗救助",
                                     "子女在校，已落实教育资助", "务工收入减少，已推荐公益岗位"};

// -- the households

struct Home {
  std::string code, village, head, id;
};

Home home(std::size_t h, const std::vector<Village>& villages) {
  static constexpr std::string_view kSurnames[] = {"王", "李", "张", "刘", "陈"};
  static constexpr std::string_view kGiven[] = {"伟", "芳", "敏", "静", "强", "磊", "军", "洋"};
  Home out;
  out.village = villages[h % villages.size()].code;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%04zu", out.village.c_str(), h / villages.size());
  out.code = buf;
  out.head = std::string(kSurnames[h % 5]) + std::string(kGiven[(h / 5) % 8]) +
             std::string(kGiven[(h / 40) % 8]);
  const auto birth =
      std::chrono::year_month_day{std::chrono::sys_days{std::chrono::year{1950} / 1 / 1} +
                                  std::chrono::days{static_cast<int>(h % 20000)}};
  char first17[64];  // 17 digits; room for what the compiler cannot rule out
  std::snprintf(first17, sizeof first17, "379901%04d%02u%02u%03zu", int(birth.year()),
                unsigned(birth.month()), unsigned(birth.day()), 1 + (h / 20000) % 999);
  out.id = std::string(first17, 17) + id_check_char(std::string_view(first17, 17));
  return out;
}

std::string officer(std::size_t i) { return "帮扶干部" + std::to_string(1 + i); }

// -- the files (written by a child process)

struct Visit {
  std::size_t household = 0, officer = 0, findings = 0;
  int day = 1;  // of March 2025
};

Visit visit(std::uint64_t r, std::size_t households) {
  const std::uint64_t q = r / households;
  return {static_cast<std::size_t>(r % households), static_cast<std::size_t>(q / kDays % kOfficers),
          static_cast<std::size_t>(r % std::size(kFindings)), 1 + static_cast<int>(q % kDays)};
}

void write_gbk_csv(const fs::path& file, std::uint64_t rows, const std::vector<Home>& homes) {
  std::FILE* out = std::fopen(file.c_str(), "wb");
  iconv_t cd = iconv_open("GBK", "UTF-8");
  if (out == nullptr || cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("csv");
  std::string utf8 = "户编码,户主姓名,身份证号,走访日期,走访人,走访内容\r\n";
  std::vector<char> gbk;
  auto flush = [&] {
    gbk.resize(utf8.size() + 16);
    char* in = utf8.data();
    std::size_t in_left = utf8.size();
    char* o = gbk.data();
    std::size_t o_left = gbk.size();
    if (iconv(cd, &in, &in_left, &o, &o_left) == static_cast<std::size_t>(-1)) {
      throw std::runtime_error("iconv");
    }
    std::fwrite(gbk.data(), 1, gbk.size() - o_left, out);
    utf8.clear();
  };
  char date[16];
  for (std::uint64_t r = 0; r < rows; ++r) {
    const Visit v = visit(r, homes.size());
    const Home& h = homes[v.household];
    std::snprintf(date, sizeof date, "2025-03-%02d", v.day);
    utf8 += h.code + "," + h.head + "," + h.id + "," + date + "," + officer(v.officer) + "," +
            kFindings[v.findings] + "\r\n";
    if (utf8.size() > (1 << 20)) flush();
  }
  flush();
  iconv_close(cd);
  std::fclose(out);
}

// Text cells as shared strings (as Excel writes them), dates as serial numbers with a date style.
void write_xlsx(const fs::path& file, const fs::path& dir, std::uint64_t rows,
                const std::vector<Home>& homes) {
  bench::XlsxFile xlsx(dir, {"户编码", "户主姓名", "身份证号", "走访日期", "走访人", "走访内容"});
  std::FILE* sheet = xlsx.sheet();
  auto add_string = [&xlsx](const std::string& s) { return xlsx.add_string(s); };
  const int first_home = xlsx.strings();  // code, head, id per household
  for (const Home& h : homes) {
    add_string(h.code);
    add_string(h.head);
    add_string(h.id);
  }
  const int first_officer = xlsx.strings();
  for (int i = 0; i < kOfficers; ++i) add_string(officer(static_cast<std::size_t>(i)));
  const int first_findings = xlsx.strings();
  for (const char* f : kFindings) add_string(f);
  for (std::uint64_t r = 0; r < rows; ++r) {
    const Visit v = visit(r, homes.size());
    const unsigned long long n = r + 2;
    const int home_at = first_home + 3 * static_cast<int>(v.household);
    std::fprintf(sheet,
                 "<row r=\"%llu\" spans=\"1:6\"><c r=\"A%llu\" t=\"s\"><v>%d</v></c>"
                 "<c r=\"B%llu\" t=\"s\"><v>%d</v></c><c r=\"C%llu\" t=\"s\"><v>%d</v></c>"
                 "<c r=\"D%llu\" s=\"1\"><v>%d</v></c><c r=\"E%llu\" t=\"s\"><v>%d</v></c>"
                 "<c r=\"F%llu\" t=\"s\"><v>%d</v></c></row>",
                 n, n, home_at, n, home_at + 1, n, home_at + 2, n,
                 45716 + v.day,  // 2025-03-01 is serial 45717
                 n, first_officer + static_cast<int>(v.officer), n,
                 first_findings + static_cast<int>(v.findings));
  }
  xlsx.finish(file, "走访记录");
}

// -- measuring (as bench/feed_ingest)

using bench::cpu_seconds;
using bench::reset_peak;
using bench::status_kib;

struct Mark {
  Steady::time_point wall = Steady::now();
  double cpu = cpu_seconds();
};

void print_pass(const char* label, const char* pass, std::uint64_t rows, const Mark& from,
                long rss_before) {
  const double s = std::chrono::duration<double>(Steady::now() - from.wall).count();
  const double cpu = cpu_seconds() - from.cpu;
  std::printf(
      "%-5s %-26s %8llu rows in %6.2f s (%6.2f s CPU) = %8.0f rows/s (%8.0f per CPU "
      "second); peak RSS growth %.1f MiB\n",
      label, pass, static_cast<unsigned long long>(rows), s, cpu, double(rows) / s,
      double(rows) / cpu, double(status_kib("VmHWM:") - rss_before) / 1024);
}

void import_file(const char* label, const fs::path& file, soci::session& session,
                 const CaseUnitOfWork& cases, const std::string& county, std::uint64_t apply,
                 std::size_t step) {
  const bool reset = reset_peak();
  const long rss_before = reset ? status_kib("VmRSS:") : status_kib("VmHWM:");
  ImportRequest request;
  request.kind = ImportKind::kVisits;
  request.file_name = file.filename().string();
  request.actor = "县扶贫办基准测试";
  request.scope = county;
  request.covers = [](std::string_view) { return true; };  // a county token
  request.keep_all_rows = false;                           // as the API asks
  request.max_bad_rows_kept = 1000;

  Mark parse;
  request.bytes = read_text(file);
  auto started = ImportJob::start(session, cases, request);
  if (auto* e = std::get_if<ImportFileError>(&started)) {
    std::printf("%s: refused: %s\n", label, e->message.c_str());
    return;
  }
  ImportJob& job = *std::get<std::unique_ptr<ImportJob>>(started);
  const std::uint64_t total = static_cast<std::uint64_t>(job.outcome().run.rows_total);
  print_pass(label, "read + count (start)", total, parse, rss_before);

  // The applying pass's own peak, over the resident memory at its start (the file's bytes and
  // the reading pass's buffers already in).
  const bool reset_again = reset_peak();
  const long rss_applying = reset_again ? status_kib("VmRSS:") : status_kib("VmHWM:");
  Mark applying;
  const std::uint64_t want = apply == 0 ? total : std::min(apply, total);
  std::uint64_t done = 0, steps = 0;
  double longest = 0;
  bool finished = false;
  while (done < want && !finished) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(step, want - done));
    const auto t = Steady::now();
    finished = job.step(session, n);
    longest = std::max(longest, std::chrono::duration<double>(Steady::now() - t).count());
    done += n;
    ++steps;
  }
  const double cpu = cpu_seconds() - applying.cpu;
  const double wall = std::chrono::duration<double>(Steady::now() - applying.wall).count();
  print_pass(label, "check + apply (step)", std::min(done, total), applying, rss_applying);
  std::printf(
      "%-5s steps of %zu rows: %.1f µs CPU per row; a step %.1f ms on average, %.1f ms at "
      "most (wall)\n",
      label, step, cpu * 1e6 / double(std::min(done, total)),
      wall * 1e3 / double(std::max<std::uint64_t>(steps, 1)), longest * 1e3);
  const ImportRunRecord& run = job.outcome().run;
  std::printf(
      "%-5s %s, %.1f MiB on disk (held whole by the request, as by the API): applied %d, duplicate "
      "%d, bad %d%s%s\n",
      label, run.format.c_str(), double(fs::file_size(file)) / 1048576, run.rows_applied,
      run.rows_duplicate, run.rows_bad,
      finished ? "" : " (the run not finished: the sample stops here)",
      job.outcome().rows.empty()
          ? ""
          : (", first bad row: " + job.outcome().rows.front().reason).c_str());
}

// Cases opened on the clock's day (emergency: assisted at once), each with an officer: all in
// one transaction, each write under the savepoint open_case_in/apply_in ask for (a refusal
// stops the bench and nothing is kept).
bool open_cases(soci::session& s, const CaseUnitOfWork& work, const Clock& clock,
                const std::vector<Home>& homes) {
  WriteTransaction tx(s);
  for (const Home& h : homes) {
    OpenCase open;
    open.meta = {"基准测试", clock.now(), ""};
    open.kind = "sudden";
    open.household.code = h.code;
    open.household.village_code = h.village;
    open.household.phone = "13900009999";
    open.household.members = {{h.head, h.id, Relation::kHead, true, false, false}};
    open.source = DiscoverySource::kVillageScreening;
    open.risk_causes = {RiskCause::kIllness};
    open.emergency = true;
    open.emergency_reason = "突发重病";
    Savepoint opening(s, "bench_open");
    const OpenResult opened = work.open_case_in(s, open);
    if (const auto* r = std::get_if<Refusal>(&opened)) {
      std::cerr << "case refused: " << r->message << "\n";
      return false;
    }
    AssignOfficer assign;
    assign.meta = {"基准测试", clock.now(), ""};
    assign.officer = officer(0);
    opening.release();
    Savepoint assigning(s, "bench_assign");
    const ApplyResult assigned = work.apply_in(s, std::get<CaseChange>(opened).case_id, assign);
    if (const auto* r = std::get_if<Refusal>(&assigned)) {
      std::cerr << "officer refused: " << r->message << "\n";
      return false;
    }
    assigning.release();
  }
  tx.commit();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 1'000'000, apply = 20'000;
  std::size_t households = 5'000, step = ImportJob::kRowsPerStep;
  fs::path dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--households" && i + 1 < argc) {
      households = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--apply" && i + 1 < argc) {
      apply = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--step" && i + 1 < argc) {
      step = std::max<std::size_t>(1, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr,
                   "usage: import_bench [--rows N] [--households H] [--apply N] [--step N] "
                   "[--dir FOLDER] [--keep]\n");
      return 2;
    }
  }
  if (households < 1) households = 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  if (dir.empty()) {
    dir = fs::temp_directory_path() / ("fangfan-import-bench-" + std::to_string(::getpid()));
  }
  fs::create_directories(dir);
  fs::remove(dir / "bench.db");
  spdlog::set_level(spdlog::level::warn);

  const fs::path source = FANGFAN_SOURCE_DIR;
  std::string text = read_text(source / "config/example.toml");
  replace_once(text, "url = \"sqlite3://state/fangfan.db\"",
               "url = \"sqlite3://" + (dir / "bench.db").string() + "\"");
  replace_once(text, "dir = \"calendar\"",
               "dir = \"" + (source / "config/calendar").string() + "\"");
  LoadOptions options;
  options.read_secrets = false;
  auto loaded = load_config_text(text, dir / "fangfan.toml", options);
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

  std::vector<Home> homes;
  homes.reserve(households);
  for (std::size_t h = 0; h < households; ++h) homes.push_back(home(h, config->villages));

  const fs::path csv = dir / "zoufang.csv", xlsx = dir / "zoufang.xlsx";
  const bool have_files = fs::exists(csv) && fs::exists(xlsx);  // kept by an earlier --keep
  const auto t_files = Steady::now();
  const pid_t child = have_files ? 0 : ::fork();
  if (child == 0 && !have_files) {
    try {
      write_gbk_csv(csv, rows, homes);
      write_xlsx(xlsx, dir, rows, homes);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "writing the files failed: %s\n", e.what());
      ::_exit(1);
    }
    ::_exit(0);
  }

  int status = 0;
  if (!have_files &&
      (::waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    return 1;
  }
  std::printf("visits files of %llu rows ready in %.1f s (%s); applying %llu rows of each\n",
              static_cast<unsigned long long>(rows),
              std::chrono::duration<double>(Steady::now() - t_files).count(), dir.c_str(),
              static_cast<unsigned long long>(apply == 0 ? rows : std::min(apply, rows)));

  // Each file into a database of its own (the second would otherwise be all duplicates).
  for (const auto& [label, file] : {std::pair{"CSV", csv}, std::pair{"XLSX", xlsx}}) {
    const fs::path db_file = dir / "bench.db";
    fs::remove(db_file);
    SimulatedClock clock(china_time(Date{std::chrono::year{2025} / 3 / 1}, std::chrono::hours(9)));
    const Database db = Database::open("sqlite3://" + db_file.string());
    migrate(db, clock.now());
    auto session = db.open_session();
    const auto writer = make_case_writer(
        clock, [config] { return config; }, [calendar] { return calendar; });
    const auto t_cases = Steady::now();
    if (!open_cases(*session, writer->begin(*config), clock, homes)) return 1;
    std::printf("%-5s %zu households with cases opened in %.1f s (SQLite)\n", label, households,
                std::chrono::duration<double>(Steady::now() - t_cases).count());
    clock.advance(std::chrono::days{30});
    import_file(label, file, *session, writer->begin(*config), config->county.code, apply, step);
  }
  if (!keep) {
    fs::remove_all(dir);
  } else {
    fs::remove(dir / "bench.db");
  }
  return 0;
}
