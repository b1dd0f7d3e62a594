#include "adapters/storage/count_store.h"

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"

namespace fangfan {
namespace {

// (name, count) rows of a two-column GROUP BY query.
std::map<std::string, std::int64_t> grouped_counts(soci::session& session, const char* sql) {
  std::map<std::string, std::int64_t> out;
  std::string name;
  long long n = 0;
  soci::statement st = (session.prepare << sql, soci::into(name), soci::into(n));
  st.execute();
  while (st.fetch()) out[name] = n;
  return out;
}

}  // namespace

bool database_answers(soci::session& session) {
  return guarded("数据库无法访问 (the database cannot be reached)", [&] {
    int one = 0;
    session << "SELECT 1", soci::into(one);
    return one == 1;
  });
}

std::map<std::string, std::int64_t> count_outbox_by_status(soci::session& session) {
  return guarded("统计外发消息失败 (counting outbox messages failed)", [&] {
    return grouped_counts(session, "SELECT status, COUNT(*) FROM outbox GROUP BY status");
  });
}

std::map<std::string, std::int64_t> count_cases_by_state(soci::session& session) {
  return guarded("统计案件失败 (counting cases failed)", [&] {
    return grouped_counts(session, "SELECT state, COUNT(*) FROM cases GROUP BY state");
  });
}

PendingTimerCounts count_pending_timers(soci::session& session, TimePoint now) {
  return guarded("统计待触发的定时任务失败 (counting pending timers failed)", [&] {
    long long all = 0, late = 0;
    const long long at = to_epoch(now);
    session << "SELECT COUNT(*) FROM timers WHERE state = 'pending'", soci::into(all);
    // `now` is a whole second (its millisecond 0): a timer due later within that second
    // (due_ms, timer_store.h) is not overdue yet.
    session << "SELECT COUNT(*) FROM timers WHERE state = 'pending'"
               " AND (due_at < :now OR (due_at = :now2 AND due_ms = 0))",
        soci::use(at), soci::use(at), soci::into(late);
    return PendingTimerCounts{all, late};
  });
}

std::map<std::string, EvaluationCount> count_evaluation_duties(soci::session& session, int year,
                                                               TimePoint now) {
  return guarded("读取第四季度风险评估进度失败 (reading the Q4 evaluation progress failed)", [&] {
    std::map<std::string, EvaluationCount> out;
    const std::string subject = std::to_string(year);
    const long long at = to_epoch(now);
    std::string township, state;
    int late = 0;
    long long n = 0;
    // Every duty is read (no index leads with kind). The lateness is named in a subquery:
    // PostgreSQL does not take two placeholders as the same GROUP BY expression.
    soci::statement st =
        (session.prepare << "SELECT township_code, state, late, COUNT(*) FROM"
                            " (SELECT township_code, state,"
                            " CASE WHEN state = 'open' AND due_at <= :now THEN 1 ELSE 0 END"
                            " AS late FROM duties WHERE kind = 'evaluation' AND subject = :year)"
                            " AS evaluation GROUP BY township_code, state, late",
         soci::use(at), soci::use(subject), soci::into(township), soci::into(state),
         soci::into(late), soci::into(n));
    st.execute();
    while (st.fetch()) {
      EvaluationCount& c = out[township];
      c.tasks += n;
      if (state == "done") c.done += n;
      if (state == "cancelled") c.cancelled += n;
      if (state == "open") c.open += n;
      if (late) c.overdue += n;
    }
    return out;
  });
}

}  // namespace fangfan
