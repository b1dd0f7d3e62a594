#include "daemon/ctl/ctl_case.h"

#include <filesystem>
#include <sstream>
#include <utility>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "workflows/date.h"
#include "workflows/id_number.h"

namespace fangfan {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

constexpr const char* kUsageText =
    "用法：\n"
    "  fangfanctl case show 案件编号      显示案件及其全部历史记录\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << problem << "\n";
  err << kUsageText;
  return kUsage;
}

// "2025-03-03 09:10" in China time.
std::string china_minutes(TimePoint t) {
  std::string text = format_time(t);  // 2025-03-03T09:10:00+08:00
  return text.substr(0, 10) + " " + text.substr(11, 5);
}

template <std::size_t... I>
std::string_view label_by_name(std::string_view name, std::index_sequence<I...>) {
  std::string_view out = name;
  (void)((std::variant_alternative_t<I, CaseEvent>::kName == name
              ? (out = std::variant_alternative_t<I, CaseEvent>::kLabel, true)
              : false) ||
         ...);
  return out;
}

// The Chinese label of a stored event name ("record_visit" -> "登记走访记录").
std::string_view event_label_of(std::string_view name) {
  return label_by_name(name, std::make_index_sequence<std::variant_size_v<CaseEvent>>{});
}

std::string_view state_label(std::string_view name) {
  const CaseStateInfo* info = find_case_state(name);
  return info != nullptr ? info->label : name;
}

std::string place(const Config& config, const std::string& village_code) {
  const Village* village = config.find_village(village_code);
  if (village == nullptr) return village_code + "（本县配置中没有此村）";
  const Township* township = config.find_township(village->township);
  return village->name + "（" + (township != nullptr ? township->name : village->township) + "）";
}

std::string member_flags(const Member& m) {
  std::string out = m.able_to_work ? "有劳动能力" : "无劳动能力";
  if (m.disabled) out += "、残疾";
  if (m.student) out += "、在校生";
  return out;
}

template <class E>
std::string joined_labels(const std::vector<E>& values) {
  std::string out;
  for (const E& v : values) {
    if (!out.empty()) out += "、";
    out += label_of(v);
  }
  return out.empty() ? "无" : out;
}

}  // namespace

std::string render_case(const CaseView& view, const Config& config) {
  const CaseData& d = view.snapshot.data;
  const Household& h = d.household;
  const CaseKind* kind = config.rules.find_kind(d.kind);
  std::ostringstream o;
  o << "案件 " << format_case_id(view.id) << "\n";
  o << "户编号：" << h.code << "\n";
  o << "所在村：" << place(config, h.village_code) << "\n";
  o << "监测对象类型：" << (kind != nullptr ? kind->name : d.kind) << "\n";
  o << "当前状态：" << state_label(view.snapshot.state) << "\n";
  o << "版本：" << view.snapshot.version << "\n";
  o << "帮扶责任人：" << (d.officer.empty() ? "未指定" : d.officer) << "\n";
  o << "先帮扶后认定：" << (d.emergency ? "是（" + d.emergency_reason + "）" : "否") << "\n";
  o << "信息来源：" << label_of(d.source) << "\n";
  o << "风险类型：" << joined_labels(d.risk_causes) << "\n";
  o << "建档时间：" << china_minutes(d.opened.at) << "\n";
  if (view.previous_case_id) o << "原案件：" << format_case_id(*view.previous_case_id) << "\n";
  o << "联系电话：" << (h.phone.empty() ? "无" : mask_phone(h.phone)) << "\n";
  o << "家庭成员（" << h.members.size() << " 人）：\n";
  for (std::size_t i = 0; i < h.members.size(); ++i) {
    const Member& m = h.members[i];
    o << "  " << i + 1 << ". " << m.name << "  " << label_of(m.relation) << "  "
      << mask_id_number(m.id_number) << "  " << member_flags(m) << "\n";
  }
  if (!d.notices.empty()) {
    o << "书面告知（" << d.notices.size() << " 份）：\n";
    for (const Notice& n : d.notices) {
      o << "  " << china_minutes(n.issued.at) << "  " << label_of(n.kind) << "：" << n.reason
        << "\n";
    }
  }
  o << "历史记录（" << view.history.size() << " 条）：\n";
  for (const HistoryEntry& e : view.history) {
    o << "  " << e.version << ". " << china_minutes(e.at) << "  " << event_label_of(e.event) << "  "
      << state_label(e.before) << " → " << state_label(e.after) << "  经办：" << e.actor << "\n";
    if (!e.reason.empty()) o << "     理由：" << e.reason << "\n";
  }
  return o.str();
}

int run_case_command(const std::vector<std::string>& args, const Config& config, std::ostream& out,
                     std::ostream& err) {
  if (args.empty()) return usage(err, "");
  if (args[0] != "show") return usage(err, "不认识的子命令“" + args[0] + "”。");
  if (args.size() != 2) return usage(err, "case show 需要且只需要一个案件编号。");
  const auto id = parse_case_id(args[1]);
  if (!id) return usage(err, "“" + args[1] + "”不是案件编号（应为正整数，例如 42）。");

  // Reading must not create an empty database where the daemon's is expected.
  constexpr std::string_view kSqlite = "sqlite3://";
  if (std::string_view(config.storage_url).substr(0, kSqlite.size()) == kSqlite) {
    const std::filesystem::path file = config.storage_url.substr(kSqlite.size());
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      err << "数据库文件 " << file.string()
          << " 不存在：fangfand 尚未在此配置下运行过，还没有任何案件。\n";
      return kFailed;
    }
  }
  try {
    // Read-only: run by an admin (often as root, daemon stopped), it must not write the daemon's
    // database nor change its journal mode. SQLite may still create the -wal/-shm side files of a
    // WAL database while reading; run as root, SQLite gives them the database file's owner.
    DatabaseOptions options;
    options.read_only = true;
    const Database db = Database::open(config.storage_url, options);
    const auto session = db.open_session();
    if (current_schema_version(*session) == 0) {
      err << "数据库 " << db.display_url()
          << " 尚未初始化（请先启动 fangfand），还没有任何案件。\n";
      return kFailed;
    }
    const auto view = CaseReader(*session, config).load(*id);
    if (!view) {
      err << "没有编号为 " << format_case_id(*id) << " 的案件。\n";
      return kFailed;
    }
    out << render_case(*view, config);
    return kOk;
  } catch (const StorageError& e) {
    err << "读取案件失败：" << e.what() << "\n";
    return kFailed;
  }
}

}  // namespace fangfan
