#include "adapters/storage/feed_store.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/storage/case_json.h"
#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/row_fetch.h"
#include "workflows/case_events.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using storage_detail::fetch_all;
using storage_detail::fetch_one;
using storage_detail::Prepared;

constexpr const char* kRunColumns =
    "SELECT id, feed, department, period, source, sha256, run_trigger, status, started_at,"
    " finished_at, rows_read, rows_accepted, rows_matched, rows_quarantined, rows_duplicate,"
    " alerts_raised, error, fixes_run_id FROM feed_runs ";

struct RunRow {
  long long id = 0, started_at = 0, finished_at = 0, fixes = 0;
  long long read = 0, accepted = 0, matched = 0, quarantined = 0, duplicate = 0, alerts = 0;
  soci::indicator finished_ind = soci::i_null, fixes_ind = soci::i_null;
  std::string feed, department, period, source, sha256, trigger, status, error;

  void bind(Prepared& p) {
    p, into(id), into(feed), into(department), into(period), into(source), into(sha256),
        into(trigger), into(status), into(started_at), into(finished_at, finished_ind), into(read),
        into(accepted), into(matched), into(quarantined), into(duplicate), into(alerts),
        into(error), into(fixes, fixes_ind);
  }
  FeedRunRecord record() const {
    FeedRunRecord r;
    r.id = id;
    r.feed = feed;
    r.department = department;
    r.period = period;
    r.source = source;
    r.sha256 = sha256;
    r.trigger = trigger;
    r.status = status;
    r.started_at = from_epoch(started_at);
    if (finished_ind == soci::i_ok) r.finished_at = from_epoch(finished_at);
    r.counts = {read, accepted, matched, quarantined, duplicate, alerts};
    r.error = error;
    if (fixes_ind == soci::i_ok) r.fixes_run_id = fixes;
    return r;
  }
};

struct BadRow {
  long long id = 0, run_id = 0, line = 0, conflicts = 0, fixed = 0;
  soci::indicator conflicts_ind = soci::i_null, fixed_ind = soci::i_null;
  std::string field, header, reason, raw;

  void bind(Prepared& p) {
    p, into(id), into(run_id), into(line), into(field), into(header), into(reason), into(raw),
        into(conflicts, conflicts_ind), into(fixed, fixed_ind);
  }
  BadRowRecord record() const {
    BadRowRecord r;
    r.id = id;
    r.run_id = run_id;
    r.row.line = line;
    r.row.field = field;
    r.row.header = header;
    r.row.reason = reason;
    r.row.raw = raw;
    if (conflicts_ind == soci::i_ok) r.row.conflicts_with_line = conflicts;
    if (fixed_ind == soci::i_ok) r.fixed_by_run = fixed;
    return r;
  }
};

// The states whose case a feed row lands on: in progress (在办) or monitored (监测对象).
std::vector<std::string> counted_states() {
  std::vector<std::string> out;
  for (std::string_view name : case_state_names(
           [](const CaseStateInfo& s) { return s.in_progress || s.monitoring_object; })) {
    out.emplace_back(name);
  }
  return out;
}

// Yearly net income of the household from the case's verification accounts, in yuan.
std::optional<double> verified_income(std::string_view case_data) {
  auto data = case_data_from_json(case_data);
  const CaseData* d = std::get_if<CaseData>(&data);
  if (!d || !d->verification || d->verification->accounts.empty()) return std::nullopt;
  std::int64_t fen = 0;
  for (const MonthlyAccount& a : d->verification->accounts) fen += a.net_income_fen();
  return static_cast<double>(fen) / 100.0;
}

}  // namespace

std::int64_t create_feed_run(soci::session& session, const NewFeedRun& run) {
  return guarded("保存数据交换记录失败 (creating a feed run failed)", [&] {
    const long long started = to_epoch(run.started_at), fixes = run.fixes_run_id.value_or(0);
    soci::indicator fixes_ind = run.fixes_run_id ? soci::i_ok : soci::i_null;
    long long id = 0;
    session << "INSERT INTO feed_runs (feed, department, period, source, sha256, run_trigger,"
               " status, started_at, fixes_run_id) VALUES (:feed, :department, :period, :source,"
               " :sha256, :run_trigger, 'running', :started, :fixes) RETURNING id",
        use(run.feed), use(run.department), use(run.period), use(run.source), use(run.sha256),
        use(run.trigger), use(started), use(fixes, fixes_ind), into(id);
    return static_cast<std::int64_t>(id);
  });
}

