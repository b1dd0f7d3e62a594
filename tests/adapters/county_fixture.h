// The example county (config/example.toml and the shipped calendar) on a fresh SQLite database,
// with the timer hook installed: the fixture of the county month and county year scheduler tests.
// Each test moves a SimulatedClock and fires timers with fire_next_due_timer().
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <functional>
#include <map>

#include "adapters/calendar/calendar_files.h"
#include "adapters/config/config.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/storage/case_repository.h"
#include "adapters/storage/database.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/outbox_store.h"
#include "tests/adapters/stored_walk.h"
#include "tests/adapters/test_case_writer.h"
#include "tests/support/people.h"
#include "tests/workflows/case_fixture.h"
#include "workflows/date.h"
#include "workflows/duties.h"

namespace fangfan::county_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::at;
using testing::CaseWalk;

// The example county's places and assistance officers (config/example.toml).
constexpr const char* kDongling = "379901001001";  // 东岭村, 东岭镇
constexpr const char* kLiushu = "379901001002";    // 柳树村, 东岭镇 (孔德明, 曹春燕)
constexpr const char* kXihe = "379901002001";      // 西河村, 西河镇
constexpr const char* kXinghua = "379901002002";   // 杏花村, 西河镇 (严国华, 华丽萍)
constexpr const char* kNanshan = "379901003001";   // 南山村, 南山乡

inline std::shared_ptr<const Config> example_config() {
  ConfigResult r = load_config(FANGFAN_SOURCE_DIR "/config/example.toml");
  if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
    for (const ConfigError& e : *errors) ADD_FAILURE() << e.to_string();
    return nullptr;
  }
  return std::get<std::shared_ptr<const Config>>(r);
}

inline std::shared_ptr<const WorkingDayCalendar> shipped_calendar() {
  CalendarLoad load = load_calendar_dir(FANGFAN_SOURCE_DIR "/config/calendar");
  EXPECT_TRUE(load.calendar.has_value());
  return load.calendar ? std::make_shared<const WorkingDayCalendar>(*load.calendar) : nullptr;
}

inline fs::path fresh_temp_dir() {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("fangfan-county-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline std::string param(const OutboxRecord& m, const char* key) {
  const boost::json::value v = boost::json::parse(m.body);
  const boost::json::value* p = v.as_object().if_contains(key);
  return p != nullptr && p->is_string() ? std::string(p->as_string()) : "<missing>";
}

class CountyFixture : public ::testing::Test {
 protected:
  // `start`: where the simulated clock begins (China time, e.g. "2025-03-03T08:00").
  explicit CountyFixture(const char* start) : clock_(at(start)) {}

  void SetUp() override {
    ASSERT_TRUE(config_ != nullptr);
    ASSERT_TRUE(calendar_ != nullptr);
    dir_ = fresh_temp_dir();
    db_.emplace(Database::open("sqlite3://" + (dir_ / "fangfan.db").string()));
    migrate(*db_, at("2025-01-01T00:00"));
    session_ = db_->open_session();
    repo_.emplace(*session_, *config_, clock_, make_timer_hook(config_, calendar_));
  }

  void TearDown() override {
    repo_.reset();
    session_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  soci::session& s() { return *session_; }

  CaseWalk walk(TimePoint start, const std::string& household_code, const char* village) {
    return test::stored_walk(s(), *config_, start, household_code, village);
  }

  std::int64_t open(CaseWalk& w) { return test::open_stored(*repo_, w); }

  void accept(CaseWalk& w, std::int64_t id, const CaseEvent& e) {
    test::accept_stored(*repo_, w, id, e);
  }

  // Moves the walk to `t` (a whole number of hours ahead) before its next event.
  static void walk_to(CaseWalk& w, TimePoint t) { w.hours(static_cast<int>((t - w.now()) / 1h)); }

  // Takes a case from its walk's start through recognition in ten days, before any of its step
  // reminders fire, so the only timers it leaves are its months' visits and monitoring.
  std::int64_t registered_case(CaseWalk& w, const char* officer) {
    const std::int64_t id = open(w);
    accept(w, id, w.start_verification());
    w.days(2);
    accept(w, id, w.eligible_verification());
    w.days(1);
    accept(w, id, w.review_pass());
    w.days(2);
    accept(w, id, w.county_pass());
    w.days(6);
    accept(w, id, w.close_publicity());
    EXPECT_EQ(w.state(), "registered");
    if (officer != nullptr) accept(w, id, w.assign_officer(officer));
    return id;
  }

  std::vector<OutboxRecord> fire_all(TimePoint now) {
    std::vector<OutboxRecord> out;
    int fired = 0;
    while (auto f = fire_next_due_timer(s(), *config_, *calendar_, now)) {
      for (std::int64_t id : f->outbox_ids) out.push_back(*load_outbox(s(), id));
      if (++fired > 1000) break;
    }
    return out;
  }

  std::shared_ptr<const Config> config_ = example_config();
  std::shared_ptr<const WorkingDayCalendar> calendar_ = shipped_calendar();
  SimulatedClock clock_;
  fs::path dir_;
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
  std::optional<test::StoredCases> repo_;
};

}  // namespace fangfan::county_test
