#include "adapters/storage/timer_store.h"

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/id_chunks.h"
#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::Kept;
using storage_detail::kept_all;
using storage_detail::kept_one;
using storage_detail::Prepared;

constexpr const char* kColumns =
    "SELECT id, case_id, kind, step, rung, dedupe_key, due_at, state, fired_at, payload,"
    " created_at, due_ms FROM timers ";

TimerState parse_state(const std::string& name) {
  if (name == "fired") return TimerState::kFired;
  if (name == "cancelled") return TimerState::kCancelled;
  return TimerState::kPending;  // the CHECK constraint admits nothing else
}

struct TimerRow {
  long long id = 0, case_id = 0, due_at = 0, fired_at = 0, created_at = 0;
  soci::indicator case_ind = soci::i_null, fired_ind = soci::i_null;
  std::string kind, step, dedupe_key, state, payload;
  int rung = 0, due_ms = 0;

  void bind(Prepared& p) {
    p, into(id), into(case_id, case_ind), into(kind), into(step), into(rung), into(dedupe_key),
        into(due_at), into(state), into(fired_at, fired_ind), into(payload), into(created_at),
        into(due_ms);
  }
  // Takes the texts out of the bound buffers instead of copying them (the statement writes each
  // buffer afresh at its next fetch); a firing batch reads hundreds of timers.
  TimerRecord record() {
    TimerRecord r;
    r.id = id;
    if (case_ind == soci::i_ok) r.case_id = case_id;
    r.kind = std::move(kind);
    r.step = std::move(step);
    r.rung = rung;
    r.dedupe_key = std::move(dedupe_key);
    r.due_at = from_epoch(due_at);
    r.due_within = std::chrono::milliseconds(due_ms);
    r.state = parse_state(state);
    if (fired_ind == soci::i_ok) r.fired_at = from_epoch(fired_at);
    r.payload = std::move(payload);
    r.created_at = from_epoch(created_at);
    return r;
  }
};

// The hot queries of the case hook and of firing, kept prepared (prepared.h).
struct InsertTimer {
  long long case_id = 0, due = 0, created = 0, id = 0;
  soci::indicator case_ind = soci::i_null;
  std::string kind, step, key, payload;
  int rung = 0, due_ms = 0;
  static std::string sql() {
    return "INSERT INTO timers (case_id, kind, step, rung, dedupe_key, due_at, payload,"
           " created_at, due_ms) VALUES (:case_id, :kind, :step, :rung, :key, :due, :payload,"
           " :created, :due_ms) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id";
  }
  void bind(Prepared& p) {
    p, use(case_id, case_ind), use(kind), use(step), use(rung), use(key), use(due), use(payload),
        use(created), use(due_ms), into(id);
  }
};

struct TimerIdByKey {
  std::string key;
  long long id = 0;
  static std::string sql() { return "SELECT id FROM timers WHERE dedupe_key = :key"; }
  void bind(Prepared& p) { p, use(key), into(id); }
};

struct TimerById {
  TimerRow row;
  long long id = 0;
  static std::string sql() { return std::string(kColumns) + "WHERE id = :id"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(id);
  }
};

// What the scheduler sleeps until; read at every wake (every case write wakes it).
struct NextTimer {
  TimerRow row;
  static std::string sql() {
    return std::string(kColumns) + "WHERE state = 'pending' ORDER BY due_at, due_ms, id LIMIT 1";
  }
  void bind(Prepared& p) { row.bind(p); }
};

// The row value (due_at, due_ms) <= (now, now_ms) reads the pending timers' (due_at, due_ms, id)
// index as one range, already in order, on both backends.
template <bool kShared>
struct DueTimers {
  TimerRow row;
  long long now = 0;
  int now_ms = 0, limit = 0;
  static std::string sql() {
    return std::string(kColumns) +
           "WHERE state = 'pending' AND (due_at, due_ms) <= (:now, :now_ms)"
           " ORDER BY due_at, due_ms, id LIMIT :limit" +
           (kShared ? " FOR UPDATE SKIP LOCKED" : "");
  }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(now), use(now_ms), use(limit);
  }
};

struct MarkTimerFired {
  long long id = 0, at = 0;
  static std::string sql() {
    return "UPDATE timers SET state = 'fired', fired_at = :at WHERE id = :id AND state = 'pending'";
  }
  void bind(Prepared& p) { p, use(at), use(id); }
};

// A firing batch's timers marked fired, a chunk of ids per run (id_chunks.h). SQLite could walk
// the pending timers' index over every pending timer: `+state` keeps it to the ids' lookups
// (PostgreSQL plans the ids first and has no unary + on text).
template <bool kSqlite>
struct MarkTimersFired {
  long long at = 0;
  storage_detail::IdChunk chunk;
  static std::string sql() {
    return "UPDATE timers SET state = 'fired', fired_at = :at WHERE id IN (" +
           storage_detail::id_params() + ") AND " + (kSqlite ? "+state" : "state") + " = 'pending'";
  }
  void bind(Prepared& p) {
    p, use(at);
    chunk.bind(p);
  }
};

