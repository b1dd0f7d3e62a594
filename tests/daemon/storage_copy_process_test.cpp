// Moving a county from SQLite to PostgreSQL with `fangfanctl storage copy` (README, "When to move
// from SQLite to PostgreSQL"): a real fangfand on the simulated clock makes a SQLite deployment
// (tokens, cases through several steps with their history, fired and pending timers, duties,
// messages queued and sent), is stopped, and the file is copied into a scratch database on the
// tests' throwaway PostgreSQL server. Then: every table of the file (listed from sqlite_master,
// so a table a later migration adds is checked without a change here) appears in the report
// with equal counts and holds the same rows on both sides; fangfand started on the copy answers
// the same cases the same way to the same token, fires a pending timer once, and gives new rows
// ids past the copied ones. And the refusals: a daemon on the file, a file of another schema
// version, a target with rows, and a copy failing half-way leaves the target without a row.
#include <gmock/gmock.h>

#include <algorithm>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/storage_copy.h"
#include "tests/daemon/county_daemon.h"
#include "tests/support/pg_server.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunResult;

using Rows = std::vector<std::vector<std::string>>;

// ---- foreign_key_order, the copy's table order

struct OrderCase {
  const char* name;
  std::vector<std::string> tables;
  std::vector<TableReference> references;
  std::vector<std::string> order;
  std::vector<std::string> ring;
};

