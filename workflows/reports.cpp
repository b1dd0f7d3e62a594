#include "workflows/reports.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "workflows/case_codes.h"
#include "workflows/date.h"
#include "workflows/exit_evidence.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

constexpr std::string_view kAll = "*";  // a bucket over every value of its dimension

const ReportPlace* find_place(const std::vector<ReportPlace>& places, std::string_view code) {
  for (const auto& p : places) {
    if (p.code == code) return &p;
  }
  return nullptr;
}

std::string total_label(const ReportSetting& s) { return s.whole_county ? "全县" : "合计"; }

std::string scope_text(const ReportSetting& s, const std::string& when) {
  std::string where = s.county_name;
  if (!s.whole_county) {
    where.clear();
    for (const auto& t : s.townships) where += (where.empty() ? "" : "、") + t.name;
  }
  return where + "，" + when;
}

// One decimal; "—" when there is nothing to divide by.
ReportCell percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return std::string("—");
  return std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 10.0;
}

// Distinct households and their persons.
struct Households {
  std::map<std::string, std::int64_t> persons;  // household code -> persons
  std::int64_t count() const { return static_cast<std::int64_t>(persons.size()); }
  std::int64_t people() const {
    std::int64_t n = 0;
    for (const auto& [code, p] : persons) n += p;
    return n;
  }
};

std::string kind_name(const ProgramRules& rules, const std::string& code) {
  if (const CaseKind* k = rules.find_kind(code)) return k->name;
  return code;
}

}  // namespace

const std::vector<std::string_view>& report_names() {
  static const std::vector<std::string_view> names{
      "households", "measures", "overdue", "exchange", "movements", "evaluation", "campaign"};
  return names;
}

std::string report_cell_text(const ReportCell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&cell)) return std::to_string(*i);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::get<double>(cell));
  return buf;
}

bool is_monitoring_object(const CaseSnapshot& snapshot) {
  static const std::set<std::string_view> monitored{
      "registered", "elimination_review", "township_elimination_review", "elimination_publicity"};
  static const std::set<std::string_view> recognition{"discovered", "household_verification",
                                                      "democratic_review", "county_review",
                                                      "village_publicity"};
  if (monitored.count(snapshot.state)) return true;
  return snapshot.data.emergency && recognition.count(snapshot.state);
}

// ---- 一兜了之 (issue 14 item 5)

ReportSection support_only_section(const ReportSetting& setting,
                                   const std::vector<ReportCase>& cases) {
  ReportSection s{"有劳动能力仅兜底帮扶",
                  {"乡镇", "村代码", "案件编号", "户主", "有劳动能力人数", "兜底措施条数"},
                  {16, 14, 16, 10, 14, 12},
                  {},
                  std::nullopt};
  for (const ReportPlace& p : setting.townships) {
    for (const ReportCase& c : cases) {
      if (c.township_code != p.code || !is_monitoring_object(c.snapshot)) continue;
      const CaseData& d = c.snapshot.data;
      if (!support_only(d)) continue;
      std::int64_t able = 0, measures = 0;
      for (const auto& m : d.household.members) able += m.able_to_work ? 1 : 0;
      for (const auto& m : d.measures) measures += m.status != MeasureStatus::kStopped ? 1 : 0;
      const Member* head = d.household.head();
      s.rows.push_back({p.name, d.household.village_code, c.snapshot.case_id,
                        head != nullptr ? mask_name(head->name) : std::string(), able, measures});
    }
  }
  return s;
}

// ---- households

