// Department lists at county scale (issue 13's benchmark): 100,000 generated monitored households
// (ListCase values in memory), and for each of the 8 department lists of a county like the
// example (civil affairs, education: school-age member rows, human resources, health, medical
// insurance, water, housing, the disability federation: disabled member rows) the list is built
// (workflows/lists.h) and written as XLSX and CSV (adapters/lists/list_files.h).
//
//   lists_bench [--households N] [--dir FOLDER] [--keep]
//
// Figures per list: rows, seconds to build, seconds for the workbook and for the CSV (wall), the
// file sizes, and the growth of peak resident memory while writing (over the resident memory
// before the write; the peak is reset through /proc/self/clear_refs when the kernel allows it)
// and while building. Targets: at most 3 s per 100,000-row workbook, peak growth at most 64 MiB.
// FOLDER (default: a fresh folder under the system temp folder) is removed unless --keep.
//
// Generated people only: ID numbers with valid GB 11643 check characters from a seeded
// generator, names from common characters.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/lists/list_files.h"
#include "bench/measure.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace {

using namespace fangfan;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"};
constexpr const char* kGiven[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
                                  "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平"};

// xorshift64*: the same people on every platform.
struct Random {
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  int below(int n) { return int(next() % std::uint64_t(n)); }
  bool chance(int percent) { return below(100) < percent; }
};

std::string id_number(Random& r, int year) {
  char first17[18];
  std::snprintf(first17, sizeof first17, "379901%04d%02d%02d%03d", year, 1 + r.below(12),
                1 + r.below(28), r.below(1000));
  return std::string(first17) + id_check_char(first17);
}

std::string name(Random& r) {
  std::string n = kSurnames[r.below(10)];
  n += kGiven[r.below(20)];
  if (r.chance(60)) n += kGiven[r.below(20)];
  return n;
}