TEST(StorageCopyOrder, TablesComeAfterTheTablesTheyReference) {
  const std::vector<OrderCase> cases = {
      {"no references keep their order", {"b", "a"}, {}, {"b", "a"}, {}},
      {"a referenced table first",
       {"cases", "households"},
       {{"cases", "households"}},
       {"households", "cases"},
       {}},
      {"a chain",
       {"history", "cases", "households"},
       {{"history", "cases"}, {"cases", "households"}},
       {"households", "cases", "history"},
       {}},
      {"a reference to itself does not wait",
       {"outbox", "cases"},
       {{"outbox", "outbox"}, {"outbox", "cases"}, {"cases", "cases"}},
       {"cases", "outbox"},
       {}},
      {"a ring is left out and named",
       {"a", "b", "c"},
       {{"a", "b"}, {"b", "a"}},
       {"c"},
       {"a", "b"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> ring;
    EXPECT_EQ(foreign_key_order(c.tables, c.references, ring), c.order) << c.name;
    EXPECT_EQ(ring, c.ring) << c.name;
  }
}

// ---- the copy of a county's SQLite file

// Every row of `table` as text (NULL as "<null>"), sorted: the same rows on both backends give
// the same answer whatever each orders by.
Rows table_rows(soci::session& s, const std::string& table, const std::vector<std::string>& cols) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < cols.size(); ++i) {
    sql += (i ? ", " : "") + std::string("CAST(\"") + cols[i] + "\" AS TEXT)";
  }
  sql += " FROM \"" + table + "\"";
  std::vector<std::string> row(cols.size());
  std::vector<soci::indicator> inds(cols.size());
  soci::statement st(s);
  for (std::size_t i = 0; i < cols.size(); ++i) st.exchange(soci::into(row[i], inds[i]));
  st.alloc();
  st.prepare(sql);
  st.define_and_bind();
  st.execute(false);
  Rows out;
  while (st.fetch()) {
    std::vector<std::string> r;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      r.push_back(inds[i] == soci::i_null ? "<null>" : row[i]);
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> sqlite_tables(soci::session& s) {
  std::vector<std::string> out;
  soci::rowset<std::string> rs =
      (s.prepare << "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name");
  for (const auto& name : rs) out.push_back(name);
  return out;
}

std::vector<std::string> sqlite_columns(soci::session& s, const std::string& table) {
  std::vector<std::string> out;
  soci::rowset<std::string> rs =
      (s.prepare << "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid");
  for (const auto& name : rs) out.push_back(name);
  return out;
}

long long number(soci::session& s, const std::string& sql) {
  long long n = -1;
  soci::indicator ind = soci::i_ok;
  s << sql, soci::into(n, ind);
  return ind == soci::i_null ? 0 : n;
}

class StorageCopy : public test::CountyDaemon {
 protected:
  void SetUp() override {
    const test::PgTestServer& pg = test::pg_test_server();
    if (pg.status == test::PgTestServer::Status::kAbsent) GTEST_SKIP() << pg.reason;
    ASSERT_EQ(pg.status, test::PgTestServer::Status::kReady) << pg.reason;
    test::CountyDaemon::SetUp();
  }

  fs::path file() const { return dir_.path() / "state/fangfan.db"; }
  std::unique_ptr<soci::session> lite(const fs::path& f) const {
    return std::make_unique<soci::session>("sqlite3", "db=" + f.string() + " timeout=10");
  }
  RunResult copy(const std::string& from, const std::string& to,
                 std::vector<std::string> more = {}) {
    std::vector<std::string> args{"storage", "copy", "--from", from, "--to", to};
    args.insert(args.end(), more.begin(), more.end());
    return ctl(args);
  }
  // The rows of every table but schema_migrations in the PostgreSQL database at `url`.
  long long rows_in(const std::string& url) {
    auto s = Database::open(url).open_session();
    long long n = 0;
    for (const auto& t : sqlite_tables(*lite(file()))) {
      if (t != "schema_migrations") n += number(*s, "SELECT COUNT(*) FROM \"" + t + "\"");
    }
    return n;
  }
  json::value get(const std::string& target, const std::string& token) {
    test::Reply r = test::http_once(port_, http::verb::get, target, token);
    EXPECT_EQ(r.status, 200u) << target << " " << r.body;
    return r.json();
  }

  // A month of the example county on SQLite: three cases at different steps, visits, reminders
  // and escalations fired and sent, the next ones pending. Leaves the daemon running at 04-15.
  void make_county() {
    admin_ = token("county_admin", "379901", "周建国");
    office_ = token("county_office", "379901", "吴秀兰");
    dongling_ = token("township_clerk", "379901001", "王丽");
    xihe_ = token("township_clerk", "379901002", "陈静");
    const std::string& xihe = xihe_;
    start("2025-03-03T09:00");
    cases_ = {open_to_publicity("379901001001", dongling_), open_to_publicity("379901002001", xihe),
              open_verifying("379901001002", dongling_)};
    for (auto id : cases_) ASSERT_NE(id, 0);
    EXPECT_THAT(advance("9d"), HasSubstr("2025-03-12T09:00:00+08:00"));
    EXPECT_EQ(step(cases_[0], dongling_, {{"type", "close_publicity"}}), "registered");
    EXPECT_EQ(step(cases_[1], xihe, {{"type", "close_publicity"}}), "registered");
    EXPECT_EQ(step(cases_[0], dongling_, {{"type", "assign_officer"}, {"officer", "杨帆"}}),
              "registered");
    EXPECT_EQ(step(cases_[1], xihe, {{"type", "assign_officer"}, {"officer", "朱晓东"}}),
              "registered");
    EXPECT_EQ(step(cases_[0], dongling_, visit("2025-03-12", "杨帆")), "registered");
    EXPECT_THAT(advance("34d"), HasSubstr("2025-04-15T09:00:00+08:00"));
  }

  std::string dongling_, xihe_;
  std::vector<std::int64_t> cases_;
};

TEST_F(StorageCopy, ACountyOnSqliteRunsOnItsPostgresqlCopy) {
  make_county();
  test::ScratchPgDatabase target(test::pg_test_server());

  // Refused while the daemon holds the file; the target is not even migrated.
  RunResult running = copy(file().string(), target.url());
  EXPECT_EQ(running.status, 1) << running.output;
  EXPECT_THAT(running.output, HasSubstr(".daemon-lock")) << running.output;
  EXPECT_THAT(running.output, HasSubstr("stop it, then copy"));
  EXPECT_EQ(current_schema_version(*Database::open(target.url()).open_session()), 0);

  // What the daemon answers on SQLite, to compare with its answers on PostgreSQL.
  std::vector<json::value> answers;
  for (auto id : cases_) answers.push_back(get("/api/v1/cases/" + std::to_string(id), admin_));
  answers.push_back(get("/api/v1/cases", admin_));
  answers.push_back(get("/api/v1/overdue", admin_));
  stop();

  // The file holds real content in the tables a county lives on.
  auto source = lite(file());
  for (const char* sql :
       {"SELECT COUNT(*) FROM households", "SELECT COUNT(*) FROM household_members",
        "SELECT COUNT(*) FROM cases", "SELECT COUNT(*) FROM case_history",
        "SELECT COUNT(*) FROM timers WHERE state = 'fired'",
        "SELECT COUNT(*) FROM timers WHERE state = 'pending'", "SELECT COUNT(*) FROM duties",
        "SELECT COUNT(*) FROM outbox WHERE status = 'sent'",
        // members of a digest: a reference of the outbox to itself
        "SELECT COUNT(*) FROM outbox WHERE digest_of IS NOT NULL",
        "SELECT COUNT(*) FROM api_tokens"}) {
    EXPECT_GT(number(*source, sql), 0) << sql;
  }

  const long long timer_rows = number(*source, "SELECT COUNT(*) FROM timers");
  ASSERT_GE(timer_rows, 4);
  const long long every = timer_rows / 2;  // the timers table passes it
  RunResult copied = copy("sqlite3://" + file().string(), target.url(),
                          {"--progress-every", std::to_string(every)});
  ASSERT_EQ(copied.status, 0) << copied.output;
  EXPECT_THAT(copied.output, HasSubstr("the same counts on both sides"));
  // Progress: the timers table passed `every` in its one INSERT (fewer than 500 rows): one line,
  // at its end. A table with fewer rows than `every` prints none.
  const std::string end_line = "  timers: " + std::to_string(timer_rows) + " / " +
                               std::to_string(timer_rows) + " 行 (rows)\n";
  EXPECT_THAT(copied.output, HasSubstr(end_line));
  for (const auto& table : sqlite_tables(*source)) {
    const long long n = number(*source, "SELECT COUNT(*) FROM \"" + table + "\"");
    const bool printed = copied.output.find("  " + table + ": ") != std::string::npos;
    EXPECT_EQ(printed, n >= every) << table << " has " << n << " rows:\n" << copied.output;
  }

  // Table by table: listed with its count on both sides, and the same rows.
  auto copy_session = Database::open(target.url()).open_session();
  const auto tables = sqlite_tables(*source);
  EXPECT_GE(tables.size(), 20u);
  for (const auto& table : tables) {
    const auto cols = sqlite_columns(*source, table);
    const Rows rows = table_rows(*source, table, cols);
    const std::string n = std::to_string(rows.size());
    EXPECT_TRUE(
        std::regex_search(copied.output, std::regex("\n" + table + " +" + n + " +" + n + "\n")))
        << table << " with " << n << " rows is not in the report:\n"
        << copied.output;
    EXPECT_EQ(table_rows(*copy_session, table, cols), rows) << "table " << table;
  }
  const long long last_case = number(*source, "SELECT MAX(id) FROM cases");
  const long long last_timer = number(*source, "SELECT MAX(id) FROM timers");
  const long long last_message = number(*source, "SELECT MAX(id) FROM outbox");
  const long long next_timer = number(*source,
                                      "SELECT id FROM timers WHERE state = 'pending'"
                                      " ORDER BY due_at, due_ms, id LIMIT 1");
  source.reset();

  // A second copy into the same database is refused, naming a table with rows.
  RunResult again = copy(file().string(), target.url());
  EXPECT_EQ(again.status, 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr("the target database is not empty: table "));

  // fangfand on the copy: the same answers to the same (copied) token.
  std::string text = test::read_file(config());
  const std::string url = "url = \"sqlite3://state/fangfan.db\"";
  ASSERT_NE(text.find(url), std::string::npos);
  // [storage] outbox_lease_seconds acts: the claims of this daemon carry it (checked below).
  text.replace(text.find(url), url.size(),
               "url = \"" + target.url() + "\"\noutbox_lease_seconds = 1234");
  std::ofstream(config()) << text;
  start("2025-04-15T09:00");
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    EXPECT_EQ(get("/api/v1/cases/" + std::to_string(cases_[i]), admin_), answers[i]) << cases_[i];
  }
  EXPECT_EQ(get("/api/v1/cases", admin_), answers[cases_.size()]);
  EXPECT_EQ(get("/api/v1/overdue", admin_), answers[cases_.size() + 1]);

  // The next pending timer fires once when its day comes.
  std::string state = "pending";
  for (int day = 0; day < 60 && state == "pending"; ++day) {
    advance("1d");
    *copy_session << "SELECT state FROM timers WHERE id = " + std::to_string(next_timer),
        soci::into(state);
  }
  EXPECT_EQ(state, "fired");
  const std::string log = daemon_->log();
  const std::string fired = "scheduler.fired timer=" + std::to_string(next_timer) + " ";
  const auto first = log.find(fired);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(fired, first + 1), std::string::npos) << log;

  // New rows get ids past the copied ones.
  const std::int64_t opened = open_verifying("379901002002", xihe_);
  EXPECT_GT(opened, last_case);
  EXPECT_GT(
      number(*copy_session, "SELECT MIN(id) FROM timers WHERE case_id = " + std::to_string(opened)),
      last_timer);
  EXPECT_GE(number(*copy_session, "SELECT MAX(id) FROM outbox"), last_message);
  EXPECT_GT(number(*copy_session,
                   "SELECT COUNT(*) FROM outbox WHERE id > " + std::to_string(last_message)),
            0)
      << "no message was queued after the copy";
  // On the simulated clock a message is claimed and sent at the same instant: its lease runs
  // the configured time from then.
  EXPECT_GT(number(*copy_session, "SELECT COUNT(*) FROM outbox WHERE id > " +
                                      std::to_string(last_message) + " AND status = 'sent'"),
            0);
  EXPECT_EQ(number(*copy_session, "SELECT COUNT(*) FROM outbox WHERE id > " +
                                      std::to_string(last_message) +
                                      " AND status = 'sent' AND lease_until - sent_at <> 1234"),
            0);
  // Stopped before `target` is dropped at the end of this scope: the drop cuts the daemon's
  // connections, and a leader whose lock's connection fails its check exits with status 1,
  // which stop() (in TearDown, after the drop) then reported as a failure on a busy machine.
  copy_session.reset();
  stop();
}

