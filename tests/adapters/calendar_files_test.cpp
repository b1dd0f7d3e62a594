// Loading config/calendar/*.toml: every refusal names the file, the line and the key.
#include "adapters/calendar/calendar_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "workflows/date.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the test temp dir, removed afterwards.
class CalendarFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("fangfan_calendar_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }

  fs::path dir_;
};

// A valid 2025 file: 春节 with both make-up days (lines 1-6).
const char* const kValid2025 =
    "year = 2025\n"
    "source = "
    "\"国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12）\"\n"
    "[[holiday]]\n"
    "name = \"春节\"\n"
    "days = [\"2025-01-28\", \"2025-01-29\", \"2025-01-30\", \"2025-01-31\", \"2025-02-01\",\n"
    "        \"2025-02-02\", \"2025-02-03\", \"2025-02-04\"]\n"
    "makeup_workdays = [\"2025-01-26\", \"2025-02-08\"]\n";

TEST_F(CalendarFiles, LoadsAValidFile) {
  auto loaded = load_calendar_file(write("2025.toml", kValid2025));
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.year);
  EXPECT_EQ(loaded.year->year, 2025);
  ASSERT_EQ(loaded.year->holidays.size(), 1u);
  EXPECT_EQ(loaded.year->holidays[0].name, "春节");
  EXPECT_EQ(loaded.year->holidays[0].days.size(), 8u);
  EXPECT_EQ(loaded.year->holidays[0].makeup_workdays,
            (std::vector<Date>{*parse_date("2025-01-26"), *parse_date("2025-02-08")}));
  EXPECT_EQ(loaded.year->sources.size(), 1u);
}

TEST_F(CalendarFiles, AcceptsTomlDatesAndSeveralSources) {
  auto loaded = load_calendar_file(write("2020.toml",
                                         "year = 2020\n"
                                         "source = [\"通知一\", \"通知二（延长）\"]\n"
                                         "[[holiday]]\n"
                                         "name = \"春节\"\n"
                                         "days = [2020-01-24, 2020-01-25]\n"
                                         "makeup_workdays = [2020-01-19]\n"));
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.year);
  EXPECT_EQ(loaded.year->sources, (std::vector<std::string>{"通知一", "通知二（延长）"}));
  EXPECT_EQ(loaded.year->holidays[0].days[1], *parse_date("2020-01-25"));
}

struct BadFile {
  const char* what;
  const char* name;
  std::string text;
  int line;
  const char* key;
  const char* message_part;
};

void PrintTo(const BadFile& c, std::ostream* os) { *os << c.what; }

class BadCalendarFiles : public CalendarFiles, public ::testing::WithParamInterface<BadFile> {};

TEST_P(BadCalendarFiles, IsRefusedWithFileLineAndKey) {
  const BadFile& c = GetParam();
  const fs::path file = write(c.name, c.text);
  auto loaded = load_calendar_file(file);
  EXPECT_FALSE(loaded.year);
  ASSERT_EQ(loaded.errors.size(), 1u) << [&] {
    std::string all;
    for (const auto& e : loaded.errors) all += e.to_string() + "\n";
    return all;
  }();
  const auto& e = loaded.errors[0];
  EXPECT_EQ(e.file, file);
  EXPECT_EQ(e.line, c.line) << e.to_string();
  EXPECT_EQ(e.key, c.key) << e.to_string();
  EXPECT_NE(e.message.find(c.message_part), std::string::npos) << e.to_string();
  // The sentence shown to the admin carries all three.
  EXPECT_NE(e.to_string().find(file.string()), std::string::npos);
  if (c.line > 0) {
    EXPECT_NE(e.to_string().find("第" + std::to_string(c.line) + "行"), std::string::npos);
  }
}

const std::string kSource = "source = \"通知\"\n";

