// Department feed ingestion at county scale (issue 12's benchmark): a 1-million-row GBK CSV and
// a 1-million-row XLSX of generated civil-affairs rows (身份证号, 姓名, 村编码, 救助类别, 批准日期,
// 月保障金额) read through the streaming readers (adapters/import/table_stream.h), each row
// checked by the core as the feed intake checks it (workflows/feeds.h: map_feed_header once,
// check_feed_row into reused buffers, fired_rules of the example county's civil_affairs feed,
// [[feeds]] in config/example.toml) and matched by ID number against 1 million generated known
// members (an in-memory set standing in for the database lookup).
//
//   feed_ingest [--rows N] [--members N] [--dir FOLDER] [--keep]
//
// Figures printed per file: rows, seconds (wall and CPU) and rows/s for parse + validate + match,
// rows accepted/matched/bad, and the growth of peak resident memory over the resident memory before
// the file (the peak is reset through /proc/self/clear_refs when the kernel allows it). The
// files are written by a child process so that writing them does not count. FOLDER (default: a
// fresh folder under the system temp folder) is removed at the end unless --keep; files kept
// there by an earlier run are read again instead of written.
//
// Generated people only: ID numbers with valid GB 11643 check characters from a seeded
// generator; about 90% of rows are known members, 1% carry a wrong check character, 0.5% a date
// that is no date, 0.5% an amount that is no amount.
#include <iconv.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/import/table_stream.h"
#include "bench/measure.h"
#include "bench/xlsx_file.h"
#include "workflows/feeds.h"

namespace {

using namespace fangfan;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

// -- the people

constexpr std::string_view kAreas[] = {"370102", "370103", "370124", "371302", "371321", "410102"};
constexpr std::string_view kSurnames[] = {"王", "李", "张", "刘", "陈",
                                          "杨", "赵", "黄", "周", "吴"};
constexpr std::string_view kGiven[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
                                       "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平"};
constexpr std::string_view kCategories[] = {"低保", "特困", "临时救助"};

char check_char(const char* first17) {
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return "10X98765432"[sum % 11];
}

// The i-th known member's ID number: seeded, so the parent and the writing child agree.
std::string member_id(std::uint64_t i) {
  std::mt19937_64 rng(0x5eed0000 + i);
  const int days = static_cast<int>(rng() % (75 * 365));
  const auto birth = std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::year{1940} / 1 / 1} + std::chrono::days{days}};
  char first17[18];
  std::snprintf(first17, sizeof first17, "%s%04d%02u%02u%03u",
                std::string(kAreas[i % std::size(kAreas)]).c_str(), int(birth.year()),
                unsigned(birth.month()), unsigned(birth.day()),
                static_cast<unsigned>(1 + (i / std::size(kAreas)) % 999));
  return std::string(first17, 17) + check_char(first17);
}

// ID numbers as 17-digit keys (the check character follows from them) in an open-addressing
// set: 16 bytes a member, no allocation per member.
class IdSet {
 public:
  explicit IdSet(std::size_t n) {
    std::size_t size = 1;
    while (size < n * 2) size <<= 1;
    slots_.assign(size, 0);
    mask_ = size - 1;
  }
  static std::uint64_t key(std::string_view id) {
    std::uint64_t k = 0;
    for (int i = 0; i < 17; ++i) k = k * 10 + static_cast<std::uint64_t>(id[i] - '0');
    return k + 1;  // 0 marks an empty slot
  }
  void insert(std::uint64_t k) {
    std::size_t i = hash(k);
    while (slots_[i] != 0 && slots_[i] != k) i = (i + 1) & mask_;
    slots_[i] = k;
  }
  bool contains(std::uint64_t k) const {
    for (std::size_t i = hash(k); slots_[i] != 0; i = (i + 1) & mask_) {
      if (slots_[i] == k) return true;
    }
    return false;
  }

 private:
  std::size_t hash(std::uint64_t k) const { return (k * 0x9E3779B97F4A7C15ull >> 20) & mask_; }
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
};

// -- validate + match: the core's checks (workflows/feeds.h), as adapters/feeds runs them

struct Tally {
  std::uint64_t rows = 0, accepted = 0, matched = 0, bad = 0, fired = 0;
};

