// Who receives a notice, from the people, roles and scopes of the configuration (config.h).
#include <optional>
#include <set>

#include "adapters/config/config.h"

namespace fangfan {
namespace {

bool covers(const Config& config, const Person& p, const std::string& township,
            const std::string& village) {
  return p.scope == config.county.code || (!township.empty() && p.scope == township) ||
         (!village.empty() && p.scope == village);
}

}  // namespace

std::vector<const Person*> notice_recipients(const Config& config,
                                             const std::vector<std::string>& roles,
                                             const std::string& township,
                                             const std::string& village,
                                             const std::string& officer) {
  std::vector<const Person*> out;
  std::set<std::pair<std::string, std::string>> seen;
  auto add = [&](const Person& p) {
    if (seen.insert({p.name, p.scope}).second) out.push_back(&p);
  };
  auto by_role = [&](Role role, const std::string& name) {
    bool any = false;
    for (const Person& p : config.people) {
      if (p.role == role && covers(config, p, township, village) &&
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

std::vector<const Person*> notice_recipients_or_fallback(const Config& config,
                                                         const std::vector<std::string>& roles,
                                                         const std::string& township,
                                                         const std::string& village,
                                                         const std::string& officer) {
  std::vector<const Person*> people = notice_recipients(config, roles, township, village, officer);
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

}  // namespace fangfan
