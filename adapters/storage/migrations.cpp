#include "adapters/storage/migrations.h"

#include <stdexcept>
#include <string_view>

#include "adapters/storage/migration_sql.h"

namespace fangfan {
namespace {

using namespace migration_sql;  // NOLINT: the schema vocabulary of this folder

// Conventions of the schema:
// - Instants are BIGINT seconds since the epoch, UTC; dates are TEXT 'YYYY-MM-DD'.
// - Booleans are INTEGER 0/1 with a CHECK.
// - Free-form details are TEXT holding JSON, defaulting to '{}'.
// - States and statuses are TEXT names the project owns (never an enum's number).
// - No ASCII colon appears in the SQL text: SOCI reads ":name" as a bind placeholder, even
//   inside a PL/pgSQL body.

Migration initial_schema() {
  return {
      1,
      "initial schema: households, cases, history, timers, outbox",
      {
          // 户: one row per household, keyed by its code in the national system.
          both("CREATE TABLE households ("
               " code TEXT PRIMARY KEY,"
               " village_code TEXT NOT NULL,"
               " township_code TEXT NOT NULL,"
               " head_name TEXT NOT NULL,"
               " phone TEXT NOT NULL DEFAULT '',"
               " details TEXT NOT NULL DEFAULT '{}',"
               " created_at BIGINT NOT NULL,"
               " updated_at BIGINT NOT NULL)"),
          both("CREATE INDEX households_by_village ON households (township_code, village_code)"),

          // 家庭成员. A person appears once per household; department feeds match people by
          // ID number, hence the second index.
          both("CREATE TABLE household_members ("
               " id ${ID},"
               " household_code TEXT NOT NULL REFERENCES households (code),"
               " name TEXT NOT NULL,"
               " id_number TEXT NOT NULL,"
               " relation TEXT NOT NULL,"
               " able_to_work INTEGER NOT NULL CHECK (able_to_work IN (0, 1)),"
               " disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),"
               " student INTEGER NOT NULL CHECK (student IN (0, 1)),"
               " UNIQUE (household_code, id_number))"),
          both("CREATE INDEX household_members_by_id_number ON household_members (id_number)"),

          // 监测对象 case. `state` is the machine's stable state name, `version` the optimistic
          // concurrency counter (each accepted event bumps it by one), `data` the machine's
          // snapshot details as JSON. A re-identified household's new case links the old one.
          both("CREATE TABLE cases ("
               " id ${ID},"
               " household_code TEXT NOT NULL REFERENCES households (code),"
               " kind TEXT NOT NULL,"
               " state TEXT NOT NULL,"
               " version BIGINT NOT NULL CHECK (version >= 1),"
               " source TEXT NOT NULL DEFAULT '',"
               " emergency INTEGER NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1)),"
               " opened_at BIGINT NOT NULL,"
               " previous_case_id BIGINT REFERENCES cases (id),"
               " data TEXT NOT NULL DEFAULT '{}',"
               " updated_at BIGINT NOT NULL)"),
          both("CREATE INDEX cases_by_household ON cases (household_code)"),
          both("CREATE INDEX cases_by_state ON cases (state)"),

          // The case's history: one row per accepted event, numbered 1, 2, ... per case.
          both("CREATE TABLE case_history ("
               " id ${ID},"
               " case_id BIGINT NOT NULL REFERENCES cases (id),"
               " seq BIGINT NOT NULL CHECK (seq >= 1),"
               " event TEXT NOT NULL,"
               " before_state TEXT NOT NULL,"
               " after_state TEXT NOT NULL,"
               " actor TEXT NOT NULL,"
               " at BIGINT NOT NULL,"
               " reason TEXT NOT NULL DEFAULT '',"
               " details TEXT NOT NULL DEFAULT '{}',"
               " UNIQUE (case_id, seq))"),
          // History is append-only, and the database itself enforces it: no code path, tool or
          // operator with SQL access can rewrite what happened to a household.
          sqlite_only(
              "CREATE TRIGGER case_history_no_update BEFORE UPDATE ON case_history"
              " BEGIN SELECT RAISE(ABORT,"
              " '案件历史只能追加，不能修改 (case_history is append-only; UPDATE refused)');"
              " END"),
          sqlite_only(
              "CREATE TRIGGER case_history_no_delete BEFORE DELETE ON case_history"
              " BEGIN SELECT RAISE(ABORT,"
              " '案件历史只能追加，不能删除 (case_history is append-only; DELETE refused)');"
              " END"),
          postgresql_only("CREATE FUNCTION fangfan_refuse_history_change() RETURNS trigger"
                          " LANGUAGE plpgsql AS $$ BEGIN"
                          " RAISE EXCEPTION '案件历史只能追加，不能修改或删除 (case_history is "
                          "append-only; % refused)',"
                          " TG_OP USING ERRCODE = 'restrict_violation';"
                          " END $$"),
          postgresql_only("CREATE TRIGGER case_history_append_only"
                          " BEFORE UPDATE OR DELETE ON case_history"
                          " FOR EACH ROW EXECUTE FUNCTION fangfan_refuse_history_change()"),
          postgresql_only("CREATE TRIGGER case_history_no_truncate"
                          " BEFORE TRUNCATE ON case_history"
                          " FOR EACH STATEMENT EXECUTE FUNCTION fangfan_refuse_history_change()"),

          // Durable timers: deadlines, reminders, escalation rungs, visit checks, scheduled work.
          // dedupe_key names what the timer stands for (e.g. case, step, entry into the step,
          // ladder rung), so each rung of each ladder exists once however often it is scheduled.
          // The scheduler reads the earliest pending row through (state, due_at).
          both("CREATE TABLE timers ("
               " id ${ID},"
               " case_id BIGINT REFERENCES cases (id),"
               " kind TEXT NOT NULL,"
               " step TEXT NOT NULL DEFAULT '',"
               " rung INTEGER NOT NULL DEFAULT 0 CHECK (rung >= 0),"
               " dedupe_key TEXT NOT NULL UNIQUE,"
               " due_at BIGINT NOT NULL,"
               " state TEXT NOT NULL DEFAULT 'pending'"
               "  CHECK (state IN ('pending', 'fired', 'cancelled')),"
               " fired_at BIGINT,"
               " payload TEXT NOT NULL DEFAULT '{}',"
               " created_at BIGINT NOT NULL)"),
          both("CREATE INDEX timers_by_due ON timers (state, due_at)"),
          both("CREATE INDEX timers_by_case ON timers (case_id, state)"),

          // Transactional outbox: written in the same transaction as the change that causes the
          // message; dedupe_key makes a replay or restart a no-op.
          both("CREATE TABLE outbox ("
               " id ${ID},"
               " dedupe_key TEXT NOT NULL UNIQUE,"
               " case_id BIGINT REFERENCES cases (id),"
               " channel TEXT NOT NULL,"
               " recipient TEXT NOT NULL,"
               " message_type TEXT NOT NULL,"
               " body TEXT NOT NULL,"
               " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
               "  ('pending', 'sending', 'sent', 'failed', 'dead', 'cancelled')),"
               " attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
               " next_attempt_at BIGINT NOT NULL,"
               " last_error TEXT NOT NULL DEFAULT '',"
               " provider_message_id TEXT NOT NULL DEFAULT '',"
               " created_at BIGINT NOT NULL,"
               " sent_at BIGINT)"),
          both("CREATE INDEX outbox_by_due ON outbox (status, next_attempt_at)"),
      },
  };
}

constexpr std::string_view kDutyKinds =
    "'step', 'visits', 'monitoring', 'evaluation', 'campaign', 'feed', 'alert'";

// -- department feeds (issue 12): runs of each department's data per period, their bad rows
// (quarantined, kept for correction), the signals a period raised (re-running the period
// replaces them, so nothing is raised twice), alerts about people the county does not monitor
// and their history; duties gain the kinds "feed" (a period's data awaited from a department)
// and "alert" (an alert awaiting the township's verification).
Migration department_feeds(int version) {
  return {
      version,
      kFeedsMigrationName,
      {
          // A run of one feed for one period. source: the file name or the URL without its
          // token. sha256 of the data: the same file twice is found and applies nothing.
          // run_trigger: 'schedule', 'manual' (fangfanctl feed run) or 'fix' (corrected rows
          // of fixes_run_id). Earlier done runs of a period become 'replaced' when it reruns.
          both("CREATE TABLE feed_runs ("
               " id ${ID},"
               " feed TEXT NOT NULL,"
               " department TEXT NOT NULL,"
               " period TEXT NOT NULL,"
               " source TEXT NOT NULL DEFAULT '',"
               " sha256 TEXT NOT NULL DEFAULT '',"
               " run_trigger TEXT NOT NULL CHECK (run_trigger IN ('schedule', 'manual', 'fix')),"
               " status TEXT NOT NULL"
               "  CHECK (status IN ('running', 'done', 'failed', 'replaced')),"
               " started_at BIGINT NOT NULL,"
               " finished_at BIGINT,"
               " rows_read BIGINT NOT NULL DEFAULT 0,"
               " rows_accepted BIGINT NOT NULL DEFAULT 0,"
               " rows_matched BIGINT NOT NULL DEFAULT 0,"
               " rows_quarantined BIGINT NOT NULL DEFAULT 0,"
               " rows_duplicate BIGINT NOT NULL DEFAULT 0,"
               " alerts_raised BIGINT NOT NULL DEFAULT 0,"
               " error TEXT NOT NULL DEFAULT '',"
               " fixes_run_id BIGINT REFERENCES feed_runs (id))"),
          both("CREATE INDEX feed_runs_by_period ON feed_runs (feed, period, status)"),
          both("CREATE INDEX feed_runs_by_sha256 ON feed_runs (feed, sha256, status)"),
          both("CREATE INDEX feed_runs_by_department ON feed_runs (department, id)"),
          // A quarantined row: where (line, 64-bit; the field and the department's header), why
          // (a sentence), the row's cells by header as JSON, the line it conflicts with for a
          // conflicting duplicate, and the run that re-applied it once corrected.
          both("CREATE TABLE feed_bad_rows ("
               " id ${ID},"
               " run_id BIGINT NOT NULL REFERENCES feed_runs (id),"
               " line BIGINT NOT NULL,"
               " field TEXT NOT NULL DEFAULT '',"
               " header TEXT NOT NULL DEFAULT '',"
               " reason TEXT NOT NULL,"
               " raw TEXT NOT NULL DEFAULT '{}',"
               " conflicts_with_line BIGINT,"
               " fixed_by_run BIGINT REFERENCES feed_runs (id))"),
          both("CREATE INDEX feed_bad_rows_by_run ON feed_bad_rows (run_id, line)"),
          // What a period raised, once per (feed, period, person, rule) whatever reruns.
          both("CREATE TABLE alerts ("
               " id ${ID},"
               " feed TEXT NOT NULL,"
               " department TEXT NOT NULL,"
               " period TEXT NOT NULL,"
               " run_id BIGINT REFERENCES feed_runs (id),"
               " rule TEXT NOT NULL,"
               " rule_label TEXT NOT NULL DEFAULT '',"
               " id_number TEXT NOT NULL,"
               " name TEXT NOT NULL DEFAULT '',"
               " village_code TEXT NOT NULL DEFAULT '',"
               " township_code TEXT NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '{}',"
               " status TEXT NOT NULL DEFAULT 'open'"
               "  CHECK (status IN ('open', 'case_opened', 'dismissed')),"
               " case_id BIGINT REFERENCES cases (id),"
               " reason TEXT NOT NULL DEFAULT '',"
               " created_at BIGINT NOT NULL,"
               " closed_at BIGINT,"
               " closed_by TEXT NOT NULL DEFAULT '',"
               " UNIQUE (feed, period, id_number, rule))"),
          both("CREATE INDEX alerts_by_township ON alerts (township_code, status, id)"),
          both("CREATE INDEX alerts_by_status ON alerts (status, id)"),
          both("CREATE INDEX alerts_by_feed ON alerts (feed, id)"),
          both("CREATE TABLE feed_signals ("
               " id ${ID},"
               " feed TEXT NOT NULL,"
               " period TEXT NOT NULL,"
               " run_id BIGINT NOT NULL REFERENCES feed_runs (id),"
               " id_number TEXT NOT NULL,"
               " rule TEXT NOT NULL,"
               " case_id BIGINT REFERENCES cases (id),"
               " alert_id BIGINT REFERENCES alerts (id),"
               " UNIQUE (feed, period, id_number, rule))"),
          // An alert's history is append-only like a case's (case_history).
          both("CREATE TABLE alert_history ("
               " id ${ID},"
               " alert_id BIGINT NOT NULL REFERENCES alerts (id),"
               " at BIGINT NOT NULL,"
               " actor TEXT NOT NULL,"
               " event TEXT NOT NULL,"
               " details TEXT NOT NULL DEFAULT '{}')"),
          both("CREATE INDEX alert_history_by_alert ON alert_history (alert_id, id)"),
          sqlite_only(
              "CREATE TRIGGER alert_history_no_update BEFORE UPDATE ON alert_history"
              " BEGIN SELECT RAISE(ABORT,"
              " '预警历史只能追加，不能修改 (alert_history is append-only; UPDATE refused)');"
              " END"),
          sqlite_only(
              "CREATE TRIGGER alert_history_no_delete BEFORE DELETE ON alert_history"
              " BEGIN SELECT RAISE(ABORT,"
              " '预警历史只能追加，不能删除 (alert_history is append-only; DELETE refused)');"
              " END"),
          postgresql_only("CREATE FUNCTION fangfan_refuse_alert_history_change() RETURNS trigger"
                          " LANGUAGE plpgsql AS $$ BEGIN"
                          " RAISE EXCEPTION '预警历史只能追加，不能修改或删除 (alert_history is "
                          "append-only; % refused)',"
                          " TG_OP USING ERRCODE = 'restrict_violation';"
                          " END $$"),
          postgresql_only("CREATE TRIGGER alert_history_append_only"
                          " BEFORE UPDATE OR DELETE ON alert_history"
                          " FOR EACH ROW EXECUTE FUNCTION fangfan_refuse_alert_history_change()"),
          postgresql_only("CREATE TRIGGER alert_history_no_truncate"
                          " BEFORE TRUNCATE ON alert_history"
                          " FOR EACH STATEMENT EXECUTE FUNCTION"
                          " fangfan_refuse_alert_history_change()"),
          // duties.kind gains 'feed' and 'alert'. SQLite cannot alter a CHECK: the table is
          // rebuilt with its rows (ids kept) and its indexes. Nothing references duties.
          sqlite_only(duties_table("duties_v9", kDutyKinds)),
          sqlite_only("INSERT INTO duties_v9 (id, duty_key, case_id, kind, subject, township_code,"
                      " village_code, owner_role, officer, due_at, state, opened_at, closed_at)"
                      " SELECT id, duty_key, case_id, kind, subject, township_code, village_code,"
                      " owner_role, officer, due_at, state, opened_at, closed_at FROM duties"),
          sqlite_only("DROP TABLE duties"),
          sqlite_only("ALTER TABLE duties_v9 RENAME TO duties"),
          sqlite_only("CREATE INDEX duties_by_due ON duties (state, due_at)"),
          sqlite_only("CREATE INDEX duties_by_township ON duties (township_code, state)"),
          sqlite_only("CREATE INDEX duties_by_case ON duties (case_id, state)"),
          // PostgreSQL names a column's CHECK <table>_<column>_check.
          postgresql_only("ALTER TABLE duties DROP CONSTRAINT duties_kind_check"),
          postgresql_only("ALTER TABLE duties ADD CONSTRAINT duties_kind_check CHECK (kind IN (" +
                          std::string(kDutyKinds) + "))"),
      },
  };
}

const std::string kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

// Any constant: all fangfan processes migrating one PostgreSQL database take the same lock.
constexpr const char* kPostgresqlMigrationLock = "SELECT pg_advisory_xact_lock(4242710001)";

void check_order(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw std::logic_error("migration list out of order at position " + std::to_string(i));
    }
  }
}

