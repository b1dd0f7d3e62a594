// `fangfanctl case show ID`: exact lines for a stored case, masking, exit codes; and once through
// the real fangfanctl binary with a configuration file.
#include "daemon/ctl/ctl_case.h"

#include <gtest/gtest.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using testing::CaseWalk;

constexpr const char* kVillage = "370102001001";

TimePoint t0() { return testing::at("2025-03-03T09:00:00"); }

fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-ctl-case-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct CtlRun {
  int code;
  std::string out;
  std::string err;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class CtlCase : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_temp_dir();
    config_.county = {"370102", "历下区", "山东省"};
    config_.townships = {{"370102001", "解放路街道"}};
    config_.villages = {{kVillage, "东村", "370102001"}};
    config_.rules = testing::test_rules();
    config_.storage_url = "sqlite3://" + (dir_ / "fangfan.db").string();

    testing::PeopleGenerator people(21);
    household_ = people.household("3701020010010021", kVillage, 3);
    household_.members[1].able_to_work = false;
    household_.members[1].disabled = true;
    household_.members[2].able_to_work = false;
    household_.members[2].student = true;

    const Database db = Database::open(config_.storage_url);
    migrate(db, t0());
    auto session = db.open_session();
    SimulatedClock clock(t0());
    test::StoredCases repo(*session, config_, clock);
    CaseWalk w(config_.rules, "1", "marginal", household_, t0());
    const OpenCase open = w.open_event();
    w.ok(open);
    ASSERT_TRUE(std::holds_alternative<CaseChange>(repo.open_case(open)));
    const auto apply = [&](const CaseEvent& e) {
      w.ok(e);
      const ApplyResult r = repo.apply(1, e);
      ASSERT_TRUE(std::holds_alternative<CaseChange>(r)) << event_name(e);
    };
    apply(w.start_verification());
    apply(w.eligible_verification());
    apply(w.review_pass());
    apply(w.county_pass());
    apply(PublicityObjection{w.meta("邻居反映该户有稳定务工收入")});
    history_ = w.history();
  }

  void TearDown() override { fs::remove_all(dir_); }

  CtlRun run(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = run_case_command(args, config_, out, err);
    return {code, out.str(), err.str()};
  }

  fs::path dir_;
  Config config_;
  Household household_;
  std::vector<HistoryEntry> history_;
};

