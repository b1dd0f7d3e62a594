#include "tests/support/people.h"

#include <array>
#include <cstdio>
#include <string_view>

#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan::testing {
namespace {

constexpr std::array<std::string_view, 24> kSurnames{
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
    "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢"};
constexpr std::array<std::string_view, 32> kGiven{
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "兰", "红", "建", "国", "文", "玉", "春", "海"};
// County-level area codes in Shandong (临沂, 济南) and Fujian (永安).
constexpr std::array<std::string_view, 6> kAreas{"371302", "371311", "371321",
                                                 "370102", "350481", "371312"};

}  // namespace

PeopleGenerator::PeopleGenerator(std::uint64_t seed) : state_(seed) {}

// splitmix64: small, fast, and the same everywhere.
std::uint64_t PeopleGenerator::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::int64_t PeopleGenerator::uniform(std::int64_t lo, std::int64_t hi) {
  const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(next() % span);
}

bool PeopleGenerator::chance(int percent) { return uniform(0, 99) < percent; }

std::string PeopleGenerator::name() {
  std::string out{kSurnames[uniform(0, kSurnames.size() - 1)]};
  const int given = chance(70) ? 2 : 1;
  for (int i = 0; i < given; ++i) out += kGiven[uniform(0, kGiven.size() - 1)];
  return out;
}

std::string PeopleGenerator::id_number(Date birth, bool male) {
  const std::chrono::year_month_day ymd{birth};
  int seq = static_cast<int>(uniform(0, 499)) * 2 + (male ? 1 : 0);
  if (seq == 0) seq = 2;  // 000 is not issued
  char first17[18];
  std::snprintf(first17, sizeof first17, "%s%04d%02u%02u%03d",
                std::string{kAreas[uniform(0, kAreas.size() - 1)]}.c_str(), int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), seq);
  std::string out{first17, 17};
  out += id_check_char(out);
  return out;
}

std::string PeopleGenerator::mobile() {
  static constexpr std::string_view kPrefixes[] = {"13", "15", "17", "18", "19"};
  std::string out{kPrefixes[uniform(0, 4)]};
  for (int i = 0; i < 9; ++i) out += static_cast<char>('0' + uniform(0, 9));
  return out;
}

Person PeopleGenerator::person() {
  Person p;
  const Date from = *parse_date("1940-01-01");
  const Date to = *parse_date("2015-12-31");
  p.birth_date = from + std::chrono::days{uniform(0, (to - from).count())};
  p.male = chance(50);
  p.name = name();
  p.id_number = id_number(p.birth_date, p.male);
  p.phone = mobile();
  return p;
}

Household PeopleGenerator::household(const std::string& code, const std::string& village_code,
                                     int size, bool nobody_can_work) {
  Household h;
  h.code = code;
  h.village_code = village_code;
  h.phone = mobile();
  const Date base = *parse_date("1950-01-01");
  auto born = [&](int min_years, int span_years) {
    return base + std::chrono::days{(min_years + uniform(0, span_years)) * 365 + uniform(0, 364)};
  };
  const Date head_birth = born(0, 30);  // 1950..1980, so children are born by 2016
  const bool head_male = chance(80);
  h.members.push_back(
      {name(), id_number(head_birth, head_male), Relation::kHead, true, false, false});
  for (int i = 1; i < size; ++i) {
    Member m;
    m.name = name();
    if (i == 1) {
      m.relation = Relation::kSpouse;
      m.id_number = id_number(head_birth + std::chrono::days{uniform(-1500, 1500)}, !head_male);
      m.able_to_work = chance(70);
      m.disabled = chance(15);
    } else if (i <= 3) {
      m.relation = Relation::kChild;
      m.id_number = id_number(head_birth + std::chrono::days{uniform(20, 35) * 365}, chance(50));
      m.student = chance(60);
      m.able_to_work = !m.student && chance(50);
    } else {
      m.relation = Relation::kParent;
      m.id_number = id_number(head_birth - std::chrono::days{uniform(20, 30) * 365}, chance(50));
      m.disabled = chance(30);
    }
    h.members.push_back(m);
  }
  if (nobody_can_work) {
    for (auto& m : h.members) m.able_to_work = false;
  }
  return h;
}

}  // namespace fangfan::testing
