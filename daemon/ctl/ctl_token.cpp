#include "daemon/ctl/ctl_token.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "adapters/storage/token_store.h"
#include "daemon/api/auth.h"
#include "daemon/ctl/ctl_http.h"
#include "workflows/date.h"

namespace fangfan {
namespace {

namespace json = boost::json;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr std::size_t kMaxNameBytes = 200;

constexpr const char* kUsageText =
    "用法 (usage):\n"
    "  fangfanctl token create --role ROLE --scope CODE --name WHO [--json]\n"
    "  fangfanctl token list [--all] [--json]\n"
    "  fangfanctl token revoke ID\n";

int usage(std::ostream& err, const std::string& problem) {
  if (!problem.empty()) err << "fangfanctl token: " << problem << "\n";
  err << kUsageText;
  return kUsage;
}

// --flag VALUE pairs and bare --switches after the subcommand; nullopt (with the
// problem in `error`) for anything else.
struct Flags {
  std::map<std::string, std::string> values;
  std::vector<std::string> switches;
  std::vector<std::string> words;
};

std::optional<Flags> parse_flags(const std::vector<std::string>& args,
                                 std::initializer_list<std::string_view> valued,
                                 std::initializer_list<std::string_view> switches,
                                 std::string& error) {
  Flags f;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool known = false;
    for (auto v : valued) {
      if (a == v) {
        if (i + 1 >= args.size()) {
          error = a + " 后面缺少值 (" + a + " needs a value)";
          return std::nullopt;
        }
        f.values[a] = args[++i];
        known = true;
      }
    }
    for (auto s : switches) {
      if (a == s) {
        f.switches.push_back(a);
        known = true;
      }
    }
    if (known) continue;
    if (a.rfind("--", 0) == 0) {
      error = "不认识的选项 " + a + " (unknown option " + a + ")";
      return std::nullopt;
    }
    f.words.push_back(a);
  }
  return f;
}

bool has(const Flags& f, const std::string& s) {
  for (const auto& x : f.switches) {
    if (x == s) return true;
  }
  return false;
}

std::string short_time(TimePoint t) {
  const std::string s = format_time(t);  // YYYY-MM-DDTHH:MM:SS+08:00
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

json::object to_json(const ApiTokenRecord& t) {
  json::object o;
  o["id"] = t.id;
  o["role"] = t.role;
  o["scope"] = t.scope;
  o["holder"] = t.holder;
  o["created_at"] = format_time(t.created_at);
  o["revoked_at"] = t.revoked_at ? json::value(format_time(*t.revoked_at)) : json::value(nullptr);
  return o;
}

// The place's name for the table ("东岭镇"), or "" when the code is not configured.
std::string scope_name(const Config& c, const std::string& code) {
  if (code == c.county.code) return c.county.name;
  if (const Township* t = c.find_township(code)) return t->name;
  if (const Village* v = c.find_village(code)) return v->name;
  return "";
}

std::optional<std::string> check_name(const std::string& name) {
  if (name.find_first_not_of(' ') == std::string::npos) {
    return "--name 不能为空 (--name must not be empty)";
  }
  if (name.size() > kMaxNameBytes) return "--name 太长 (--name is too long)";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "--name 含有控制字符 (--name contains control characters)";
  }
  return std::nullopt;
}

using OpenSession = std::function<std::unique_ptr<soci::session>()>;

int create(const std::vector<std::string>& args, const Config& config, const Clock& clock,
           const OpenSession& open, std::ostream& out, std::ostream& err) {
  std::string error;
  auto f = parse_flags(args, {"--role", "--scope", "--name"}, {"--json"}, error);
  if (!f) return usage(err, error);
  if (!f->words.empty()) return usage(err, "多余的参数“" + f->words[0] + "” (unexpected argument)");
  for (const char* need : {"--role", "--scope", "--name"}) {
    if (!f->values.count(need))
      return usage(err, std::string("缺少 ") + need + " (missing " + need + ")");
  }
  const std::string& role_text = f->values["--role"];
  const std::string& scope = f->values["--scope"];
  const std::string& name = f->values["--name"];
  const auto role = parse_role(role_text);
  if (!role) {
    err << "fangfanctl token: 不认识的角色“" << role_text << "”，可选：" << token_role_names()
        << " (unknown role; choose one of: " << token_role_names() << ")\n";
    return kUsage;
  }
  if (auto problem = check_token_grant(config, *role, scope)) {
    err << "fangfanctl token: " << *problem << "\n";
    return kUsage;
  }
  if (auto problem = check_name(name)) return usage(err, *problem);

  auto session = open();
  soci::session& s = *session;
  WriteTransaction tx(s);
  const CreatedApiToken created = create_api_token(s, {role_text, scope, name, clock.now()});
  tx.commit();
  if (has(*f, "--json")) {
    json::object o = to_json(created.record);
    o["token"] = created.secret;
    out << json::serialize(o) << "\n";
    return kOk;
  }
  out << "已为 " << name << " 创建令牌 " << created.record.id << "（角色 " << role_text << "，范围 "
      << scope << " " << scope_name(config, scope) << "）。令牌只显示这一次，请妥善保存：\n"
      << "(token " << created.record.id
      << " created; it is shown only this once, keep it "
         "safe:)\n"
      << created.secret << "\n";
  return kOk;
}

int list(const std::vector<std::string>& args, const Config& config, const OpenSession& open,
         std::ostream& out, std::ostream& err) {
  std::string error;
  auto f = parse_flags(args, {}, {"--all", "--json"}, error);
  if (!f) return usage(err, error);
  if (!f->words.empty()) return usage(err, "多余的参数“" + f->words[0] + "” (unexpected argument)");
  const auto tokens = list_api_tokens(*open(), has(*f, "--all"));
  if (has(*f, "--json")) {
    json::array a;
    for (const auto& t : tokens) a.push_back(to_json(t));
    out << json::serialize(json::object{{"tokens", std::move(a)}}) << "\n";
    return kOk;
  }
  if (tokens.empty()) {
    out << "没有令牌 (no tokens)\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tokens) {
    const std::string where = scope_name(config, t.scope);
    rows.push_back({std::to_string(t.id), t.role, where.empty() ? t.scope : t.scope + " " + where,
                    t.holder, short_time(t.created_at),
                    t.revoked_at ? short_time(*t.revoked_at) : "-"});
  }
  print_table(out, {"ID", "ROLE", "SCOPE", "HOLDER", "CREATED", "REVOKED"}, rows);
  return kOk;
}

int revoke(const std::vector<std::string>& args, const Clock& clock, const OpenSession& open,
           std::ostream& out, std::ostream& err) {
  if (args.size() != 2) return usage(err, "revoke 需要一个令牌编号 (revoke needs one token ID)");
  long long id = 0;
  auto [end, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), id);
  if (ec != std::errc{} || end != args[1].data() + args[1].size() || id <= 0) {
    return usage(err, "“" + args[1] + "”不是有效的令牌编号 (not a token ID)");
  }
  auto session = open();
  soci::session& s = *session;
  WriteTransaction tx(s);
  const auto token = load_api_token(s, id);
  const bool revoked = token && revoke_api_token(s, id, clock.now());
  tx.commit();
  const std::string n = std::to_string(id);
  if (!token) {
    err << "fangfanctl token: 没有编号为 " << n << " 的令牌 (no token " << n << ")\n";
    return kFailed;
  }
  if (!revoked) {
    err << "fangfanctl token: 令牌 " << n << " 已于 " << short_time(*token->revoked_at)
        << " 吊销 (token " << n << " was already revoked)\n";
    return kFailed;
  }
  out << "令牌 " << n << "（" << token->holder << "）已吊销 (token " << n << " revoked)\n";
  return kOk;
}

}  // namespace

int run_token_command(const std::vector<std::string>& args, const Config& config,
                      const Clock& clock, std::ostream& out, std::ostream& err) {
  if (args.empty()) return usage(err, "缺少子命令 (missing subcommand)");
  const std::string& cmd = args[0];
  if (cmd == "help" || cmd == "--help") {
    out << kUsageText;
    return kOk;
  }
  if (cmd != "create" && cmd != "list" && cmd != "revoke") {
    return usage(err, "不认识的子命令“" + cmd + "” (unknown subcommand)");
  }
  try {
    // Opened only once the arguments are known to be good: a typo creates no database.
    const OpenSession open = [&config, &clock] {
      const Database db = Database::open(config.storage_url);
      migrate(db, clock.now());
      return db.open_session();
    };
    if (cmd == "create") return create(args, config, clock, open, out, err);
    if (cmd == "list") return list(args, config, open, out, err);
    return revoke(args, clock, open, out, err);
  } catch (const StorageError& e) {
    err << "fangfanctl token: " << e.what() << "\n";
    return kFailed;
  } catch (const std::runtime_error& e) {
    err << "fangfanctl token: " << e.what() << "\n";
    return kFailed;
  }
}

}  // namespace fangfan