TEST_F(StorageCopy, RefusesAFileOfAnotherSchemaVersionAndLeavesNoRowWhenACopyFails) {
  make_county();
  stop();
  const fs::path older = dir_.path() / "older.db";
  const fs::path broken = dir_.path() / "broken.db";
  {
    auto s = lite(file());
    *s << "VACUUM INTO '" + older.string() + "'";
    *s << "VACUUM INTO '" + broken.string() + "'";
  }
  *lite(older) << "DELETE FROM schema_migrations WHERE version = " +
                      std::to_string(latest_schema_version());
  // SQLite keeps what a BIGINT column is given; PostgreSQL refuses it, in the last table copied.
  *lite(broken) << "UPDATE timers SET created_at = 'not a number' WHERE id = "
                   "(SELECT MAX(id) FROM timers)";

  test::ScratchPgDatabase target(test::pg_test_server());
  // A progress step that is not a positive number is a usage error, before anything is opened.
  for (const char* bad : {"0", "-5", "1e5", "lots"}) {
    RunResult usage = copy(file().string(), target.url(), {"--progress-every", bad});
    EXPECT_EQ(usage.status, 2) << bad << ": " << usage.output;
    EXPECT_THAT(usage.output, HasSubstr("--progress-every needs a positive number")) << bad;
  }
  RunResult old = copy(older.string(), target.url());
  EXPECT_EQ(old.status, 1) << old.output;
  EXPECT_THAT(old.output, HasSubstr("start fangfand of this version once on the file"));
  EXPECT_EQ(current_schema_version(*Database::open(target.url()).open_session()), 0);

  RunResult failed = copy(broken.string(), target.url());
  EXPECT_EQ(failed.status, 1) << failed.output;
  EXPECT_THAT(failed.output, HasSubstr("everything was rolled back"));
  EXPECT_THAT(failed.output, Not(HasSubstr("copied, schema version")));
  EXPECT_EQ(rows_in(target.url()), 0);

  // The good file then copies into the same (migrated, empty) database.
  RunResult good = copy(file().string(), target.url());
  EXPECT_EQ(good.status, 0) << good.output;
  EXPECT_GT(rows_in(target.url()), 0);
}

}  // namespace
}  // namespace fangfan