int read_recorded_version(soci::session& session) {
  int version = 0;
  soci::indicator ind = soci::i_null;
  session << "SELECT MAX(version) FROM schema_migrations", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

StorageError too_new(int recorded, int known, const Database& db) {
  const std::string n = std::to_string(recorded);
  const std::string m = std::to_string(known);
  return StorageError(StorageError::Kind::kSchemaTooNew,
                      "数据库结构版本为 " + n + "，本程序只认识到 " + m +
                          "：请升级 fangfan 或恢复备份。The database schema is at version " + n +
                          " but this fangfan knows versions up to " + m +
                          " only: upgrade fangfan or restore a backup. (database " +
                          db.display_url() + ")");
}

}  // namespace

const std::vector<Migration>& schema_migrations() {
  static const std::vector<Migration> migrations = [] {
    std::vector<Migration> list;
    list.push_back(initial_schema());
    // API tokens of the HTTP API: only the SHA-256 (hex) of each bearer secret is kept, so a
    // copy of the database hands out no working token. Revoked rows stay for the audit trail.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "api tokens",
                    {both("CREATE TABLE api_tokens ("
                          " id ${ID},"
                          " token_hash TEXT NOT NULL UNIQUE,"
                          " role TEXT NOT NULL,"
                          " scope TEXT NOT NULL,"
                          " holder TEXT NOT NULL,"
                          " created_at BIGINT NOT NULL,"
                          " revoked_at BIGINT)")}});
    // -- import: bulk imports of visit logs and case lists (adapters/import). A run and each of
    // its rows are kept (bad rows with their raw cells, for correction); import_applied holds
    // the key of every row ever applied, written in the same transaction as the case change,
    // so re-importing a file applies nothing twice.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "bulk imports",
                    {both("CREATE TABLE import_runs ("
                          " id ${ID},"
                          " file_name TEXT NOT NULL,"
                          " sha256 TEXT NOT NULL,"
                          " kind TEXT NOT NULL,"
                          " format TEXT NOT NULL,"
                          " actor TEXT NOT NULL,"
                          " scope TEXT NOT NULL,"
                          " header TEXT NOT NULL DEFAULT '[]',"
                          " started_at BIGINT NOT NULL,"
                          " finished_at BIGINT,"
                          " rows_total INTEGER NOT NULL DEFAULT 0,"
                          " rows_applied INTEGER NOT NULL DEFAULT 0,"
                          " rows_duplicate INTEGER NOT NULL DEFAULT 0,"
                          " rows_bad INTEGER NOT NULL DEFAULT 0)"),
                     both("CREATE TABLE import_rows ("
                          " id ${ID},"
                          " run_id BIGINT NOT NULL REFERENCES import_runs (id),"
                          " line INTEGER NOT NULL,"
                          " row_key TEXT NOT NULL,"
                          " status TEXT NOT NULL CHECK (status IN ('applied', 'duplicate', 'bad')),"
                          " field TEXT NOT NULL DEFAULT '',"
                          " reason TEXT NOT NULL DEFAULT '',"
                          " raw TEXT NOT NULL DEFAULT '{}',"
                          " case_id BIGINT,"
                          " UNIQUE (run_id, line))"),
                     both("CREATE TABLE import_applied ("
                          " row_key TEXT PRIMARY KEY,"
                          " run_id BIGINT NOT NULL REFERENCES import_runs (id),"
                          " line INTEGER NOT NULL,"
                          " case_id BIGINT,"
                          " applied_at BIGINT NOT NULL)")}});
    // -- duties (issue 5): one row per thing someone owes by a deadline (a case's step, a
    // month's visits or monitoring, a Q4 evaluation, a township's campaign milestone), opened
    // and closed in the transaction of the change that causes it. Overdue is derived (open and
    // due_at <= now), never stored. campaign_progress names what each township finished.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "duties and campaign progress",
                    {both("CREATE TABLE duties ("
                          " id ${ID},"
                          " duty_key TEXT NOT NULL UNIQUE,"
                          " case_id BIGINT REFERENCES cases (id),"
                          " kind TEXT NOT NULL CHECK (kind IN"
                          "  ('step', 'visits', 'monitoring', 'evaluation', 'campaign')),"
                          " subject TEXT NOT NULL,"
                          " township_code TEXT NOT NULL,"
                          " village_code TEXT NOT NULL DEFAULT '',"
                          " owner_role TEXT NOT NULL,"
                          " officer TEXT NOT NULL DEFAULT '',"
                          " due_at BIGINT NOT NULL,"
                          " state TEXT NOT NULL CHECK (state IN ('open', 'done', 'cancelled')),"
                          " opened_at BIGINT NOT NULL,"
                          " closed_at BIGINT)"),
                     both("CREATE INDEX duties_by_due ON duties (state, due_at)"),
                     both("CREATE INDEX duties_by_township ON duties (township_code, state)"),
                     both("CREATE INDEX duties_by_case ON duties (case_id, state)"),
                     both("CREATE TABLE campaign_progress ("
                          " id ${ID},"
                          " campaign TEXT NOT NULL,"
                          " milestone TEXT NOT NULL,"
                          " township TEXT NOT NULL,"
                          " done_at BIGINT NOT NULL,"
                          " actor TEXT NOT NULL,"
                          " UNIQUE (campaign, milestone, township))")}});
    // -- delivery (issue 6): the provider's answer code of the last attempt, and the digest a
    // reminder went out in (members wait on their digest row and share its fate).
    list.push_back(
        {static_cast<int>(list.size()) + 1,
         "outbox provider codes and digests",
         {both("ALTER TABLE outbox ADD COLUMN provider_code TEXT NOT NULL DEFAULT ''"),
          both("ALTER TABLE outbox ADD COLUMN digest_of BIGINT REFERENCES outbox (id)"),
          both("CREATE INDEX outbox_by_recipient ON outbox (status, channel, recipient)"),
          both("CREATE INDEX outbox_by_digest ON outbox (digest_of)")}});
    // -- delivery (issue 6): why a pending message waits (quiet hours, digest window, breaker,
    // pacing), kept apart from last_error so a wait never hides the provider's last answer.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "outbox hold reason",
                    {both("ALTER TABLE outbox ADD COLUMN hold_reason TEXT NOT NULL DEFAULT ''")}});
    // -- issue 11: the person a message is for ("name@scope" of the configuration), so that the
    // dispatcher finds their next channel without parsing the dedupe key. No backfill: rows
    // queued before stay NULL, for nobody known (a permanent failure then tells the county
    // admins instead of trying the person's next channel).
    list.push_back({static_cast<int>(list.size()) + 1,
                    "outbox person",
                    {both("ALTER TABLE outbox ADD COLUMN person TEXT")}});
    list.push_back(department_feeds(static_cast<int>(list.size()) + 1));
    list.push_back(department_lists(static_cast<int>(list.size()) + 1));  // list_migration.cpp
    list.push_back(monthly_reports(static_cast<int>(list.size()) + 1));   // list_migration.cpp
    // An import's line is 64-bit like a feed's (an XLSX row number may pass 2^31); SQLite's
    // INTEGER already is.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "import lines 64-bit",
                    {postgresql_only("ALTER TABLE import_rows ALTER COLUMN line TYPE BIGINT"),
                     postgresql_only("ALTER TABLE import_applied ALTER COLUMN line TYPE BIGINT")}});
    list.push_back(registration_and_alert_loop(static_cast<int>(list.size()) + 1));
    // -- issue 14: the Q4 evaluation's results are read from the case history by event
    // (evaluation_store.h: the counts per township, and one case's result before its task is
    // closed by hand) instead of scanning every row.
    list.push_back({static_cast<int>(list.size()) + 1,
                    "case history by event",
                    {both("CREATE INDEX case_history_by_event ON case_history (event, case_id)")}});
    add_throughput_migrations(list);  // issue 15, throughput_migration.cpp
    check_order(list);
    return list;
  }();
  return migrations;
}

