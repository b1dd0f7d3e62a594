#include "adapters/storage/timer_batch.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/multi_row_insert.h"
#include "adapters/storage/prepared.h"

namespace fangfan {
namespace {

using soci::use;
using storage_detail::insert_keyed;
using storage_detail::insert_rows;
using storage_detail::Prepared;

// One timer's bound values; its columns in the order of kTable's list.
struct TimerValues {
  static constexpr std::string_view kTable =
      "timers (case_id, kind, step, rung, dedupe_key, due_at, state, fired_at, payload,"
      " created_at, due_ms)";
  static constexpr std::string_view kKey = "dedupe_key";
  long long case_id = 0, due = 0, fired_at = 0, created = 0;
  soci::indicator case_ind = soci::i_null, fired_ind = soci::i_null;
  std::string kind, step, key, state, payload;
  int rung = 0, due_ms = 0;

  void bind(Prepared& p) {
    p, use(case_id, case_ind), use(kind), use(step), use(rung), use(key), use(due), use(state),
        use(fired_at, fired_ind), use(payload), use(created), use(due_ms);
  }
  void set(const TimerToStore& row) {
    const NewTimer& t = row.timer;
    case_id = t.case_id.value_or(0);
    case_ind = t.case_id ? soci::i_ok : soci::i_null;
    kind = t.kind;
    step = t.step;
    rung = t.rung;
    key = t.dedupe_key;
    due = to_epoch(t.due_at);
    state = row.fired_at ? "fired" : "pending";
    fired_at = row.fired_at ? to_epoch(*row.fired_at) : 0;
    fired_ind = row.fired_at ? soci::i_ok : soci::i_null;
    payload = t.payload;
    created = to_epoch(t.created_at);
    due_ms = static_cast<int>(t.due_within.count());
  }
  void set(const TimerToStore* row) { set(*row); }
  static const std::string& key_of(const TimerToStore& row) { return row.timer.dedupe_key; }
  static const std::string& key_of(const TimerToStore* row) { return row->timer.dedupe_key; }
  // On SQLite: the same values bound in place (multi_row_insert.h SqliteRow).
  static void bind_sqlite(storage_detail::SqliteRow& out, const TimerToStore& row) {
    const NewTimer& t = row.timer;
    out.integer_or_null(t.case_id);
    out.text(t.kind);
    out.text(t.step);
    out.integer(t.rung);
    out.text(t.dedupe_key);
    out.integer(to_epoch(t.due_at));
    out.text(row.fired_at ? kFired : kPending);
    if (row.fired_at) {
      out.integer(to_epoch(*row.fired_at));
    } else {
      out.null();
    }
    out.text(t.payload);
    out.integer(to_epoch(t.created_at));
    out.integer(t.due_within.count());
  }
  static void bind_sqlite(storage_detail::SqliteRow& out, const TimerToStore* row) {
    bind_sqlite(out, *row);
  }
  static inline const std::string kFired = "fired", kPending = "pending";
};

// The rows of a bulk call in due order, or empty: they are in it already, or two rows carry one
// key (the key's first row in the call is the one stored, so the call's order is kept). Stable:
// rows due at one instant keep the call's order, so their ids stay in scheduling order.
//
// Why (issue 15): rows are stored in id order, and a burst fires them in due order. Written in
// the order they were planned (a case's dozen timers over its year together), the month's due
// timers of a bulk opening lay one on each page of the table: marking a batch of 256 fired
// rewrote ~180 pages (each copied to the WAL and checkpointed), and reading them for the batch
// read as many. In due order they share pages: those of one month's timers of the bulk call.
// The price is paid at creation: a case's dedupe keys are no longer inserted one after another
// (more index page reads with a small page cache; bench/README.md has both figures).
std::vector<const TimerToStore*> in_due_order(const TimerToStore* timers, std::size_t n) {
  const auto due = [](const TimerToStore& row) {
    return std::pair(row.timer.due_at, row.timer.due_within);
  };
  std::size_t i = 1;
  while (i < n && !(due(timers[i]) < due(timers[i - 1]))) ++i;
  if (i >= n) return {};
  std::unordered_set<std::string_view> keys;
  keys.reserve(n);
  for (i = 0; i < n; ++i) {
    if (!keys.insert(timers[i].timer.dedupe_key).second) return {};
  }
  std::vector<const TimerToStore*> order(n);
  for (i = 0; i < n; ++i) order[i] = &timers[i];
  std::stable_sort(order.begin(), order.end(),
                   [&](const TimerToStore* a, const TimerToStore* b) { return due(*a) < due(*b); });
  return order;
}

// One duty's bound values, opened.
struct DutyValues {
  static constexpr std::string_view kTable =
      "duties (duty_key, case_id, kind, subject, township_code, village_code, owner_role,"
      " officer, due_at, state, opened_at)";
  static constexpr std::string_view kKey = "duty_key";
  long long case_id = 0, due = 0, opened = 0;
  soci::indicator case_ind = soci::i_null;
  std::string key, kind, subject, township, village, owner, officer, state = "open";

