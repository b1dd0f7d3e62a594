#include "tests/support/pg_server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "adapters/storage/database.h"

namespace fangfan::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateVariable = "FANGFAN_PG_TEST_STATE";
constexpr int kAbsentExitStatus = 77;  // the script's "no server binaries" (state says why)

std::string script_path() { return std::string(FANGFAN_SOURCE_DIR) + "/scripts/pg-test-server"; }

std::string read_trimmed(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

PgTestServer failed(std::string reason) {
  PgTestServer s;
  s.status = PgTestServer::Status::kFailed;
  s.reason = std::move(reason);
  return s;
}

PgTestServer read_state(const fs::path& dir) {
  if (!fs::exists(dir / "status")) {
    return failed("no PostgreSQL test server state in " + dir.string() +
                  ": the CTest fixture test storage_pg_server_start did not run or did not "
                  "finish (see its output)");
  }
  const std::string status = read_trimmed(dir / "status");
  if (status == "absent") {
    PgTestServer s;
    s.status = PgTestServer::Status::kAbsent;
    s.reason = read_trimmed(dir / "reason");
    return s;
  }
  if (status != "ready")
    return failed("unexpected server status '" + status + "' in " + dir.string());

  PgTestServer s;
  std::ifstream env(dir / "server.env");
  std::string line;
  while (std::getline(env, line)) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "PGTEST_HOST") s.host = value;
    if (key == "PGTEST_PORT") s.port = std::atoi(value.c_str());
    if (key == "PGTEST_USER") s.user = value;
    if (key == "PGTEST_PASSWORD") s.password = value;
    if (key == "PGTEST_DBNAME") s.dbname = value;
  }
  if (s.host.empty() || s.port == 0 || s.user.empty() || s.dbname.empty()) {
    return failed("incomplete server.env in " + dir.string());
  }
  s.status = PgTestServer::Status::kReady;
  return s;
}

int run_script(const std::string& action, const fs::path& state) {
  const std::string command = "'" + script_path() + "' " + action + " '" + state.string() + "'";
  const int rc = std::system(command.c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

// Stops a server this process started itself (no CTest fixture) after the last test.
class SelfStartedServer : public ::testing::Environment {
 public:
  void TearDown() override {
    if (state_.empty()) return;
    run_script("stop", state_);
    std::error_code ec;
    fs::remove_all(state_, ec);
    state_.clear();
  }
  void adopt(fs::path state) { state_ = std::move(state); }

 private:
  fs::path state_;
};

SelfStartedServer* const g_self_started =
    static_cast<SelfStartedServer*>(::testing::AddGlobalTestEnvironment(new SelfStartedServer));

PgTestServer locate_or_start() {
  if (const char* state = std::getenv(kStateVariable); state != nullptr && *state != '\0') {
    return read_state(state);
  }
  // One fixed folder per test binary: if a previous run was killed before it could stop its
  // server, `start` finds that server's state here and stops it first.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path state =
      fs::path(FANGFAN_BINARY_DIR) / "tests" /
      ("pg-test-server.manual." + (ec ? std::string("test") : exe.filename().string()));
  g_self_started->adopt(state);
  const int rc = run_script("start", state);
  if (rc != 0 && rc != kAbsentExitStatus) {
    return failed(script_path() + " start failed with exit status " + std::to_string(rc) +
                  " (its output is above)");
  }
  return read_state(state);
}

std::atomic<int> g_database_counter{0};

}  // namespace

void stop_self_started_pg_server() { g_self_started->TearDown(); }

std::string PgTestServer::url(std::string_view database) const {
  return "postgresql://" + user + ":" + password + "@" + host + ":" + std::to_string(port) + "/" +
         std::string(database);
}

const PgTestServer& pg_test_server() {
  static const PgTestServer server = locate_or_start();
  return server;
}

ScratchPgDatabase::ScratchPgDatabase(const PgTestServer& server) : server_(server) {
  name_ = "fangfan_t_" + std::to_string(::getpid()) + "_" + std::to_string(++g_database_counter);
  const auto session = Database::open(server_.url(server_.dbname)).open_session();
  guarded("creating test database " + name_, [&] { *session << "CREATE DATABASE " + name_; });
}

ScratchPgDatabase::~ScratchPgDatabase() {
  try {
    const auto session = Database::open(server_.url(server_.dbname)).open_session();
    // FORCE: a session the test forgot to close must not keep the database alive.
    *session << "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "dropping test database " << name_ << ": " << e.what();
  }
}

}  // namespace fangfan::test