TEST_F(CtlCase, ShowPrintsTheCaseAndItsHistoryInOrder) {
  const CtlRun r = run({"show", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const Member& head = household_.members[0];
  const Member& spouse = household_.members[1];
  const Member& child = household_.members[2];
  const std::vector<std::string> expected = {
      "案件 1",
      "户编号：3701020010010021",
      "所在村：东村（解放路街道）",
      "监测对象类型：边缘易致贫户",
      "当前状态：民主评议",
      "版本：6",
      "帮扶责任人：未指定",
      "先帮扶后认定：否",
      "信息来源：农户自主申请",
      "风险类型：因病",
      "建档时间：2025-03-03 09:10",
      "联系电话：" + mask_phone(household_.phone),
      "家庭成员（3 人）：",
      "  1. " + head.name + "  户主  " + mask_id_number(head.id_number) + "  有劳动能力",
      "  2. " + spouse.name + "  配偶  " + mask_id_number(spouse.id_number) + "  无劳动能力、残疾",
      "  3. " + child.name + "  子女  " + mask_id_number(child.id_number) + "  无劳动能力、在校生",
      "历史记录（6 条）：",
      "  1. 2025-03-03 09:10  建档登记发现的农户  未建档 → 已发现待入户核实  经办：村委会王*",
      "  2. 2025-03-03 09:20  开始入户核实  已发现待入户核实 → 入户核实  经办：镇扶贫办李*",
      "  3. 2025-03-03 09:30  登记入户核实结果  入户核实 → 民主评议  经办：镇扶贫办李*",
      "  4. 2025-03-03 09:40  登记民主评议结果  民主评议 → 县级审核比对  经办：镇扶贫办李*",
      "  5. 2025-03-03 09:50  登记县级审核比对结果  县级审核比对 → 村级公示  经办：镇扶贫办李*",
      "  6. 2025-03-03 10:00  登记村级公示异议  村级公示 → 民主评议  经办：镇扶贫办李*",
      "     理由：邻居反映该户有稳定务工收入",
  };
  EXPECT_EQ(lines(r.out), expected);
  // Never an unmasked ID number or phone.
  for (const Member& m : household_.members) {
    EXPECT_EQ(r.out.find(m.id_number), std::string::npos);
  }
  EXPECT_EQ(r.out.find(household_.phone), std::string::npos);
}

TEST_F(CtlCase, ShowListsWrittenNoticesAndTheEmergencyFlag) {
  // A second household, emergency, rejected at verification.
  testing::PeopleGenerator people(22);
  const Household h = people.household("3701020010010022", kVillage, 2);
  const Database db = Database::open(config_.storage_url);
  auto session = db.open_session();
  SimulatedClock clock(t0());
  test::StoredCases repo(*session, config_, clock);
  CaseWalk w(config_.rules, "2", "sudden", h, t0(), /*emergency=*/true);
  const OpenCase open = w.open_event();
  w.ok(open);
  ASSERT_TRUE(std::holds_alternative<CaseChange>(repo.open_case(open)));
  for (const CaseEvent& e : std::vector<CaseEvent>{w.start_verification()}) {
    w.ok(e);
    ASSERT_TRUE(std::holds_alternative<CaseChange>(repo.apply(2, e)));
  }
  const CaseEvent reject = w.ineligible_verification();
  w.ok(reject);
  ASSERT_TRUE(std::holds_alternative<CaseChange>(repo.apply(2, reject)));
  ASSERT_EQ(w.data().notices.size(), 1u);

  const CtlRun r = run({"show", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto out = lines(r.out);
  const auto has = [&](const std::string& line) {
    return std::find(out.begin(), out.end(), line) != out.end();
  };
  EXPECT_TRUE(has("当前状态：未纳入监测（已书面告知）")) << r.out;
  EXPECT_TRUE(has("先帮扶后认定：是（房屋因洪灾倒塌）")) << r.out;
  EXPECT_TRUE(has("书面告知（1 份）：")) << r.out;
  EXPECT_TRUE(has("  2025-03-03 09:30  未纳入监测书面告知：" + w.data().notices[0].reason))
      << r.out;
  EXPECT_TRUE(
      has("  3. 2025-03-03 09:30  登记入户核实结果  入户核实 → 未纳入监测（已书面告知）  "
          "经办：镇扶贫办李*"))
      << r.out;
}

TEST_F(CtlCase, UnknownCaseIsExitOne) {
  const CtlRun r = run({"show", "99"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "没有编号为 99 的案件。\n");
}

TEST_F(CtlCase, MissingDatabaseIsReportedAndNotCreated) {
  config_.storage_url = "sqlite3://" + (dir_ / "nowhere" / "fangfan.db").string();
  const CtlRun r = run({"show", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("不存在"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere"));
}

TEST_F(CtlCase, ShowOpensTheDatabaseReadOnly) {
  const std::string file = (dir_ / "fangfan.db").string();
  const auto journal_mode = [&] {
    soci::session raw(*soci::factory_sqlite3(), "db=\"" + file + "\"");
    std::string mode;
    raw << "PRAGMA journal_mode", soci::into(mode);
    return mode;
  };
  {
    // A database left in rollback-journal mode: a reader must not switch it to WAL.
    soci::session raw(*soci::factory_sqlite3(), "db=\"" + file + "\"");
    std::string mode;
    raw << "PRAGMA journal_mode = DELETE", soci::into(mode);
    ASSERT_EQ(mode, "delete");
  }
  const auto before = fs::last_write_time(file);
  const CtlRun r = run({"show", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(journal_mode(), "delete");
  EXPECT_EQ(fs::last_write_time(file), before);
  EXPECT_FALSE(fs::exists(file + "-wal"));
  EXPECT_FALSE(fs::exists(file + "-journal"));
}

TEST_F(CtlCase, UsageErrorsAreExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{{},
                                                                {"list"},
                                                                {"show"},
                                                                {"show", "1", "2"},
                                                                {"show", "abc"},
                                                                {"show", "0"},
                                                                {"show", "-3"}}) {
    const CtlRun r = run(args);
    EXPECT_EQ(r.code, 2) << (args.empty() ? "" : args[0]);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("fangfanctl case show"), std::string::npos) << r.err;
  }
}

// The real binary, with the example configuration copied next to a fresh database.
TEST_F(CtlCase, FangfanctlShowsAStoredCase) {
  const fs::path conf = dir_ / "conf";
  fs::create_directories(conf);
  fs::copy_file(fs::path(FANGFAN_SOURCE_DIR) / "config/example.toml", conf / "fangfan.toml");
  fs::create_directory_symlink(fs::path(FANGFAN_SOURCE_DIR) / "config/calendar", conf / "calendar");
  auto loaded = load_config(conf / "fangfan.toml");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<const Config>>(loaded));
  const Config& config = *std::get<std::shared_ptr<const Config>>(loaded);
  ASSERT_FALSE(config.villages.empty());
  ASSERT_FALSE(config.rules.case_kinds.empty());

  const Database db = Database::open(config.storage_url);
  migrate(db, t0());
  auto session = db.open_session();
  SimulatedClock clock(t0());
  test::StoredCases repo(*session, config, clock);
  testing::PeopleGenerator people(23);
  CaseWalk w(config.rules, "1", config.rules.case_kinds[0].code,
             people.household("3799010010010001", config.villages[0].code, 2), t0());
  ASSERT_TRUE(std::holds_alternative<CaseChange>(repo.open_case(w.open_event())));

  const std::string command = std::string(FANGFANCTL_PATH) + " --config " +
                              (conf / "fangfan.toml").string() + " case show 1 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_EQ(out.rfind("案件 1\n户编号：3799010010010001\n所在村：" + config.villages[0].name, 0),
            0u)
      << out;
  EXPECT_NE(out.find("监测对象类型：" + config.rules.case_kinds[0].name + "\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("历史记录（1 条）：\n  1. 2025-03-03 09:10  建档登记发现的农户"),
            std::string::npos)
      << out;

  const std::string missing = std::string(FANGFANCTL_PATH) + " --config " +
                              (conf / "fangfan.toml").string() + " case show 7 >/dev/null 2>&1";
  const int missing_status = std::system(missing.c_str());
  ASSERT_TRUE(WIFEXITED(missing_status));
  EXPECT_EQ(WEXITSTATUS(missing_status), 1);
}

}  // namespace
}  // namespace fangfan