int latest_schema_version() { return schema_migrations().back().version; }

std::optional<TimePoint> migration_applied_at(soci::session& session, std::string_view name) {
  return guarded("读取数据库结构版本失败 (reading the schema version failed)",
                 [&]() -> std::optional<TimePoint> {
                   const std::string n(name);
                   long long at = 0;
                   soci::indicator ind = soci::i_null;
                   session << "SELECT MIN(applied_at) FROM schema_migrations WHERE name = :name",
                       soci::use(n), soci::into(at, ind);
                   if (ind != soci::i_ok) return std::nullopt;
                   return TimePoint(std::chrono::seconds(at));
                 });
}

int current_schema_version(soci::session& session) {
  return guarded("读取数据库结构版本失败 (reading the schema version failed)", [&] {
    int tables = 0;
    if (dialect_of(session) == Dialect::kSqlite) {
      session << "SELECT COUNT(*) FROM sqlite_master"
                 " WHERE type = 'table' AND name = 'schema_migrations'",
          soci::into(tables);
    } else {
      session << "SELECT COUNT(*) FROM information_schema.tables"
                 " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
          soci::into(tables);
    }
    return tables == 0 ? 0 : read_recorded_version(session);
  });
}

MigrationResult migrate(const Database& db, TimePoint now) {
  return migrate(db, now, schema_migrations());
}