// The example county's civil affairs feed ([[feeds]] civil_affairs of config/example.toml).
struct Feed {
  std::shared_ptr<const Config> config;
  const FeedSource* source = nullptr;
};

Feed load_example_feed() {
  LoadOptions options;
  options.read_secrets = false;
  auto loaded = load_config(fs::path(FANGFAN_SOURCE_DIR) / "config/example.toml", options);
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    throw std::runtime_error("config/example.toml does not load");
  }
  Feed feed;
  feed.config = std::get<std::shared_ptr<const Config>>(loaded);
  feed.source = feed.config->rules.feeds.find("civil_affairs");
  if (feed.source == nullptr) throw std::runtime_error("no civil_affairs feed in the example");
  return feed;
}

// One file's rows through map_feed_header, check_feed_row (reused buffers), fired_rules and the
// member lookup, as FeedIntake::next_chunk and match_batch do (less the database).
class RowChecker {
 public:
  RowChecker(const FeedSource& source, const IdSet& known,
             const std::function<bool(std::string_view)>& known_village)
      : source_(source), known_(known), known_village_(known_village) {}

  // The header row; false (with the sentence printed) when it does not map.
  bool header(const std::vector<std::string>& header) {
    auto mapped = map_feed_header(header, source_);
    if (auto* problem = std::get_if<std::string>(&mapped)) {
      std::printf("header refused: %s\n", problem->c_str());
      return false;
    }
    columns_ = std::get<FeedColumns>(std::move(mapped));
    rules_ = compile_feed_rules(source_, columns_);
    return true;
  }

  void row(const TableRow& row, Tally& tally) {
    ++tally.rows;
    if (!check_feed_row(row.line, row.cells, columns_, kToday, known_village_, record_, problem_)) {
      ++tally.bad;
      return;
    }
    ++tally.accepted;
    const bool member = known_.contains(IdSet::key(record_.values[0]));
    if (member) ++tally.matched;
    fired_rules(rules_, record_, std::nullopt, fired_);
    tally.fired += fired_.size();
  }

 private:
  static constexpr Date kToday{std::chrono::year{2025} / 6 / 1};
  const FeedSource& source_;
  const IdSet& known_;
  const std::function<bool(std::string_view)>& known_village_;
  FeedColumns columns_;
  CompiledFeedRules rules_;
  FeedRecord record_;
  FeedCellProblem problem_;
  std::vector<const FeedRule*> fired_;
};

// -- the files (written by a child process)

struct RowText {
  std::string id, name, village, category, date, amount;
  int category_index = 0, name_index = 0, village_index = 0, serial = 0;
};

constexpr int kNames = 2000, kVillages = 500;

std::string pool_name(int i) {
  return std::string(kSurnames[i % std::size(kSurnames)]) +
         std::string(kGiven[(i / 10) % std::size(kGiven)]) +
         (i >= 200 ? std::string(kGiven[(i / 200) % std::size(kGiven)]) : std::string());
}
std::string pool_village(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "3799%02d%03d%03d", 1 + i / 100, 1 + (i / 10) % 10, 1 + i % 10);
  return buf;
}

RowText make_row(std::uint64_t r, std::uint64_t members, std::mt19937_64& rng) {
  RowText t;
  const std::uint64_t pick = rng();
  t.id = pick % 10 == 0 ? member_id(members + r) : member_id(pick % members);
  if (pick % 100 == 7) t.id[17] = t.id[17] == '0' ? '1' : '0';  // a wrong check character
  t.name_index = static_cast<int>(rng() % kNames);
  t.village_index = static_cast<int>(rng() % kVillages);
  t.category_index = static_cast<int>(rng() % 3);
  t.name = pool_name(t.name_index);
  t.village = pool_village(t.village_index);
  t.category = std::string(kCategories[t.category_index]);
  const int day = 1 + static_cast<int>(rng() % 28);
  char buf[32];
  std::snprintf(buf, sizeof buf, "2025-05-%02d", day);
  t.date = pick % 200 == 13 ? "2025-02-30" : buf;
  t.serial = 45778 + day - 1;  // 2025-05-01 is serial 45778
  std::snprintf(buf, sizeof buf, "%d.%02d", 300 + static_cast<int>(rng() % 900),
                static_cast<int>(rng() % 100));
  t.amount = pick % 200 == 17 ? "八百" : buf;
  return t;
}