std::vector<ListCase> households(int n) {
  Random r;
  std::vector<ListCase> out;
  out.reserve(std::size_t(n));
  const std::vector<std::string> kinds = {"unstable", "marginal", "sudden", "instant", "rollback"};
  for (int i = 0; i < n; ++i) {
    ListCase c;
    c.case_id = i + 1;
    CaseSnapshot& s = c.snapshot;
    s.case_id = std::to_string(i + 1);
    s.state = r.chance(90) ? "registered" : "elimination_review";
    s.data.kind = kinds[std::size_t(r.below(100) < 85 ? r.below(3) : 3 + r.below(2))];
    const int township = 1 + i % 10, village = 1 + (i / 10) % 20;
    char code[32];
    std::snprintf(code, sizeof code, "3799010%02d%03d", township, village);
    s.data.household.village_code = code;
    std::snprintf(code, sizeof code, "%s%04d", s.data.household.village_code.c_str(), i / 200);
    s.data.household.code = code;  // unique: i / 200 differs within a village
    s.data.household.phone = "13" + std::to_string(800000000 + r.below(99999999));
    const int size = 1 + r.below(6);
    const int head_year = 1950 + r.below(35);
    for (int m = 0; m < size; ++m) {
      Member member;
      member.name = name(r);
      member.relation = m == 0 ? Relation::kHead : m == 1 ? Relation::kSpouse : Relation::kChild;
      const int year = m < 2 ? head_year + r.below(5) : head_year + 20 + r.below(22);
      member.id_number = id_number(r, std::min(year, 2024));
      member.disabled = r.chance(8);
      member.student = m >= 2 && r.chance(40);
      member.able_to_work = !member.student && r.chance(60);
      s.data.household.members.push_back(std::move(member));
    }
    s.data.risk_causes = {RiskCause(r.below(10))};
    if (r.chance(20)) s.data.risk_causes.push_back(RiskCause(r.below(10)));
    s.data.registered_at = china_time(*parse_date("2025-03-01") + std::chrono::days{r.below(600)});
    s.data.officer = name(r);
    if (r.chance(70)) {
      s.data.measures.push_back({1,
                                 MeasureType(r.below(10)),
                                 "落实帮扶措施",
                                 *parse_date("2025-06-01"),
                                 MeasureStatus::kInPlace,
                                 {}});
    }
    c.township_name = "第" + std::to_string(township) + "镇";
    c.village_name = "第" + std::to_string(village) + "村";
    c.case_kind_name = s.data.kind;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<DepartmentList> county_lists() {
  auto list = [](const char* name, const char* department, const char* department_name) {
    DepartmentList l;
    l.name = name;
    l.department = department;
    l.department_name = department_name;
    return l;
  };
  std::vector<DepartmentList> out = {
      list("civil_affairs_list", "civil_affairs", "县民政局"),
      list("education_list", "education", "县教育和体育局"),
      list("human_resources_list", "human_resources", "县人力资源和社会保障局"),
      list("health_list", "health", "县卫生健康局"),
      list("medical_insurance_list", "medical_insurance", "县医疗保障局"),
      list("water_list", "water", "县水利局"),
      list("housing_list", "housing", "县住房和城乡建设局"),
      list("disability_list", "disability_federation", "县残疾人联合会"),
  };
  out[0].columns = {"household_code", "township",      "village",   "head_name", "head_id_number",
                    "phone",          "persons",       "case_kind", "category",  "risk_causes",
                    "state",          "registered_on", "officer",   "measures"};
  out[1].rows = ListRows::kMember;
  out[1].members = MemberFilter::kSchoolAge;
  out[1].columns = {"household_code", "township", "village", "head_name", "name",
                    "id_number",      "relation", "student", "phone",     "category"};
  out[7].rows = ListRows::kMember;
  out[7].members = MemberFilter::kDisabled;
  out[7].columns = {"household_code", "township", "village",  "head_name", "name",
                    "id_number",      "relation", "disabled", "phone",     "category"};
  return out;
}

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100000;
  fs::path dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--households") == 0 && i + 1 < argc) {
      n = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: lists_bench [--households N] [--dir FOLDER] [--keep]\n");
      return 2;
    }
  }
  if (dir.empty())
    dir = fs::temp_directory_path() / ("fangfan_lists_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);

  auto t = Steady::now();
  const std::vector<ListCase> cases = households(n);
  std::printf("households: %d generated in %.2f s, resident %ld MiB\n", n, seconds_since(t),
              bench::status_kib("VmRSS:") / 1024);
  const bool peak_resets = bench::reset_peak();
  if (!peak_resets) std::printf("note: the peak cannot be reset; growth is an upper bound\n");
  const Date day = *parse_date("2026-12-15");

  std::printf("%-24s %7s %8s %7s %9s %6s %9s %8s %11s %11s\n", "list", "rows", "build_s", "xlsx_s",
              "xlsx_cpu_s", "csv_s", "xlsx_MiB", "csv_MiB", "write_MiB+", "build_MiB+");
  double worst_per_100k = 0, worst_cpu_per_100k = 0;
  long worst_growth = 0;
  for (const DepartmentList& list : county_lists()) {
    bench::reset_peak();
    const long before_build = bench::status_kib("VmRSS:");
    t = Steady::now();
    const ListContent content = build_list(list, cases, day);
    const double build_s = seconds_since(t);
    const long build_growth = bench::status_kib("VmHWM:") - before_build;

    bench::reset_peak();
    const long before = bench::status_kib("VmRSS:");
    const fs::path base = dir / (list.department_name + "-2026-12-15");
    t = Steady::now();
    double cpu = bench::cpu_seconds();
    const std::vector<ListChange> changes;
    ListDocument doc{"示例县",
                     list.department_name,
                     list.name,
                     "2026-12-15",
                     "2026-12-15 08:00",
                     &content,
                     &changes,
                     "",
                     list_data_sha256(content)};
    write_list_xlsx(base.string() + ".xlsx", doc);
    const double xlsx_s = seconds_since(t);
    const double xlsx_cpu = bench::cpu_seconds() - cpu;
    t = Steady::now();
    write_list_csv(base.string() + ".csv", content);
    const double csv_s = seconds_since(t);
    const long growth = bench::status_kib("VmHWM:") - before;

    const double rows = double(content.rows.size());
    std::printf("%-24s %7zu %8.2f %7.2f %9.2f %6.2f %9.1f %8.1f %11.1f %11.1f\n", list.name.c_str(),
                content.rows.size(), build_s, xlsx_s, xlsx_cpu, csv_s,
                double(fs::file_size(base.string() + ".xlsx")) / 1048576.0,
                double(fs::file_size(base.string() + ".csv")) / 1048576.0, double(growth) / 1024.0,
                double(build_growth) / 1024.0);
    if (rows >= 10000) {
      worst_per_100k = std::max(worst_per_100k, xlsx_s * 100000.0 / rows);
      worst_cpu_per_100k = std::max(worst_cpu_per_100k, xlsx_cpu * 100000.0 / rows);
    }
    worst_growth = std::max(worst_growth, growth);
  }
  std::printf("worst workbook: %.2f s per 100,000 rows (target <= 3 s) %s\n", worst_per_100k,
              worst_per_100k <= 3.0 ? "OK" : "OVER");
  std::printf(
      "worst workbook in CPU seconds (the machine may be shared): %.2f s per 100,000 rows "
      "%s\n",
      worst_cpu_per_100k, worst_cpu_per_100k <= 3.0 ? "OK" : "OVER");
  std::printf("worst peak RSS growth while writing: %.1f MiB (target <= 64 MiB) %s\n",
              double(worst_growth) / 1024.0, worst_growth <= 64 * 1024 ? "OK" : "OVER");
  if (!keep) fs::remove_all(dir);
  return 0;
}