MigrationResult migrate(const Database& db, TimePoint now, std::span<const Migration> migrations) {
  check_order(migrations);
  const int known = migrations.empty() ? 0 : migrations.back().version;
  const auto session = db.open_session();
  MigrationResult result;
  bool first = true;
  for (;;) {
    WriteTransaction tx(*session);
    int recorded = 0;
    guarded("读取数据库结构版本失败 (reading the schema version failed)", [&] {
      if (db.dialect() == Dialect::kPostgresql) *session << kPostgresqlMigrationLock;
      *session << kCreateMigrationsTable;
      recorded = read_recorded_version(*session);
    });
    if (first) {
      result.from_version = recorded;
      first = false;
    }
    result.to_version = recorded;
    if (recorded > known) throw too_new(recorded, known, db);  // tx rolls back: untouched
    if (recorded == known) {
      tx.commit();
      return result;
    }
    const Migration& next = migrations[recorded];  // versions are 1..known in order
    try {
      for (const MigrationStep& step : next.steps) {
        const std::string& sql = db.dialect() == Dialect::kSqlite ? step.sqlite : step.postgresql;
        if (!sql.empty()) *session << sql;
      }
      const int version = next.version;
      const std::string name = next.name;
      const long long applied_at = now.time_since_epoch().count();
      *session << "INSERT INTO schema_migrations (version, name, applied_at)"
                  " VALUES (:version, :name, :applied_at)",
          soci::use(version), soci::use(name), soci::use(applied_at);
      tx.commit();
    } catch (const soci::soci_error& e) {
      const std::string v = std::to_string(next.version);
      throw StorageError(StorageError::Kind::kMigration,
                         "数据库结构升级到版本 " + v + "（" + next.name +
                             "）失败，已回滚，数据库保持原样 (migration " + v + " '" + next.name +
                             "' failed and was rolled back; the database is unchanged) on " +
                             db.display_url() + ": " + e.get_error_message());
    } catch (const StorageError& e) {
      throw StorageError(StorageError::Kind::kMigration,
                         "数据库结构升级到版本 " + std::to_string(next.version) +
                             " 失败 (migration " + std::to_string(next.version) +
                             " failed): " + e.what());
    }
    ++result.applied;
    result.to_version = next.version;
  }
}

}  // namespace fangfan