void write_gbk_csv(const fs::path& file, std::uint64_t rows, std::uint64_t members) {
  std::FILE* out = std::fopen(file.c_str(), "wb");
  iconv_t cd = iconv_open("GBK", "UTF-8");
  if (out == nullptr || cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("csv");
  std::string utf8 = "身份证号,姓名,村编码,救助类别,批准日期,月保障金额\r\n";
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
  std::mt19937_64 rng(42);
  for (std::uint64_t r = 0; r < rows; ++r) {
    const RowText t = make_row(r, members, rng);
    utf8 += t.id + "," + t.name + "," + t.village + "," + t.category + "," + t.date + "," +
            t.amount + "\r\n";
    if (utf8.size() > (1 << 20)) flush();
  }
  flush();
  iconv_close(cd);
  std::fclose(out);
}

void write_xlsx(const fs::path& file, const fs::path& dir, std::uint64_t rows,
                std::uint64_t members) {
  // Shared strings: the header, the pools, then each row's ID number.
  bench::XlsxFile xlsx(dir, {"身份证号", "姓名", "村编码", "救助类别", "批准日期", "月保障金额"});
  std::FILE* sheet = xlsx.sheet();
  auto add_string = [&xlsx](const std::string& s) { return xlsx.add_string(s); };
  const int categories = xlsx.strings();
  for (auto cat : kCategories) add_string(std::string(cat));
  const int names = xlsx.strings();
  for (int i = 0; i < kNames; ++i) add_string(pool_name(i));
  const int villages = xlsx.strings();
  for (int i = 0; i < kVillages; ++i) add_string(pool_village(i));
  std::mt19937_64 rng(42);
  for (std::uint64_t r = 0; r < rows; ++r) {
    const RowText t = make_row(r, members, rng);
    const std::uint64_t n = r + 2;
    const int id = add_string(t.id);
    std::fprintf(sheet,
                 "<row r=\"%llu\" spans=\"1:6\"><c r=\"A%llu\" t=\"s\"><v>%d</v></c>"
                 "<c r=\"B%llu\" t=\"s\"><v>%d</v></c><c r=\"C%llu\" t=\"s\"><v>%d</v></c>"
                 "<c r=\"D%llu\" t=\"s\"><v>%d</v></c>",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(n), id,
                 static_cast<unsigned long long>(n), names + t.name_index,
                 static_cast<unsigned long long>(n), villages + t.village_index,
                 static_cast<unsigned long long>(n), categories + t.category_index);
    if (t.date == "2025-02-30") {  // a date that is no date: text, as a clerk typed it
      std::fprintf(sheet, "<c r=\"E%llu\" t=\"inlineStr\"><is><t>%s</t></is></c>",
                   static_cast<unsigned long long>(n), t.date.c_str());
    } else {
      std::fprintf(sheet, "<c r=\"E%llu\" s=\"1\"><v>%d</v></c>",
                   static_cast<unsigned long long>(n), t.serial);
    }
    if (t.amount == "八百") {
      std::fprintf(sheet, "<c r=\"F%llu\" t=\"s\"><v>%d</v></c>",
                   static_cast<unsigned long long>(n), add_string(t.amount));
    } else {
      std::fprintf(sheet, "<c r=\"F%llu\"><v>%s</v></c>", static_cast<unsigned long long>(n),
                   t.amount.c_str());
    }
    std::fputs("</row>", sheet);
  }
  xlsx.finish(file, "民政");
}

// -- measuring

using bench::cpu_seconds;
using bench::reset_peak;
using bench::status_kib;

// The targets: rows/s on one core (so per CPU second) and peak RSS growth.
constexpr double kMaxGrowthMib = 64;

void ingest(const char* label, double target_rows_per_s, const fs::path& file, const IdSet& known,
            const FeedSource& source, const std::function<bool(std::string_view)>& known_village) {
  const bool reset = reset_peak();
  const long rss_before = status_kib("VmRSS:");
  const long hwm_before = status_kib("VmHWM:");
  const auto t0 = Steady::now();
  const double cpu0 = cpu_seconds();
  Tally tally;
  auto opened = open_table_file(file.string());
  if (auto* problem = std::get_if<std::string>(&opened)) {
    std::printf("%s: cannot read: %s\n", label, problem->c_str());
    return;
  }
  TableStream& stream = *std::get<std::unique_ptr<TableStream>>(opened);
  RowChecker checker(source, known, known_village);
  if (!checker.header(stream.header())) return;
  TableRow row;
  while (stream.next(row)) checker.row(row, tally);
  const double s = std::chrono::duration<double>(Steady::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const long hwm_after = status_kib("VmHWM:");
  if (stream.error()) std::printf("%s: stopped: %s\n", label, stream.error()->c_str());
  std::printf(
      "%-5s %s, %.1f MiB on disk, %.1f MiB expanded: %llu rows in %.2f s (%.2f s CPU) = %.0f "
      "rows/s (%.0f per CPU second); "
      "accepted %llu, matched %llu, bad %llu, rules fired %llu; peak RSS growth %.1f MiB%s\n",
      label, stream.format().c_str(), double(fs::file_size(file)) / 1048576,
      double(stream.expanded_bytes()) / 1048576, static_cast<unsigned long long>(tally.rows), s,
      cpu, double(tally.rows) / s, double(tally.rows) / cpu,
      static_cast<unsigned long long>(tally.accepted),
      static_cast<unsigned long long>(tally.matched), static_cast<unsigned long long>(tally.bad),
      static_cast<unsigned long long>(tally.fired),
      double(hwm_after - (reset ? rss_before : hwm_before)) / 1024,
      reset ? "" : " (peak could not be reset: growth over the earlier peak)");
  const double growth = double(hwm_after - (reset ? rss_before : hwm_before)) / 1024;
  std::printf("%-5s target >= %.0f rows/s per CPU second: %s; peak RSS growth <= %.0f MiB: %s\n",
              label, target_rows_per_s,
              double(tally.rows) / cpu >= target_rows_per_s ? "met" : "MISSED", kMaxGrowthMib,
              growth <= kMaxGrowthMib ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 1'000'000, members = 1'000'000;
  fs::path dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--members" && i + 1 < argc) {
      members = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: feed_ingest [--rows N] [--members N] [--dir FOLDER] [--keep]\n");
      return 2;
    }
  }
  if (dir.empty()) {
    dir = fs::temp_directory_path() / ("fangfan-feed-ingest-" + std::to_string(::getpid()));
  }
  fs::create_directories(dir);
  const fs::path csv = dir / "minzheng.csv", xlsx = dir / "minzheng.xlsx";

  auto t0 = Steady::now();
  const bool have_files = fs::exists(csv) && fs::exists(xlsx);  // kept by an earlier --keep
  const pid_t child = have_files ? 0 : ::fork();
  if (child == 0 && !have_files) {
    try {
      write_gbk_csv(csv, rows, members);
      write_xlsx(xlsx, dir, rows, members);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "writing the files failed: %s\n", e.what());
      ::_exit(1);
    }
    ::_exit(0);
  }
  const Feed feed = load_example_feed();
  // The generated county's villages (the rows' village codes), looked up as the intake looks
  // up the configuration's.
  std::unordered_set<std::string> villages;
  for (int i = 0; i < kVillages; ++i) villages.insert(pool_village(i));
  const std::function<bool(std::string_view)> known_village = [&villages](std::string_view code) {
    return villages.count(std::string(code)) != 0;
  };
  IdSet known(members);
  for (std::uint64_t i = 0; i < members; ++i) known.insert(IdSet::key(member_id(i)));
  int status = 0;
  if (!have_files &&
      (::waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    return 1;
  }
  std::printf("%llu known members, files of %llu rows written in %.1f s (%s)\n",
              static_cast<unsigned long long>(members), static_cast<unsigned long long>(rows),
              std::chrono::duration<double>(Steady::now() - t0).count(), dir.c_str());

  ingest("CSV", 1e6, csv, known, *feed.source, known_village);
  ingest("XLSX", 3e5, xlsx, known, *feed.source, known_village);
  if (!keep) fs::remove_all(dir);
  return 0;
}