ReportTable households_report(const ReportSetting& setting, const ProgramRules& rules,
                              const std::vector<ReportCase>& cases, Date as_of) {
  // (township, kind, cause) -> households; kAll stands for every value of a dimension.
  std::map<std::tuple<std::string, std::string, std::string>, Households> buckets;
  std::vector<std::string> kinds;  // configuration order, then unknown codes as met
  for (const auto& k : rules.case_kinds) kinds.push_back(k.code);
  for (const ReportCase& c : cases) {
    if (!find_place(setting.townships, c.township_code) || !is_monitoring_object(c.snapshot)) {
      continue;
    }
    const CaseData& d = c.snapshot.data;
    if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) kinds.push_back(d.kind);
    std::vector<std::string> causes{std::string(kAll)};
    for (RiskCause r : d.risk_causes) causes.emplace_back(code_of(r));
    if (d.risk_causes.empty()) causes.emplace_back("unspecified");
    const auto persons = static_cast<std::int64_t>(d.household.members.size());
    for (const std::string& t : {c.township_code, std::string(kAll)}) {
      for (const std::string& k : {d.kind, std::string(kAll)}) {
        for (const std::string& cause : causes)
          buckets[{t, k, cause}].persons[d.household.code] = persons;
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> causes;  // code, label
  for (const auto& e : CodeTable<RiskCause>::kEntries) causes.emplace_back(e.code, e.label);
  causes.emplace_back("unspecified", "未注明");

  ReportSection main{"按类型和风险类型",
                     {"乡镇代码", "乡镇", "监测对象类型", "风险类型", "户数", "人数"},
                     {12, 16, 16, 14, 8, 8},
                     {},
                     std::nullopt};
  std::vector<ReportPlace> places = setting.townships;
  places.push_back({std::string(kAll), total_label(setting)});
  std::vector<std::string> all_kinds = kinds;
  all_kinds.emplace_back(kAll);
  for (const ReportPlace& p : places) {
    int kinds_here = 0;
    for (const std::string& k : kinds) kinds_here += buckets.count({p.code, k, std::string(kAll)});
    for (const std::string& k : all_kinds) {
      if (!buckets.count({p.code, k, std::string(kAll)})) continue;
      if (k == kAll && kinds_here < 2) continue;  // the one kind's rows already say it all
      const std::string kname = k == kAll ? "全部类型" : kind_name(rules, k);
      const std::string pcode = p.code == kAll ? "" : p.code;
      for (const auto& [code, label] : causes) {
        auto it = buckets.find({p.code, k, code});
        if (it == buckets.end()) continue;
        main.rows.push_back({pcode, p.name, kname, label, it->second.count(), it->second.people()});
      }
      const Households& all = buckets.at({p.code, k, std::string(kAll)});
      main.rows.push_back({pcode, p.name, kname, std::string("合计"), all.count(), all.people()});
    }
  }

  // Households by cause per township, every type together: what the chart shows.
  ReportSection pivot{"各乡镇分风险类型户数", {"乡镇"}, {16}, {}, std::nullopt};
  std::vector<std::string> shown;
  for (const auto& [code, label] : causes) {
    if (!buckets.count({std::string(kAll), std::string(kAll), code})) continue;
    shown.push_back(code);
    pivot.headers.push_back(label);
    pivot.widths.push_back(10);
  }
  pivot.headers.emplace_back("合计（户）");
  pivot.widths.push_back(10);
  for (const ReportPlace& p : places) {
    std::vector<ReportCell> row{p.name};
    for (const std::string& code : shown) {
      auto it = buckets.find({p.code, std::string(kAll), code});
      row.emplace_back(it == buckets.end() ? std::int64_t{0} : it->second.count());
    }
    auto it = buckets.find({p.code, std::string(kAll), std::string(kAll)});
    row.emplace_back(it == buckets.end() ? std::int64_t{0} : it->second.count());
    if (p.code != kAll || setting.townships.size() != 1) pivot.rows.push_back(std::move(row));
  }
  ReportChart chart{ReportChart::Kind::kColumn, "各乡镇分风险类型监测户数", 0, {}};
  for (std::size_t i = 0; i < shown.size(); ++i) chart.series_columns.push_back(int(i) + 1);
  // The chart compares townships, not the total with its parts.
  chart.rows = static_cast<int>(setting.townships.size());
  if (!chart.series_columns.empty()) pivot.chart = chart;

  ReportTable t;
  t.name = "households";
  t.title = "防返贫监测对象户数人数统计表";
  t.scope = scope_text(setting, "截至" + format_date(as_of));
  t.sections = {std::move(main), std::move(pivot)};
  t.footer = {
      "一户有多种风险类型的，在每种风险类型中各计一次，在“合计”中只计一次 (a household with "
      "several risk causes counts once per cause and once in the total)",
      "统计对象：已纳入监测和处于风险消除程序中的户，以及先帮扶后认定的户 (monitoring objects: "
      "registered, in the elimination steps, or assisted before recognition)"};
  return t;
}

// ---- measures

ReportTable measures_report(const ReportSetting& setting, const std::vector<ReportCase>& cases,
                            Date as_of) {
  struct Count {
    std::int64_t measures = 0;
    std::set<std::string> households;
  };
  // (type, status) -> count; "*" every value; status "done" = in place or completed.
  std::map<std::pair<std::string, std::string>, Count> buckets;
  for (const ReportCase& c : cases) {
    if (!find_place(setting.townships, c.township_code)) continue;
    const CaseData& d = c.snapshot.data;
    for (const Measure& m : d.measures) {
      const std::string type(code_of(m.type)), status(code_of(m.status));
      std::vector<std::string> statuses{status, std::string(kAll)};
      if (m.status == MeasureStatus::kInPlace || m.status == MeasureStatus::kCompleted) {
        statuses.emplace_back("done");
      }
      for (const std::string& t : {type, std::string(kAll)}) {
        for (const std::string& s : statuses) {
          Count& n = buckets[{t, s}];
          ++n.measures;
          n.households.insert(d.household.code);
        }
      }
    }
  }
  ReportSection s{"按措施类型和状态",
                  {"措施类型", "状态", "措施条数", "覆盖户数"},
                  {14, 10, 10, 10},
                  {},
                  std::nullopt};
  std::vector<std::pair<std::string, std::string>> types;
  for (const auto& e : CodeTable<MeasureType>::kEntries) types.emplace_back(e.code, e.label);
  types.emplace_back(kAll, "全部类型");
  std::vector<std::string> footer;
  for (const auto& [type, label] : types) {
    if (!buckets.count({type, std::string(kAll)})) continue;
    for (const auto& e : CodeTable<MeasureStatus>::kEntries) {
      auto it = buckets.find({type, std::string(e.code)});
      if (it == buckets.end()) continue;
      s.rows.push_back({label, std::string(e.label), it->second.measures,
                        static_cast<std::int64_t>(it->second.households.size())});
    }
    const Count& all = buckets.at({type, std::string(kAll)});
    s.rows.push_back({label, std::string("合计"), all.measures,
                      static_cast<std::int64_t>(all.households.size())});
    auto done = buckets.find({type, "done"});
    if (type != kAll && done != buckets.end()) {
      footer.push_back("落实" + label + "措施" + std::to_string(done->second.measures) +
                       "条，覆盖" + std::to_string(done->second.households.size()) + "户");
    }
  }
  footer.emplace_back(
      "“落实”指状态为已落实或已完成的措施；覆盖户数按户去重 (measures in place or completed; "
      "households counted once)");
  ReportTable t;
  t.name = "measures";
  t.title = "帮扶措施落实情况统计表";
  t.scope = scope_text(setting, "截至" + format_date(as_of));
  t.sections = {std::move(s)};
  // 一兜了之 [001] "对有劳动能力、有意愿的，是否落实了开发式帮扶措施": able households under
  // assistance whose measures are all 兜底 ones, listed when there are any.
  if (auto flagged = support_only_section(setting, cases); !flagged.rows.empty()) {
    footer.push_back("有劳动能力仅落实兜底保障措施的" + std::to_string(flagged.rows.size()) +
                     "户已列出，请核实并落实开发式帮扶 (able households with only guaranteed-"
                     "support measures)");
    t.sections.push_back(std::move(flagged));
  }
  t.footer = std::move(footer);
  return t;
}

// ---- overdue

namespace {

std::string duty_kind_label(std::string_view kind) {
  static const std::map<std::string_view, std::string_view> labels{
      {"step", "程序步骤"},       {"visits", "走访"},           {"monitoring", "动态监测"},
      {"evaluation", "风险评估"}, {"campaign", "专项行动节点"}, {"feed", "部门数据报送"},
      {"alert", "预警核实"},      {"list", "部门名单发送"},     {"feedback", "部门落实反馈"},
      {"report", "月报发送"}};
  auto it = labels.find(kind);
  return std::string(it == labels.end() ? kind : it->second);
}

struct Overdue {
  std::int64_t count = 0;
  Date earliest = Date::max();
  void add(TimePoint due) {
    ++count;
    earliest = std::min(earliest, china_date(due));
  }
};

}  // namespace

ReportTable overdue_report(const ReportSetting& setting, std::string_view county_code,
                           const std::vector<DutyRecord>& open_duties, TimePoint as_of) {
  std::vector<ReportPlace> places = setting.townships;
  if (setting.whole_county) places.insert(places.begin(), {std::string(county_code), "县级"});
  std::map<std::pair<std::string, std::string>, Overdue> by_place;    // (township, kind or "*")
  std::map<std::pair<std::string, std::string>, Overdue> by_officer;  // (officer, township)
  std::vector<std::string> kinds;
  Overdue total;
  for (const DutyRecord& d : open_duties) {
    if (d.state != DutyState::kOpen || d.due_at > as_of) continue;
    if (!find_place(places, d.township_code)) continue;
    if (std::find(kinds.begin(), kinds.end(), d.kind) == kinds.end()) kinds.push_back(d.kind);
    by_place[{d.township_code, d.kind}].add(d.due_at);
    by_place[{d.township_code, std::string(kAll)}].add(d.due_at);
    total.add(d.due_at);
    if (d.township_code != county_code) by_officer[{d.officer, d.township_code}].add(d.due_at);
  }
  std::sort(kinds.begin(), kinds.end());
  ReportSection a{"按乡镇",
                  {"乡镇代码", "乡镇", "事项类型", "逾期件数", "最早到期日"},
                  {12, 16, 16, 10, 12},
                  {},
                  std::nullopt};
  for (const ReportPlace& p : places) {
    if (!by_place.count({p.code, std::string(kAll)})) continue;
    for (const std::string& k : kinds) {
      auto it = by_place.find({p.code, k});
      if (it == by_place.end()) continue;
      a.rows.push_back(
          {p.code, p.name, duty_kind_label(k), it->second.count, format_date(it->second.earliest)});
    }
    const Overdue& all = by_place.at({p.code, std::string(kAll)});
    a.rows.push_back({p.code, p.name, std::string("合计"), all.count, format_date(all.earliest)});
  }
  if (total.count > 0) {
    a.rows.push_back({std::string(), total_label(setting), std::string("合计"), total.count,
                      format_date(total.earliest)});
  }
  ReportSection b{"按帮扶责任人",
                  {"帮扶责任人", "乡镇", "逾期件数", "最早到期日"},
                  {14, 16, 10, 12},
                  {},
                  std::nullopt};
  std::vector<std::pair<std::pair<std::string, std::string>, Overdue>> officers(by_officer.begin(),
                                                                                by_officer.end());
  // Most overdue first; ties by officer, then township (the map's order, kept by stable_sort).
  std::stable_sort(officers.begin(), officers.end(),
                   [](const auto& x, const auto& y) { return x.second.count > y.second.count; });
  for (const auto& [key, n] : officers) {
    const ReportPlace* p = find_place(places, key.second);
    b.rows.push_back({key.first.empty() ? std::string("未指定") : key.first, p->name, n.count,
                      format_date(n.earliest)});
  }
  ReportTable t;
  t.name = "overdue";
  t.title = "逾期未办事项统计表";
  t.scope = scope_text(setting, "截至" + format_time(as_of));
  t.sections = {std::move(a), std::move(b)};
  t.footer = {
      "逾期：未办结且已到期（到期时间不晚于统计时点）的事项 (open duties due at or before "
      "the report's time)"};
  return t;
}

// ---- exchange

ReportTable exchange_report(const ReportSetting& setting, const ProgramRules& rules,
                            const std::vector<DutyRecord>& duties,
                            const std::vector<ReportFeedRun>& done_runs,
                            std::optional<TimePoint> from, std::optional<TimePoint> to,
                            TimePoint as_of) {
  auto in_period = [&](TimePoint t) { return (!from || t >= *from) && (!to || t < *to); };
  // The name before the last '/' of a subject "<feed or list>/<period>".
  auto subject_name = [](const std::string& subject) {
    return subject.substr(0, subject.rfind('/'));
  };
  struct Feeds {
    std::int64_t on_time = 0, late = 0, missing = 0, awaited = 0, quarantined = 0;
  };
  struct Lists {
    std::int64_t sent = 0, answered = 0, unanswered = 0, overdue = 0;
  };
  std::map<std::string, Feeds> feeds;  // by department
  std::map<std::string, Lists> lists;  // by list name
  for (const DutyRecord& d : duties) {
    if (!in_period(d.due_at) || d.state == DutyState::kCancelled) continue;
    const bool open = d.state == DutyState::kOpen;
    if (d.kind == kDutyFeed) {
      const FeedSource* source = rules.feeds.find(subject_name(d.subject));
      if (!source) continue;
      Feeds& f = feeds[source->department];
      if (open) {
        ++(d.due_at <= as_of ? f.missing : f.awaited);
      } else {
        ++(d.closed_at && *d.closed_at <= d.due_at ? f.on_time : f.late);
      }
    } else if (d.kind == "list" || d.kind == "feedback") {
      Lists& l = lists[subject_name(d.subject)];
      if (d.kind == "list") {
        l.sent += open ? 0 : 1;
      } else if (open) {
        ++l.unanswered;
        l.overdue += d.due_at <= as_of ? 1 : 0;
      } else {
        ++l.answered;
      }
    }
  }
  for (const ReportFeedRun& r : done_runs) {
    if (in_period(r.started_at)) feeds[r.department].quarantined += r.rows_quarantined;
  }
  ReportSection a{
      "部门数据报送",
      {"部门代码", "部门", "按时报送", "逾期报送", "缺报", "待报送", "隔离行数", "按时率(%)"},
      {18, 18, 10, 10, 8, 8, 10, 10},
      {},
      ReportChart{ReportChart::Kind::kBar, "各部门数据按时报送率(%)", 1, {7}}};
  for (const ReportPlace& dep : setting.departments) {
    auto it = feeds.find(dep.code);
    if (it == feeds.end()) continue;
    const Feeds& f = it->second;
    a.rows.push_back({dep.code, dep.name, f.on_time, f.late, f.missing, f.awaited, f.quarantined,
                      percent(f.on_time, f.on_time + f.late + f.missing)});
  }
  ReportSection b{"部门名单与反馈",
                  {"部门代码", "部门", "名单", "已发送", "已反馈", "未反馈", "其中逾期未反馈"},
                  {18, 18, 18, 8, 8, 8, 14},
                  {},
                  std::nullopt};
  for (const ReportPlace& dep : setting.departments) {
    for (const DepartmentList& list : rules.lists.lists) {
      if (list.department != dep.code) continue;
      const Lists l = lists.count(list.name) ? lists.at(list.name) : Lists{};
      b.rows.push_back(
          {dep.code, dep.name, list.name, l.sent, l.answered, l.unanswered, l.overdue});
    }
  }
  ReportTable t;
  t.name = "exchange";
  t.title = "部门数据交换情况统计表";
  std::string when = "截至" + format_time(as_of);
  if (from && to) {
    when = format_date(china_date(*from)) + "至" +
           format_date(china_date(*to - std::chrono::seconds{1}));
  }
  t.scope = scope_text(setting, when);
  t.sections = {std::move(a), std::move(b)};
  t.footer = {
      "按时：在到期前收到数据的期次；缺报：已到期仍未收到的期次；按时率 = 按时 ÷（按时 + 逾期 + "
      "缺报）(on time: periods received by their due time; missing: due and not received)",
      "名单已发送以发送事项办结计，已反馈以反馈事项办结计 (a list counts as sent when its duty "
      "is done, as answered when its feedback duty is done)"};
  return t;
}

// ---- movements

ReportTable movements_report(const ReportSetting& setting,
                             const std::vector<ReportMovement>& history, TimePoint from,
                             TimePoint to) {
  static const std::set<std::string_view> recognition{"discovered", "household_verification",
                                                      "democratic_review", "county_review",
                                                      "village_publicity"};
  constexpr int kColumns = 5;
  std::map<std::string, std::array<std::int64_t, kColumns>> counts;  // township (or "*") -> row
  for (const ReportMovement& m : history) {
    if (m.at < from || m.at >= to || !find_place(setting.townships, m.township_code)) continue;
    const bool changed = m.before_state != m.after_state;
    const std::array<bool, kColumns> hit{
        m.before_state == "new",
        m.after_state == "registered" && recognition.count(m.before_state) > 0,
        changed && m.after_state == "eliminated",
        m.before_state == "eliminated" && m.after_state == "registered",
        changed && m.after_state == "cleared_out"};
    for (const std::string& t : {m.township_code, std::string(kAll)}) {
      auto& row = counts[t];
      for (int i = 0; i < kColumns; ++i) row[i] += hit[i] ? 1 : 0;
    }
  }
  ReportSection s{"按乡镇",
                  {"乡镇代码", "乡镇", "新识别", "纳入监测", "风险消除", "风险回退", "清退"},
                  {12, 16, 8, 10, 10, 10, 8},
                  {},
                  std::nullopt};
  std::vector<ReportPlace> places = setting.townships;
  places.push_back({std::string(kAll), total_label(setting)});
  for (const ReportPlace& p : places) {
    const auto it = counts.find(p.code);
    const std::array<std::int64_t, kColumns> row =
        it == counts.end() ? std::array<std::int64_t, kColumns>{} : it->second;
    std::vector<ReportCell> cells{p.code == kAll ? std::string() : p.code, p.name};
    for (std::int64_t n : row) cells.emplace_back(n);
    s.rows.push_back(std::move(cells));
  }
  ReportTable t;
  t.name = "movements";
  t.title = "监测对象增减变动统计表";
  t.scope = scope_text(setting, format_date(china_date(from)) + "至" +
                                    format_date(china_date(to - std::chrono::seconds{1})));
  t.sections = {std::move(s)};
  t.footer = {
      "新识别：期内新建的案件；纳入监测：期内经认定程序纳入监测；风险回退：期内由风险消除回退为监测"
      " (opened, registered through recognition, eliminated, rolled back, cleared out in the "
      "period)"};
  return t;
}

// ---- evaluation and campaign progress

ReportTable evaluation_report(const ReportSetting& setting, int year,
                              const std::vector<ReportEvaluation>& counts) {
  ReportSection s{"按乡镇",
                  {"乡镇代码", "乡镇", "任务数", "已完成", "未完成", "逾期", "已取消", "完成率(%)",
                   "风险已消除", "风险未消除", "新增风险"},
                  {12, 16, 8, 8, 8, 8, 8, 10, 10, 10, 10},
                  {},
                  std::nullopt};
  ReportEvaluation total;
  for (const ReportPlace& p : setting.townships) {
    ReportEvaluation c;
    for (const auto& e : counts) {
      if (e.township_code == p.code) c = e;
    }
    total.tasks += c.tasks, total.done += c.done, total.open += c.open;
    total.overdue += c.overdue, total.cancelled += c.cancelled;
    total.risk_removed += c.risk_removed, total.risk_persisting += c.risk_persisting;
    total.new_risk += c.new_risk;
    s.rows.push_back({p.code, p.name, c.tasks, c.done, c.open, c.overdue, c.cancelled,
                      percent(c.done, c.tasks - c.cancelled), c.risk_removed, c.risk_persisting,
                      c.new_risk});
  }
  s.rows.push_back({std::string(), total_label(setting), total.tasks, total.done, total.open,
                    total.overdue, total.cancelled,
                    percent(total.done, total.tasks - total.cancelled), total.risk_removed,
                    total.risk_persisting, total.new_risk});
  ReportTable t;
  t.name = "evaluation";
  t.title = std::to_string(year) + "年第四季度风险评估进度表";
  t.scope = scope_text(setting, std::to_string(year) + "年");
  t.sections = {std::move(s)};
  t.footer = {"完成率 = 已完成 ÷（任务数 − 已取消）(done over tasks not cancelled)"};
  return t;
}

ReportTable campaign_report(const ReportSetting& setting, std::string_view campaign_label,
                            const std::vector<ReportMilestone>& milestones) {
  ReportSection s{"按节点和乡镇",
                  {"节点", "节点名称", "乡镇代码", "乡镇", "截止日期", "完成时间", "是否滞后"},
                  {14, 18, 12, 16, 12, 22, 10},
                  {},
                  std::nullopt};
  std::int64_t behind = 0, done = 0;
  for (const ReportMilestone& m : milestones) {
    const ReportPlace* p = find_place(setting.townships, m.township_code);
    if (!p) continue;
    behind += m.behind ? 1 : 0;
    done += m.done_at ? 1 : 0;
    s.rows.push_back({m.milestone, m.label, p->code, p->name, format_date(m.last_day),
                      m.done_at ? format_time(*m.done_at) : std::string(),
                      std::string(m.behind ? "滞后" : "")});
  }
  ReportTable t;
  t.name = "campaign";
  t.title = std::string(campaign_label) + "进度表";
  t.scope = scope_text(setting, "专项行动");
  t.sections = {std::move(s)};
  t.footer = {"已完成" + std::to_string(done) + "项，滞后" + std::to_string(behind) +
              "项 (done, behind)"};
  return t;
}

}  // namespace fangfan
