#include "daemon/api/auth.h"

#include <boost/beast/core/string.hpp>

#include "adapters/storage/token_store.h"
#include "daemon/tasks/storage_executor.h"

namespace fangfan {
namespace {

constexpr Role kTokenRoles[] = {
    Role::kCountyAdmin,       Role::kCountyOffice,    Role::kTownshipClerk, Role::kVillageOfficer,
    Role::kAssistanceOfficer, Role::kDepartmentClerk, Role::kAuditor};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string role_list(std::initializer_list<Role> roles) {
  std::string out;
  for (Role r : roles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

}  // namespace

bool is_token_role(Role role) {
  for (Role r : kTokenRoles) {
    if (r == role) return true;
  }
  return false;
}

std::string token_role_names() {
  std::string out;
  for (Role r : kTokenRoles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

bool role_may_write(Role role) { return role != Role::kAuditor; }

bool is_department_code(const Config& config, std::string_view code) {
  for (const Department& d : config.departments) {
    if (d.code == code) return true;
  }
  return false;
}

bool scope_covers(const Config& config, std::string_view token_scope, std::string_view place_code) {
  const auto level = config.scope_level(token_scope);
  if (!level || place_code.empty()) return false;
  if (place_code == token_scope) return true;
  switch (*level) {
    case ScopeLevel::kCounty:
      return starts_with(place_code, token_scope);
    case ScopeLevel::kTownship:
      // A configured village belongs to the township it names; a code the configuration does
      // not know falls back to the code hierarchy.
      if (const Village* v = config.find_village(place_code)) return v->township == token_scope;
      return starts_with(place_code, token_scope);
    case ScopeLevel::kVillage:
      return false;
  }
  return false;
}

std::optional<std::string> check_token_grant(const Config& config, Role role,
                                             std::string_view scope) {
  if (!is_token_role(role)) {
    return "角色 " + std::string(role_name(role)) + " 不能持有 API 令牌，可选：" +
           token_role_names() + " (role " + role_name(role) +
           " cannot hold an API token; choose one of: " + token_role_names() + ")";
  }
  const auto level = config.scope_level(scope);
  // A department clerk may be limited to the department's own feeds and alerts.
  if (!level && role == Role::kDepartmentClerk && is_department_code(config, scope)) {
    return std::nullopt;
  }
  if (!level) {
    return "范围“" + std::string(scope) + "”不是本县、已配置的乡镇或村的代码 (scope '" +
           std::string(scope) +
           "' is not the county, a township or a village of the configuration)";
  }
  auto need = [&](ScopeLevel want, const char* zh, const char* en) -> std::optional<std::string> {
    if (*level == want) return std::nullopt;
    return std::string("角色 ") + role_name(role) + " 的范围必须是" + zh + "代码 (role " +
           role_name(role) + " needs " + en + " code as its scope)";
  };
  switch (role) {
    case Role::kCountyAdmin:
    case Role::kCountyOffice:
    case Role::kDepartmentClerk:
      return need(ScopeLevel::kCounty, "本县", "the county");
    case Role::kTownshipClerk:
      return need(ScopeLevel::kTownship, "乡镇", "a township");
    case Role::kVillageOfficer:
      return need(ScopeLevel::kVillage, "村", "a village");
    case Role::kAssistanceOfficer:
      // 驻村第一书记 serve one village, 包村干部 may serve a whole township.
      if (*level == ScopeLevel::kCounty) {
        return std::string(
            "角色 assistance_officer 的范围必须是乡镇或村代码 (role "
            "assistance_officer needs a township or village code as its scope)");
      }
      return std::nullopt;
    default:
      return std::nullopt;  // auditor: any place
  }
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !boost::beast::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

std::string caller_token_hash(std::string_view authorization) {
  if (authorization.empty()) {
    throw ApiError::unauthorized(
        "需要 API 令牌：请在请求头中加上 Authorization: Bearer <令牌> (an API token is required: "
        "send Authorization: Bearer <token>)");
  }
  const auto token = bearer_token(authorization);
  if (!token) {
    throw ApiError::unauthorized(
        "Authorization 请求头格式不对，应为 Bearer <令牌> (the Authorization header must be "
        "Bearer <token>)");
  }
  return hash_token_secret(*token);
}

boost::asio::awaitable<Principal> authenticate(StorageExecutor& storage, const Config& config,
                                               std::string authorization) {
  std::string hash = caller_token_hash(authorization);
  co_return co_await verify_caller(storage, config, std::move(hash));
}

boost::asio::awaitable<Principal> verify_caller(StorageExecutor& storage, const Config& config,
                                                std::string hash) {
  // The work is a named variable, never a lambda written inside the co_await expression:
  // GCC 12 destroys such a temporary closure twice (its captured string: a double free).
  auto lookup = [hash](soci::session& s) { return find_api_token_by_hash(s, hash); };
  const auto record = co_await storage.run(std::move(lookup));
  if (!record) {
    throw ApiError::unauthorized("API 令牌无效 (the API token is not valid)");
  }
  if (record->revoked()) {
    throw ApiError::unauthorized("API 令牌 " + std::to_string(record->id) +
                                 " 已被吊销 (the API token has been revoked)");
  }
  const auto role = parse_role(record->role);
  if (!role || !is_token_role(*role)) {
    throw ApiError::unauthorized("API 令牌 " + std::to_string(record->id) + " 的角色“" +
                                 record->role + "”无效 (the token's role is not valid)");
  }
  if (!config.scope_level(record->scope) &&
      !(*role == Role::kDepartmentClerk && is_department_code(config, record->scope))) {
    throw ApiError::forbidden("API 令牌 " + std::to_string(record->id) + " 的范围“" +
                              record->scope +
                              "”已不在当前配置中 (the token's scope is no longer a place of the "
                              "configuration)");
  }
  // A named value, not co_return Principal{...}: GCC 12 destroys the members of a braced
  // aggregate in co_return twice.
  Principal caller;
  caller.token_id = record->id;
  caller.role = *role;
  caller.scope = record->scope;
  caller.holder = record->holder;
  co_return caller;
}

const Principal* VerifiedCallers::find(const std::shared_ptr<const Config>& config,
                                       const std::string& hash) {
  if (config != config_) {
    callers_.clear();
    config_ = config;
    return nullptr;
  }
  auto known = callers_.find(hash);
  return known == callers_.end() ? nullptr : &known->second;
}

void VerifiedCallers::remember(const std::shared_ptr<const Config>& config, const std::string& hash,
                               const Principal& caller) {
  if (config != config_ || callers_.size() >= kMaxCallers) {
    callers_.clear();
    config_ = config;
  }
  callers_.insert_or_assign(hash, caller);
}

void require_scope(const ApiRequest& req, std::string_view place_code) {
  const Principal& p = req.actor();
  if (!scope_covers(*req.config, p.scope, place_code)) {
    throw ApiError::forbidden("你的令牌范围 " + p.scope + " 不包括 " + std::string(place_code) +
                              "，未做任何修改 (your token's scope " + p.scope + " does not cover " +
                              std::string(place_code) + "; nothing was changed)");
  }
}

void require_role(const ApiRequest& req, std::initializer_list<Role> roles) {
  const Principal& p = req.actor();
  for (Role r : roles) {
    if (r == p.role) return;
  }
  throw ApiError::forbidden("角色 " + std::string(role_name(p.role)) + " 不能执行此操作，需要：" +
                            role_list(roles) + "，未做任何修改 (role " + role_name(p.role) +
                            " may not do this; it needs one of: " + role_list(roles) +
                            "; nothing was changed)");
}

}  // namespace fangfan
