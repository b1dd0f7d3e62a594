// Who receives a notice, from the people, roles and scopes of the configuration (config.h),
// and which scope each role may have.
#include <algorithm>
#include <optional>
#include <set>

#include "adapters/config/config.h"
#include "adapters/config/config_reader.h"

namespace fangfan {
namespace {

bool covers(const Config& config, const Person& p, const std::string& township,
            const std::string& village, const std::string& department) {
  return p.scope == config.county.code || (!township.empty() && p.scope == township) ||
         (!village.empty() && p.scope == village) || (!department.empty() && p.scope == department);
}

}  // namespace

std::vector<const Person*> notice_recipients(const Config& config,
                                             const std::vector<std::string>& roles,
                                             const std::string& township,
                                             const std::string& village, const std::string& officer,
                                             const std::string& department) {
  std::vector<const Person*> out;
  std::set<std::pair<std::string, std::string>> seen;
  auto add = [&](const Person& p) {
    if (seen.insert({p.name, p.scope}).second) out.push_back(&p);
  };
  auto by_role = [&](Role role, const std::string& name) {
    bool any = false;
    for (const Person& p : config.people) {
      if (p.role == role && covers(config, p, township, village, department) &&
          (name.empty() || p.name == name)) {
        add(p);
        any = true;
      }
    }
    return any;
  };
  for (const std::string& name : roles) {
    std::optional<Role> role = parse_role(name);
    if (!role) continue;
    if (*role == Role::kAssistanceOfficer) {
      // The case's officer by name; without one (or unknown), the village officers.
      if (!officer.empty() && by_role(Role::kAssistanceOfficer, officer)) continue;
      if (!village.empty()) by_role(Role::kVillageOfficer, "");
      continue;
    }
    by_role(*role, "");
  }
  return out;
}

std::vector<const Person*> notice_recipients_or_fallback(
    const Config& config, const std::vector<std::string>& roles, const std::string& township,
    const std::string& village, const std::string& officer, const std::string& department) {
  std::vector<const Person*> people =
      notice_recipients(config, roles, township, village, officer, department);
  for (const char* fallback : {"township_head", "county_admin"}) {
    if (!people.empty()) break;
    people = notice_recipients(config, {fallback}, township, village, "");
  }
  return people;
}

std::string place_name(const Config& config, const std::string& code) {
  if (const Village* v = config.find_village(code)) return v->name;
  if (const Township* t = config.find_township(code)) return t->name;
  return code;
}

namespace config_detail {

std::optional<std::string> person_scope_problem(const Config& c, const Person& p) {
  const std::string role = role_name(p.role);
  if (p.scope.empty()) {
    return "must not be empty: an empty scope is a prefix of every code, so " + role +
           " would receive the notices of every household";
  }
  const auto level = c.scope_level(p.scope);
  const bool department = std::any_of(c.departments.begin(), c.departments.end(),
                                      [&](const Department& d) { return d.code == p.scope; });
  if (!level && !department) {
    return "'" + p.scope +
           "' is neither this county, a defined township or village, nor a department";
  }
  auto need = [&](bool ok, const std::string& what) -> std::optional<std::string> {
    if (ok) return std::nullopt;
    return "role " + role + " needs " + what + " as its scope, got '" + p.scope + "'";
  };
  const bool county = level == ScopeLevel::kCounty;
  const bool township = level == ScopeLevel::kTownship;
  const bool village = level == ScopeLevel::kVillage;
  switch (p.role) {
    case Role::kCountyAdmin:
    case Role::kCountyOffice:
      return need(county, "the county code " + c.county.code);
    case Role::kTownshipHead:
    case Role::kTownshipClerk:
      return need(township, "the code of a township of [[townships]]");
    case Role::kVillageOfficer:
      return need(village, "the code of a village of [[villages]]");
    case Role::kAssistanceOfficer:
      // 驻村第一书记 serve one village, 包村干部 may serve a whole township.
      return need(township || village, "the code of a township or village");
    case Role::kDepartmentClerk:
      return need(department || county, "a department code of [[departments]] or the county code");
    case Role::kAuditor:
      return need(bool(level), "the code of the county, a township or a village");
  }
  return std::nullopt;
}

}  // namespace config_detail

const WechatRobotGroup* find_robot_group(const WechatRobotConfig& config,
                                         std::string_view recipient) {
  for (const auto& g : config.groups) {
    if (g.name == recipient) return &g;
  }
  const size_t at = recipient.rfind('@');
  if (at == std::string_view::npos) return nullptr;
  const std::string_view scope = recipient.substr(at + 1);
  for (const auto& g : config.groups) {
    if (!g.scope.empty() && g.scope == scope) return &g;
  }
  return nullptr;
}

}  // namespace fangfan
