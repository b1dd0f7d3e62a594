// The throwaway PostgreSQL server that tests run against (scripts/pg-test-server does the work).
//
// Under CTest one server serves the whole run: the fixture test storage_pg_server_start starts it
// and leaves its address in a state folder, every test that needs it has FIXTURES_REQUIRED
// storage_pg and reads the folder named by FANGFAN_PG_TEST_STATE, and storage_pg_server_stop
// stops it at the end, also when tests failed. A test binary run by hand (no
// FANGFAN_PG_TEST_STATE) starts its own server on first use, with its state in
// <build>/tests/pg-test-server.manual.<binary>, and stops it when its tests are done (a server
// left behind by a killed run is stopped by the next run of the same binary).
//
// Skip or fail: status kAbsent means the PostgreSQL server binaries are truly not installed
// (tests then GTEST_SKIP with `reason`); every other problem is kFailed and tests must FAIL.
// FANGFAN_PG_BINDIR points the script at another bin folder (e.g. a missing one, to check the
// skip path).
//
// Thread-safety: pg_test_server() may be called from several threads; the first call starts
// the server.
#pragma once

#include <string>
#include <string_view>

namespace fangfan::test {

struct PgTestServer {
  enum class Status { kReady, kAbsent, kFailed };
  Status status = Status::kFailed;
  std::string reason;  // why not ready
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
  std::string dbname;  // a database that exists: connect here to create others

  // postgresql://user:password@host:port/<database>
  std::string url(std::string_view database) const;
};

const PgTestServer& pg_test_server();

// Stops the server pg_test_server() started itself, if it did (not one named by the CTest
// fixture's environment). Test binaries need not call it: GoogleTest's environment does after
// the last test. A program without GoogleTest (a benchmark) calls it before it returns, or its
// server would run on until the same program starts again.
void stop_self_started_pg_server();

// A fresh database with a unique name on the test server, dropped by the destructor.
// REQUIRES: server.status == kReady. Throws std::runtime_error when creation fails.
class ScratchPgDatabase {
 public:
  explicit ScratchPgDatabase(const PgTestServer& server);
  ~ScratchPgDatabase();
  ScratchPgDatabase(const ScratchPgDatabase&) = delete;
  ScratchPgDatabase& operator=(const ScratchPgDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string url() const { return server_.url(name_); }

 private:
  const PgTestServer& server_;
  std::string name_;
};

}  // namespace fangfan::test
