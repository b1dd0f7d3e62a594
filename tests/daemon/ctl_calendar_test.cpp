// `fangfanctl calendar ...`: exact output and exit codes, on the shipped calendar files.
#include "daemon/ctl/ctl_calendar.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace fangfan {
namespace {

namespace fs = std::filesystem;

struct CtlRun {
  int code;
  std::string out;
  std::string err;
};

CtlRun run(const std::vector<std::string>& args,
           const fs::path& dir = fs::path(FANGFAN_SOURCE_DIR) / "config/calendar") {
  std::ostringstream out, err;
  const int code = run_calendar_command(args, dir, out, err);
  return CtlRun{code, out.str(), err.str()};
}

struct Exact {
  std::vector<std::string> args;
  std::string out;
};

TEST(CtlCalendar, PrintsExactlyTheAnswer) {
  const std::vector<Exact> cases = {
      {{"is-working-day", "2025-10-11"}, "yes\n"},  // 国庆 make-up Saturday
      {{"is-working-day", "2025-10-08"}, "no\n"},
      {{"is-working-day", "2025-10-12"}, "no\n"},   // an ordinary Sunday
      {{"is-working-day", "2025-10-13"}, "yes\n"},  // an ordinary Monday
      {{"add-working-days", "2025-09-30", "5"}, "2025-10-14\n"},
      {{"add-working-days", "2025-01-27", "5"}, "2025-02-10\n"},
      {{"add-working-days", "2025-12-31", "1"}, "2026-01-04\n"},
      {{"add-working-days", "2025-10-03", "0"}, "2025-10-03\n"},
      {{"add-working-days", "2025-10-09", "-1"}, "2025-09-30\n"},
      {{"working-days-between", "2025-01-01", "2025-12-31"}, "248\n"},
      {{"working-days-between", "2024-01-01", "2024-12-31"}, "251\n"},
      {{"working-days-between", "2025-10-01", "2025-10-08"}, "0\n"},
      {{"working-days-between", "2025-10-11", "2025-10-11"}, "1\n"},
  };
  for (const auto& c : cases) {
    const CtlRun r = run(c.args);
    EXPECT_EQ(r.code, 0) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_EQ(r.out, c.out) << c.args[0] << " " << c.args[1];
    EXPECT_EQ(r.err, "");
  }
}

TEST(CtlCalendar, CheckListsTheYears) {
  const CtlRun r = run({"check"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "节假日安排已配置：2020、2021、2022、2023、2024、2025、2026\n");
}

TEST(CtlCalendar, YearWithoutDataFails) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"is-working-day", "2027-01-04"},
           {"add-working-days", "2026-12-31", "1"},
           {"working-days-between", "2026-01-01", "2027-01-31"}}) {
    const CtlRun r = run(args);
    EXPECT_EQ(r.code, 2) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("2027年的节假日安排尚未配置（config/calendar/2027.toml）"),
              std::string::npos)
        << r.err;
  }
}

TEST(CtlCalendar, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* err_part;
  };
  const std::vector<Case> cases = {
      {{}, "缺少子命令"},
      {{"is-working-day"}, "需要一个日期"},
      {{"is-working-day", "2025-10-11", "extra"}, "需要一个日期"},
      {{"is-working-day", "2025-02-30"}, "“2025-02-30”不是有效日期"},
      {{"is-working-day", "11/10/2025"}, "不是有效日期"},
      {{"add-working-days", "2025-09-30"}, "需要一个日期和一个天数"},
      {{"add-working-days", "2025-09-30", "five"}, "“five”不是有效的工作日天数"},
      {{"add-working-days", "2025-09-30", "5x"}, "不是有效的工作日天数"},
      {{"working-days-between", "2025-12-31", "2025-01-01"}, "早于起始日期"},
      {{"next-holiday"}, "未知的子命令“next-holiday”"},
  };
  for (const auto& c : cases) {
    const CtlRun r = run(c.args);
    EXPECT_EQ(r.code, 2) << (c.args.empty() ? "" : c.args[0]);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(c.err_part), std::string::npos) << r.err;
  }
  EXPECT_NE(run({}).err.find("fangfanctl calendar add-working-days YYYY-MM-DD N"),
            std::string::npos);
  const CtlRun help = run({"help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("working-days-between"), std::string::npos);
}

TEST(CtlCalendar, BrokenCalendarFilesAreReportedNotUsed) {
  const fs::path dir =
      fs::temp_directory_path() / ("fangfan_ctl_calendar_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "2025.toml") << "year = 2025\n"
                                      "source = \"通知\"\n"
                                      "[[holiday]]\n"
                                      "name = \"春节\"\n"
                                      "days = [\"2025-01-28\"]\n"
                                      "makeup_workdays = [\"2025-01-27\"]\n";
  const CtlRun r = run({"is-working-day", "2025-01-27"}, dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find((dir / "2025.toml").string() + " 第6行（holiday[1].makeup_workdays）"),
            std::string::npos)
      << r.err;

  const CtlRun missing = run({"is-working-day", "2025-01-27"}, dir / "nowhere");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("不存在"), std::string::npos) << missing.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fangfan