INSTANTIATE_TEST_SUITE_P(
    EachMistake, BadCalendarFiles,
    ::testing::Values(
        BadFile{
            "year differs from the file name", "2025.toml",
            "year = 2024\n" + kSource + "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n",
            1, "year", "与文件名 2025.toml 不一致"},
        BadFile{"date outside the year", "2025.toml",
                "year = 2025\n" + kSource +
                    "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\",\n"
                    "  \"2024-12-31\"]\n",
                6, "holiday[1].days", "2024-12-31 不在2025年内"},
        BadFile{"holiday and make-up day", "2025.toml",
                "year = 2025\n" + kSource +
                    "[[holiday]]\nname = \"春节\"\ndays = [\"2025-01-28\"]\n"
                    "[[holiday]]\nname = \"劳动节\"\ndays = [\"2025-05-01\"]\n"
                    "makeup_workdays = [\"2025-01-28\"]\n",
                9, "holiday[2].makeup_workdays",
                "2025-01-28 既列为假日又列为调休上班日（另见第5行"},
        BadFile{"make-up day on a weekday", "2025.toml",
                "year = 2025\n" + kSource +
                    "[[holiday]]\nname = \"春节\"\ndays = [\"2025-01-28\"]\n"
                    "makeup_workdays = [\"2025-01-27\"]\n",
                6, "holiday[1].makeup_workdays", "2025-01-27 是星期一"},
        BadFile{"unknown top-level key", "2025.toml",
                "year = 2025\n" + kSource + "province = \"山东省\"\n" +
                    "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n",
                3, "province", "未知的键“province”"},
        BadFile{"unknown key in a holiday", "2025.toml",
                "year = 2025\n" + kSource +
                    "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\nhalf_day = true\n",
                6, "holiday[1].half_day", "未知的键“half_day”"},
        BadFile{"missing source", "2025.toml",
                "year = 2025\n[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n", 0, "source",
                "缺少 source"},
        BadFile{
            "empty source", "2025.toml",
            "year = 2025\nsource = \"\"\n[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n",
            2, "source", "source 为空"},
        BadFile{"missing year", "2025.toml",
                kSource + "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n", 0, "year",
                "缺少 year"},
        BadFile{
            "impossible date", "2025.toml",
            "year = 2025\n" + kSource + "[[holiday]]\nname = \"春节\"\ndays = [\"2025-02-30\"]\n",
            5, "holiday[1].days", "“2025-02-30” 不是有效日期"},
        BadFile{"date listed twice", "2025.toml",
                "year = 2025\n" + kSource +
                    "[[holiday]]\nname = \"春节\"\ndays = [\"2025-01-28\"]\n"
                    "[[holiday]]\nname = \"春节\"\ndays = [\"2025-01-28\"]\n",
                8, "holiday[2].days", "2025-01-28 重复出现（第5行"},
        BadFile{"holiday without days", "2025.toml",
                "year = 2025\n" + kSource + "[[holiday]]\nname = \"元旦\"\n", 3, "holiday[1].days",
                "缺少 days"},
        BadFile{"holiday without name", "2025.toml",
                "year = 2025\n" + kSource + "[[holiday]]\ndays = [\"2025-01-01\"]\n", 3,
                "holiday[1].name", "缺少 name"},
        BadFile{"no holidays", "2025.toml", "year = 2025\n" + kSource, 0, "holiday",
                "没有任何 [[holiday]]"},
        BadFile{
            "file name is not a year", "holidays.toml",
            "year = 2025\n" + kSource + "[[holiday]]\nname = \"元旦\"\ndays = [\"2025-01-01\"]\n",
            0, "", "文件名 holidays.toml 不是“四位年份.toml”的形式"},
        BadFile{"TOML syntax error", "2025.toml",
                "year = 2025\n" + kSource + "[[holiday]]\nname = \"元旦\ndays = []\n", 4, "",
                "不是有效的 TOML"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return std::to_string(info.index); });

TEST_F(CalendarFiles, ReportsEveryProblemNotJustTheFirst) {
  auto loaded = load_calendar_file(write("2025.toml",
                                         "year = 2024\n"
                                         "[[holiday]]\n"
                                         "name = \"春节\"\n"
                                         "days = [\"2024-01-28\"]\n"
                                         "makeup_workdays = [\"2025-01-27\"]\n"
                                         "colour = \"red\"\n"));
  EXPECT_FALSE(loaded.year);
  std::vector<std::string> keys;
  for (const auto& e : loaded.errors) keys.push_back(e.key);
  // Year mismatch, missing source, unknown key, make-up day on a Monday. With the
  // year in doubt the dates are not checked against it (no error per date).
  EXPECT_EQ(loaded.errors.size(), 4u);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "year"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "source"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "holiday[1].colour"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "holiday[1].makeup_workdays"), keys.end());
}

TEST_F(CalendarFiles, DirectoryLoadsEveryYearFile) {
  write("2025.toml", kValid2025);
  write("2026.toml",
        "year = 2026\nsource = \"通知\"\n[[holiday]]\nname = \"元旦\"\n"
        "days = [\"2026-01-01\", \"2026-01-02\", \"2026-01-03\"]\nmakeup_workdays = "
        "[\"2026-01-04\"]\n");
  write("README.md", "not a calendar file");
  auto loaded = load_calendar_dir(dir_);
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.calendar);
  EXPECT_EQ(loaded.files.size(), 2u);
  EXPECT_EQ(loaded.calendar->last_covered_year(), 2026);
  EXPECT_TRUE(*loaded.calendar->is_working_day(*parse_date("2026-01-04")));
  EXPECT_TRUE(*loaded.calendar->is_working_day(*parse_date("2025-01-26")));
  EXPECT_FALSE(loaded.calendar->covers_year(2024));
}

TEST_F(CalendarFiles, DirectoryWithOneBadFileGivesNoCalendar) {
  write("2025.toml", kValid2025);
  const fs::path bad =
      write("2026.toml", "year = 2026\n[[holiday]]\nname = \"元旦\"\ndays = [\"2026-01-01\"]\n");
  auto loaded = load_calendar_dir(dir_);
  EXPECT_FALSE(loaded.calendar);
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_EQ(loaded.errors[0].file, bad);
  EXPECT_EQ(loaded.errors[0].key, "source");
}

TEST_F(CalendarFiles, EmptyOrMissingDirectory) {
  auto empty = load_calendar_dir(dir_);
  EXPECT_FALSE(empty.calendar);
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_NE(empty.errors[0].message.find("没有任何节假日安排文件"), std::string::npos);

  auto missing = load_calendar_dir(dir_ / "nowhere");
  EXPECT_FALSE(missing.calendar);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].message.find("不存在"), std::string::npos);
}

TEST(CalendarFilesShipped, EveryShippedFileLoadsAndCitesItsNotice) {
  auto loaded = load_calendar_dir(fs::path(FANGFAN_SOURCE_DIR) / "config/calendar");
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.to_string();
  ASSERT_TRUE(loaded.calendar);
  EXPECT_EQ(loaded.files.size(), 7u);
  for (int y = 2020; y <= 2026; ++y) {
    const auto& sources = loaded.calendar->sources(y);
    ASSERT_FALSE(sources.empty()) << y;
    EXPECT_NE(sources[0].find("国务院办公厅关于" + std::to_string(y) + "年部分节假日安排的通知"),
              std::string::npos)
        << y;
    EXPECT_NE(sources[0].find("国办发明电〔" + std::to_string(y - 1) + "〕"), std::string::npos)
        << y;
  }
}

}  // namespace
}  // namespace fangfan