  void bind(Prepared& p) {
    p, use(key), use(case_id, case_ind), use(kind), use(subject), use(township), use(village),
        use(owner), use(officer), use(due), use(state), use(opened);
  }
  void set(const NewDuty& d) {
    key = d.duty_key;
    case_id = d.case_id.value_or(0);
    case_ind = d.case_id ? soci::i_ok : soci::i_null;
    kind = d.kind;
    subject = d.subject;
    township = d.township_code;
    village = d.village_code;
    owner = d.owner_role;
    officer = d.officer;
    due = to_epoch(d.due_at);
    opened = to_epoch(d.opened_at);
  }
  void set(const NewDuty* d) { set(*d); }
  static const std::string& key_of(const NewDuty& d) { return d.duty_key; }
  static const std::string& key_of(const NewDuty* d) { return d->duty_key; }
  // On SQLite: the same values bound in place (multi_row_insert.h SqliteRow).
  static void bind_sqlite(storage_detail::SqliteRow& out, const NewDuty& d) {
    out.text(d.duty_key);
    out.integer_or_null(d.case_id);
    out.text(d.kind);
    out.text(d.subject);
    out.text(d.township_code);
    out.text(d.village_code);
    out.text(d.owner_role);
    out.text(d.officer);
    out.integer(to_epoch(d.due_at));
    out.text(kOpen);
    out.integer(to_epoch(d.opened_at));
  }
  static void bind_sqlite(storage_detail::SqliteRow& out, const NewDuty* d) {
    bind_sqlite(out, *d);
  }
  static inline const std::string kOpen = "open";
};

}  // namespace

std::vector<ScheduleResult> schedule_timers(soci::session& session, const TimerToStore* timers,
                                            std::size_t n) {
  if (n == 0) return {};
  return guarded("保存定时提醒失败 (scheduling " + std::to_string(n) + " timers failed)",
                 [&] { return insert_keyed<ScheduleResult, TimerValues>(session, timers, n); });
}

std::vector<ScheduleResult> schedule_timers(soci::session& session,
                                            const std::vector<TimerToStore>& timers) {
  return schedule_timers(session, timers.data(), timers.size());
}

int schedule_new_timers(soci::session& session, const TimerToStore* timers, std::size_t n) {
  if (n == 0) return 0;
  return guarded("保存定时提醒失败 (scheduling " + std::to_string(n) + " timers failed)", [&] {
    const std::vector<const TimerToStore*> order = in_due_order(timers, n);
    if (!order.empty()) {
      return static_cast<int>(insert_rows<TimerValues>(session, order.data(), n));
    }
    return static_cast<int>(insert_rows<TimerValues>(session, timers, n));
  });
}

int schedule_new_timers(soci::session& session, const std::vector<TimerToStore>& timers) {
  return schedule_new_timers(session, timers.data(), timers.size());
}

std::vector<OpenDutyResult> open_duties(soci::session& session,
                                        const std::vector<NewDuty>& duties) {
  if (duties.empty()) return {};
  return guarded("保存应办事项失败 (opening " + std::to_string(duties.size()) + " duties failed)",
                 [&] { return insert_keyed<OpenDutyResult, DutyValues>(session, duties); });
}

namespace {

// open_duties() for rows given by address.
std::vector<OpenDutyResult> open_duties(soci::session& session,
                                        const std::vector<const NewDuty*>& duties) {
  if (duties.empty()) return {};
  return guarded("保存应办事项失败 (opening " + std::to_string(duties.size()) + " duties failed)",
                 [&] { return insert_keyed<OpenDutyResult, DutyValues>(session, duties); });
}

// The key existed (or an earlier row opened it): only a cancelled duty is opened again; its
// record as stored then, else nullopt.
std::optional<DutyRecord> reopen_if_cancelled(soci::session& session, const NewDuty& d) {
  std::optional<DutyRecord> existing = find_duty(session, d.duty_key);
  if (!existing || existing->state != DutyState::kCancelled) return std::nullopt;
  reopen_duty(session, existing->id, d.due_at, d.opened_at);
  return find_duty(session, d.duty_key);
}

}  // namespace

std::vector<std::optional<DutyRecord>> open_or_reopen_duties(soci::session& session,
                                                             const std::vector<NewDuty>& duties) {
  const std::vector<OpenDutyResult> opened = open_duties(session, duties);
  std::vector<std::optional<DutyRecord>> out(duties.size());
  for (std::size_t i = 0; i < duties.size(); ++i) {
    const NewDuty& d = duties[i];
    if (opened[i].inserted) {
      out[i] = opened_duty_record(d, opened[i].id);  // as stored: no need to read it back
    } else {
      out[i] = reopen_if_cancelled(session, d);
    }
  }
  return out;
}

std::vector<std::optional<std::int64_t>> open_or_reopen_duty_ids(
    soci::session& session, const std::vector<const NewDuty*>& duties) {
  const std::vector<OpenDutyResult> opened = open_duties(session, duties);
  std::vector<std::optional<std::int64_t>> out(duties.size());
  for (std::size_t i = 0; i < duties.size(); ++i) {
    if (opened[i].inserted) {
      out[i] = opened[i].id;
    } else if (std::optional<DutyRecord> reopened = reopen_if_cancelled(session, *duties[i])) {
      out[i] = reopened->id;
    }
  }
  return out;
}

DutyRecord opened_duty_record(const NewDuty& d, std::int64_t id) {
  DutyRecord r;
  r.id = id;
  r.duty_key = d.duty_key;
  r.case_id = d.case_id;
  r.kind = d.kind;
  r.subject = d.subject;
  r.township_code = d.township_code;
  r.village_code = d.village_code;
  r.owner_role = d.owner_role;
  r.officer = d.officer;
  r.due_at = d.due_at;
  r.state = DutyState::kOpen;
  r.opened_at = d.opened_at;
  return r;
}

}  // namespace fangfan
