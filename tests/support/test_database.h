// The fixture the storage conformance suites share: each test on a fresh, migrated database of
// its parameter's backend, SQLite (a file in a new temp folder) or PostgreSQL (a scratch database
// on the throwaway server of tests/support/pg_server.h, dropped afterwards).
//
// A suite derives from DatabaseTest and calls open_database() in its SetUp. When the PostgreSQL
// binaries are not installed the test is skipped (GTEST_SKIP); any other problem fails it. After
// either, GoogleTest does not run the test body; a SetUp that does more afterwards returns first
// when IsSkipped() or HasFatalFailure(). TearDown closes the session and the database before it
// drops the scratch database or removes the folder.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "tests/support/pg_server.h"

namespace fangfan::test {

enum class Backend { kSqlite, kPostgresql };

class DatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  // Opens a fresh database, migrated at `migrated_at`, and one session on it (s()). `tag` names
  // the SQLite temp folder: fangfan-<tag>-test-<pid>-<n>.
  void open_database(std::string_view tag, TimePoint migrated_at) {
    if (GetParam() == Backend::kSqlite) {
      static std::atomic<int> counter{0};
      dir_ = std::filesystem::temp_directory_path() /
             ("fangfan-" + std::string(tag) + "-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(++counter));
      std::filesystem::remove_all(dir_);
      url_ = "sqlite3://" + (dir_ / "fangfan.db").string();
    } else {
      const PgTestServer& pg = pg_test_server();
      if (pg.status == PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
      ASSERT_EQ(pg.status, PgTestServer::Status::kReady) << pg.reason;
      scratch_.emplace(pg);
      url_ = scratch_->url();
    }
    db_.emplace(Database::open(url_));
    migrate(*db_, migrated_at);
    session_ = db_->open_session();
  }

  void TearDown() override {
    session_.reset();
    db_.reset();
    scratch_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  soci::session& s() { return *session_; }

  std::filesystem::path dir_;  // SQLite only
  std::string url_;
  std::optional<ScratchPgDatabase> scratch_;  // PostgreSQL only
  std::optional<Database> db_;
  std::unique_ptr<soci::session> session_;
};

}  // namespace fangfan::test