bool finish_feed_run(soci::session& session, std::int64_t run_id, const FeedRunCounts& c,
                     TimePoint finished_at, std::string_view error, std::string_view sha256) {
  return guarded("保存数据交换结果失败 (finishing a feed run failed)", [&] {
    const long long id = run_id, at = to_epoch(finished_at);
    const long long read = c.rows_read, accepted = c.rows_accepted, matched = c.rows_matched,
                    quarantined = c.rows_quarantined, duplicate = c.rows_duplicate,
                    alerts = c.alerts_raised;
    const std::string status = error.empty() ? "done" : "failed", why(error), sha(sha256);
    const int keep_sha = sha256.empty() ? 1 : 0;
    soci::statement st =
        (session.prepare << "UPDATE feed_runs SET status = :status, finished_at = :at,"
                            " rows_read = :read, rows_accepted = :accepted,"
                            " rows_matched = :matched, rows_quarantined = :quarantined,"
                            " rows_duplicate = :duplicate, alerts_raised = :alerts,"
                            " error = :error,"
                            " sha256 = CASE WHEN :keep_sha = 1 THEN sha256 ELSE :sha END"
                            " WHERE id = :id AND status = 'running'",
         use(status), use(at), use(read), use(accepted), use(matched), use(quarantined),
         use(duplicate), use(alerts), use(why), use(keep_sha), use(sha), use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

int mark_replaced_feed_runs(soci::session& session, std::string_view feed, std::string_view period,
                            std::int64_t keep_run_id) {
  return guarded("标记被替换的数据交换记录失败 (marking replaced feed runs failed)", [&] {
    const std::string f(feed), p(period);
    const long long keep = keep_run_id;
    soci::statement st =
        (session.prepare << "UPDATE feed_runs SET status = 'replaced' WHERE feed = :feed"
                            " AND period = :period AND status = 'done' AND id <> :keep",
         use(f), use(p), use(keep));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
  });
}

std::optional<FeedRunRecord> load_feed_run(soci::session& session, std::int64_t run_id) {
  return guarded("读取数据交换记录失败 (loading a feed run failed)",
                 [&]() -> std::optional<FeedRunRecord> {
                   const long long id = run_id;
                   RunRow row;
                   Prepared p = (session.prepare << std::string(kRunColumns) + "WHERE id = :id");
                   row.bind(p);
                   p, use(id);
                   return fetch_one(p, row);
                 });
}

std::optional<FeedRunRecord> find_done_feed_run(soci::session& session, std::string_view feed,
                                                std::string_view sha256) {
  return guarded("读取数据交换记录失败 (loading a feed run failed)",
                 [&]() -> std::optional<FeedRunRecord> {
                   const std::string f(feed), sha(sha256);
                   RunRow row;
                   Prepared p = (session.prepare << std::string(kRunColumns) +
                                                        "WHERE feed = :feed AND sha256 = :sha"
                                                        " AND status = 'done' ORDER BY id DESC"
                                                        " LIMIT 1");
                   row.bind(p);
                   p, use(f), use(sha);
                   return fetch_one(p, row);
                 });
}

FeedRunPage list_feed_runs(soci::session& session, const FeedRunFilter& filter) {
  return guarded("读取数据交换记录失败 (listing feed runs failed)", [&] {
    const std::string feed = filter.feed.value_or(""), dept = filter.department.value_or(""),
                      period = filter.period.value_or("");
    const int any_feed = filter.feed ? 0 : 1, any_dept = filter.department ? 0 : 1,
              any_period = filter.period ? 0 : 1, any_before = filter.before_id ? 0 : 1;
    const long long before = filter.before_id.value_or(0),
                    offset = std::max<long long>(0, filter.offset);
    const int limit = std::clamp(filter.limit, 1, 1000);
    const std::string where =
        "WHERE (:any_feed = 1 OR feed = :feed) AND (:any_dept = 1 OR department = :dept)"
        " AND (:any_period = 1 OR period = :period) ";
    FeedRunPage page;
    long long total = 0;
    session << "SELECT COUNT(*) FROM feed_runs " + where, use(any_feed), use(feed), use(any_dept),
        use(dept), use(any_period), use(period), into(total);
    page.total = total;
    RunRow row;
    Prepared p = (session.prepare << std::string(kRunColumns) + where +
                                         "AND (:any_before = 1 OR id < :before)"
                                         " ORDER BY id DESC LIMIT :limit OFFSET :offset");
    row.bind(p);
    p, use(any_feed), use(feed), use(any_dept), use(dept), use(any_period), use(period),
        use(any_before), use(before), use(limit), use(offset);
    page.runs = fetch_all(p, row);
    return page;
  });
}

void insert_feed_bad_rows(soci::session& session, std::int64_t run_id,
                          const std::vector<NewBadRow>& rows) {
  if (rows.empty()) return;
  guarded("保存有问题的数据行失败 (saving quarantined feed rows failed)", [&] {
    // Whole columns bound per chunk: one prepared statement, no SQL text per row. The
    // statement is prepared per chunk: SOCI's PostgreSQL backend keeps the first values of
    // re-executed bulk binds.
    constexpr std::size_t kChunk = 2000;
    for (std::size_t from = 0; from < rows.size(); from += kChunk) {
      const std::size_t m = std::min(kChunk, rows.size() - from);
      std::vector<long long> run(m, run_id), line(m), conflicts(m);
      std::vector<soci::indicator> conflicts_ind(m);
      std::vector<std::string> field(m), header(m), reason(m), raw(m);
      for (std::size_t i = 0; i < m; ++i) {
        const NewBadRow& r = rows[from + i];
        line[i] = r.line;
        field[i] = r.field;
        header[i] = r.header;
        reason[i] = r.reason;
        raw[i] = r.raw;
        conflicts[i] = r.conflicts_with_line.value_or(0);
        conflicts_ind[i] = r.conflicts_with_line ? soci::i_ok : soci::i_null;
      }
      soci::statement st =
          (session.prepare << "INSERT INTO feed_bad_rows (run_id, line, field, header, reason,"
                              " raw, conflicts_with_line) VALUES (:run, :line, :field, :header,"
                              " :reason, :raw, :conflicts)",
           use(run), use(line), use(field), use(header), use(reason), use(raw),
           use(conflicts, conflicts_ind));
      st.execute(true);
    }
  });
}

BadRowPage list_feed_bad_rows(soci::session& session, std::int64_t run_id, int limit,
                              std::int64_t offset, std::optional<std::int64_t> after_id) {
  return guarded("读取有问题的数据行失败 (listing quarantined feed rows failed)", [&] {
    const long long run = run_id, off = std::max<std::int64_t>(0, offset),
                    after = after_id.value_or(0);
    const int any_after = after_id ? 0 : 1, n = std::clamp(limit, 1, 10000);
    BadRowPage page;
    long long total = 0;
    session << "SELECT COUNT(*) FROM feed_bad_rows WHERE run_id = :run", use(run), into(total);
    page.total = total;
    BadRow row;
    Prepared p = (session.prepare << "SELECT id, run_id, line, field, header, reason, raw,"
                                     " conflicts_with_line, fixed_by_run FROM feed_bad_rows"
                                     " WHERE run_id = :run AND (:any_after = 1 OR id > :after)"
                                     " ORDER BY line, id LIMIT :n OFFSET :off");
    row.bind(p);
    p, use(run), use(any_after), use(after), use(n), use(off);
    page.rows = fetch_all(p, row);
    return page;
  });
}

int mark_feed_bad_rows_fixed(soci::session& session, std::int64_t run_id,
                             const std::vector<std::int64_t>& lines, std::int64_t fixed_by_run) {
  if (lines.empty()) return 0;
  return guarded("标记已更正的数据行失败 (marking fixed feed rows failed)", [&] {
    const long long run = run_id, by = fixed_by_run;
    long long line = 0;
    soci::statement st =
        (session.prepare << "UPDATE feed_bad_rows SET fixed_by_run = :by WHERE run_id = :run"
                            " AND line = :line AND fixed_by_run IS NULL",
         use(by), use(run), use(line));
    int marked = 0;
    for (std::int64_t l : lines) {
      line = l;
      st.execute(true);
      marked += static_cast<int>(st.get_affected_rows());
    }
    return marked;
  });
}

void replace_feed_signals(soci::session& session, std::string_view feed, std::string_view period,
                          std::int64_t run_id, const std::vector<FeedSignal>& signals) {
  guarded("保存数据交换的预警信号失败 (replacing the signals of a feed period failed)", [&] {
    const std::string f(feed), p(period);
    session << "DELETE FROM feed_signals WHERE feed = :feed AND period = :period", use(f), use(p);
    if (signals.empty()) return;
    const long long run = run_id;
    std::string id_number, rule;
    long long case_id = 0, alert_id = 0;
    soci::indicator case_ind = soci::i_null, alert_ind = soci::i_null;
    soci::statement st =
        (session.prepare << "INSERT INTO feed_signals (feed, period, run_id, id_number, rule,"
                            " case_id, alert_id) VALUES (:feed, :period, :run, :id_number, :rule,"
                            " :case_id, :alert_id)",
         use(f), use(p), use(run), use(id_number), use(rule), use(case_id, case_ind),
         use(alert_id, alert_ind));
    for (const FeedSignal& s : signals) {
      id_number = s.id_number;
      rule = s.rule;
      case_id = s.case_id.value_or(0);
      case_ind = s.case_id ? soci::i_ok : soci::i_null;
      alert_id = s.alert_id.value_or(0);
      alert_ind = s.alert_id ? soci::i_ok : soci::i_null;
      st.execute(true);
    }
  });
}

bool feed_signal_exists(soci::session& session, std::string_view feed, std::string_view period,
                        std::string_view id_number, std::string_view rule) {
  return guarded("读取数据交换的预警信号失败 (loading feed signals failed)", [&] {
    const std::string f(feed), p(period), id(id_number), r(rule);
    long long n = 0;
    session << "SELECT COUNT(*) FROM feed_signals WHERE feed = :feed AND period = :period"
               " AND id_number = :id AND rule = :rule",
        use(f), use(p), use(id), use(r), into(n);
    return n > 0;
  });
}

std::vector<FeedSignal> feed_signals(soci::session& session, std::string_view feed,
                                     std::string_view period) {
  return guarded("读取数据交换的预警信号失败 (loading feed signals failed)", [&] {
    const std::string f(feed), p(period);
    std::vector<FeedSignal> out;
    std::string id_number, rule;
    long long case_id = 0, alert_id = 0;
    soci::indicator case_ind = soci::i_null, alert_ind = soci::i_null;
    soci::statement st =
        (session.prepare << "SELECT id_number, rule, case_id, alert_id FROM feed_signals"
                            " WHERE feed = :feed AND period = :period ORDER BY id",
         use(f), use(p), into(id_number), into(rule), into(case_id, case_ind),
         into(alert_id, alert_ind));
    st.execute();
    while (st.fetch()) {
      FeedSignal s{id_number, rule, std::nullopt, std::nullopt};
      if (case_ind == soci::i_ok) s.case_id = case_id;
      if (alert_ind == soci::i_ok) s.alert_id = alert_id;
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::map<std::string, StoredMemberMatch> match_members(soci::session& session,
                                                       const std::vector<std::string>& id_numbers) {
  std::map<std::string, StoredMemberMatch> out;
  if (id_numbers.empty()) return out;
  return guarded("按身份证号查找家庭成员失败 (matching members by ID number failed)", [&] {
    // The whole batch is one bound value (a JSON array on SQLite, a comma list on PostgreSQL;
    // ID numbers hold neither commas nor quotes), so a batch of any size is one statement.
    const bool sqlite = dialect_of(session) == Dialect::kSqlite;
    std::string ids;
    if (sqlite) {
      boost::json::array a;
      for (const std::string& id : id_numbers) a.emplace_back(id);
      ids = boost::json::serialize(a);
    } else {
      for (const std::string& id : id_numbers) ids += (ids.empty() ? "" : ",") + id;
    }
    const std::vector<std::string> states = counted_states();
    std::string in_states;
    for (std::size_t i = 0; i < states.size(); ++i) {
      in_states += (i == 0 ? ":s" : ", :s") + std::to_string(i);
    }
    const std::string sql =
        "SELECT m.id, m.id_number, m.household_code, h.village_code, h.township_code, m.name,"
        " c.id, c.state, c.data FROM household_members m"
        " JOIN households h ON h.code = m.household_code"
        " LEFT JOIN cases c ON c.household_code = m.household_code AND c.state IN (" +
        (in_states.empty() ? std::string("NULL") : in_states) + ") WHERE m.id_number " +
        (sqlite ? "IN (SELECT value FROM json_each(:ids))"
                : "= ANY(string_to_array(CAST(:ids AS TEXT), ','))");
    long long member_id = 0, case_id = 0;
    soci::indicator case_ind = soci::i_null, state_ind = soci::i_null, data_ind = soci::i_null;
    std::string id_number, household, village, township, name, state, data;
    Prepared p = (session.prepare << sql, into(member_id), into(id_number), into(household),
                  into(village), into(township), into(name), into(case_id, case_ind),
                  into(state, state_ind), into(data, data_ind));
    for (const std::string& s : states) p, use(s);
    p, use(ids);
    soci::statement st(p);
    st.execute();
    struct Best {
      long long member_id = 0;
      StoredMemberMatch match;
      std::string data;
    };
    std::map<std::string, Best> best;
    while (st.fetch()) {
      const bool has_case = case_ind == soci::i_ok;
      auto [it, fresh] = best.try_emplace(id_number);
      Best& b = it->second;
      // A household with a case beats one without; among cases the newest; else lowest member.
      const bool better = fresh || (has_case && (!b.match.case_id || case_id > *b.match.case_id)) ||
                          (!has_case && !b.match.case_id && member_id < b.member_id);
      if (!better) continue;
      b.member_id = member_id;
      b.match = {household, village, township, name, std::nullopt, "", std::nullopt};
      b.data.clear();
      if (has_case) {
        b.match.case_id = case_id;
        b.match.case_state = state_ind == soci::i_ok ? state : "";
        if (data_ind == soci::i_ok) b.data = data;
      }
    }
    for (auto& [id, b] : best) {
      if (b.match.case_id && !b.data.empty()) b.match.household_income = verified_income(b.data);
      out.emplace(id, std::move(b.match));
    }
    return out;
  });
}

// -- the feed runner's (adapters/feeds/feed_intake.h) --------------------------------------------

bool insert_feed_signal(soci::session& session, std::string_view feed, std::string_view period,
                        std::int64_t run_id, const FeedSignal& signal) {
  return guarded("保存数据交换的预警信号失败 (saving a feed signal failed)", [&] {
    if (feed_signal_exists(session, feed, period, signal.id_number, signal.rule)) return false;
    const std::string f(feed), p(period), id(signal.id_number), r(signal.rule);
    const long long run = run_id;
    long long case_id = signal.case_id.value_or(0), alert_id = signal.alert_id.value_or(0);
    soci::indicator case_ind = signal.case_id ? soci::i_ok : soci::i_null;
    soci::indicator alert_ind = signal.alert_id ? soci::i_ok : soci::i_null;
    session << "INSERT INTO feed_signals (feed, period, run_id, id_number, rule, case_id,"
               " alert_id) VALUES (:feed, :period, :run, :id_number, :rule, :case_id, :alert_id)",
        use(f), use(p), use(run), use(id), use(r), use(case_id, case_ind), use(alert_id, alert_ind);
    return true;
  });
}

int fail_running_feed_runs(soci::session& session, TimePoint now, std::string_view error,
                           std::optional<TimePoint> started_before) {
  return guarded("结束中断的数据交换记录失败 (failing interrupted feed runs failed)", [&] {
    const long long at = to_epoch(now);
    const long long before =
        started_before ? to_epoch(*started_before) : std::numeric_limits<long long>::max();
    const std::string e(error);
    soci::statement st = (session.prepare << "UPDATE feed_runs SET status = 'failed',"
                                             " finished_at = :at, error = :error"
                                             " WHERE status = 'running' AND started_at < :before",
                          use(at), use(e), use(before));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
  });
}

std::optional<FeedRunRecord> latest_feed_run(soci::session& session, std::string_view feed,
                                             std::string_view period) {
  return guarded("读取数据交换记录失败 (loading a feed run failed)",
                 [&]() -> std::optional<FeedRunRecord> {
                   const std::string f(feed), p(period);
                   RunRow row;
                   Prepared q = (session.prepare << std::string(kRunColumns) +
                                                        "WHERE feed = :feed AND period = :period"
                                                        " ORDER BY id DESC LIMIT 1");
                   row.bind(q);
                   q, use(f), use(p);
                   return fetch_one(q, row);
                 });
}

}  // namespace fangfan