template <bool kSqlite>
int mark_fired(soci::session& session, const std::vector<std::int64_t>& ids, long long at) {
  Kept<MarkTimersFired<kSqlite>> q(session);
  q->at = at;
  return static_cast<int>(storage_detail::update_each_chunk(q, ids));
}

}  // namespace

std::string_view timer_state_name(TimerState state) {
  switch (state) {
    case TimerState::kPending:
      return "pending";
    case TimerState::kFired:
      return "fired";
    case TimerState::kCancelled:
      return "cancelled";
  }
  return "pending";
}

ScheduleResult schedule_timer(soci::session& session, const NewTimer& t) {
  return guarded(
      "保存定时提醒 " + t.dedupe_key + " 失败 (scheduling timer " + t.dedupe_key + " failed)", [&] {
        ScheduleResult result;
        Kept<InsertTimer> insert(session);
        insert->case_id = t.case_id.value_or(0);
        insert->case_ind = t.case_id ? soci::i_ok : soci::i_null;
        insert->kind = t.kind;
        insert->step = t.step;
        insert->rung = t.rung;
        insert->key = t.dedupe_key;
        insert->due = to_epoch(t.due_at);
        insert->payload = t.payload;
        insert->created = to_epoch(t.created_at);
        insert->due_ms = static_cast<int>(t.due_within.count());
        result.inserted = insert.execute();
        if (result.inserted) {
          result.id = insert->id;
          return result;
        }
        Kept<TimerIdByKey> existing(session);
        existing->key = t.dedupe_key;
        existing.execute();
        result.id = existing->id;
        return result;
      });
}

std::optional<TimerRecord> load_timer(soci::session& session, std::int64_t timer_id) {
  return guarded("读取定时提醒失败 (loading a timer failed)", [&]() -> std::optional<TimerRecord> {
    Kept<TimerById> q(session);
    q->id = timer_id;
    return kept_one(q);
  });
}

bool is_due(const TimerRecord& timer, TimePoint now, std::chrono::milliseconds within) {
  return timer.due_at < now || (timer.due_at == now && timer.due_within <= within);
}

std::optional<TimerRecord> next_due_timer(soci::session& session) {
  return guarded("读取下一个到期的定时提醒失败 (loading the next timer failed)",
                 [&]() -> std::optional<TimerRecord> {
                   Kept<NextTimer> q(session);
                   return kept_one(q);
                 });
}

std::vector<TimerRecord> due_timers(soci::session& session, TimePoint now, int limit,
                                    std::chrono::milliseconds within) {
  return guarded("读取到期的定时提醒失败 (loading due timers failed)", [&] {
    auto run = [&](auto q) {
      q->now = to_epoch(now);
      q->now_ms = static_cast<int>(within.count());
      q->limit = limit;
      return kept_all(q);
    };
    // PostgreSQL: several daemons may fire at once; each takes the rows no other transaction
    // holds, locked until its commit (SQLite has one writer: BEGIN IMMEDIATE already excludes).
    if (dialect_of(session) == Dialect::kPostgresql) return run(Kept<DueTimers<true>>(session));
    return run(Kept<DueTimers<false>>(session));
  });
}

bool mark_timer_fired(soci::session& session, std::int64_t timer_id, TimePoint fired_at) {
  return guarded("记录定时提醒已触发失败 (marking a timer fired failed)", [&] {
    Kept<MarkTimerFired> q(session);
    q->id = timer_id;
    q->at = to_epoch(fired_at);
    q.execute();
    return q.affected_rows() == 1;
  });
}

int mark_timers_fired(soci::session& session, const std::vector<std::int64_t>& ids,
                      TimePoint fired_at) {
  if (ids.empty()) return 0;
  return guarded("记录定时提醒已触发失败 (marking timers fired failed)", [&] {
    const long long at = to_epoch(fired_at);
    if (dialect_of(session) == Dialect::kSqlite) return mark_fired<true>(session, ids, at);
    return mark_fired<false>(session, ids, at);
  });
}

bool cancel_timer(soci::session& session, std::int64_t timer_id) {
  return guarded("取消定时提醒失败 (cancelling a timer failed)", [&] {
    const long long id = timer_id;
    soci::statement st = (session.prepare << "UPDATE timers SET state = 'cancelled'"
                                             " WHERE id = :id AND state = 'pending'",
                          use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

int cancel_case_timers(soci::session& session, std::int64_t case_id,
                       std::optional<std::string_view> step) {
  return guarded(
      "取消案件 " + std::to_string(case_id) + " 的定时提醒失败 (cancelling the timers of case " +
          std::to_string(case_id) + " failed)",
      [&] {
        const long long id = case_id;
        if (step) {
          const std::string name(*step);
          soci::statement st = (session.prepare << "UPDATE timers SET state = 'cancelled'"
                                                   " WHERE case_id = :id AND step = :step"
                                                   " AND state = 'pending'",
                                use(id), use(name));
          st.execute(true);
          return static_cast<int>(st.get_affected_rows());
        }
        soci::statement st = (session.prepare << "UPDATE timers SET state = 'cancelled'"
                                                 " WHERE case_id = :id"
                                                 " AND state = 'pending'",
                              use(id));
        st.execute(true);
        return static_cast<int>(st.get_affected_rows());
      });
}

}  // namespace fangfan
