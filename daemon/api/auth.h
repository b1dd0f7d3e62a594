// Access control of the HTTP API: bearer tokens, roles and scopes.
//
// Every route but /healthz needs `Authorization: Bearer <token>`. The token is
// hashed and looked up in the api_tokens table (adapters/storage/token_store.h)
// on each request, so a revocation takes effect at once. No token, an unknown
// one or a revoked one is a 401. The route's Access rule (router.h) then checks
// the role (auditors never write) — a 403 — and the handler checks the scope of
// what it touches with require_scope() before touching anything — a 403 too.
//
// Roles a token may carry: county_admin, county_office, township_clerk,
// village_officer, assistance_officer, department_clerk, auditor (read-only).
// Which of them may post which case event is case_access.h. The scope is a place
// code of the configuration: county (6 digits), township (9) or village (12);
// village codes begin with their township's code, township codes with the
// county's, and a scope covers itself and every place below it.
//
// The one exception to "looked up on each request" is the case-event route (the hot write):
// its callers may come from VerifiedCallers below, a memory of tokens verified at the database,
// and the route's write then confirms the token inside its own transaction
// (token_store.h api_token_in_force), so a write never commits for a revoked token. Any answer
// such a request would give without that confirmation (a refusal before the write, a 404, an
// error) waits for a check at the database first: a revoked token only ever gets its 401.
//
// Thread-safety: the free functions are pure; authenticate() runs on the loop
// thread and does its database work on the StorageExecutor. VerifiedCallers: the loop
// thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "adapters/config/config.h"
#include "daemon/api/api_context.h"

namespace fangfan {

class StorageExecutor;

// True for the seven roles above.
bool is_token_role(Role role);
// "county_admin, county_office, township_clerk, village_officer, assistance_officer,
// department_clerk, auditor"
std::string token_role_names();
// Auditors read only.
bool role_may_write(Role role);

// Does a token scoped to `token_scope` cover the place `place_code` (a household's
// village, a township filter, ...)? False when token_scope is not a place of `config`.
bool scope_covers(const Config& config, std::string_view token_scope, std::string_view place_code);

// A [[departments]] code of `config`.
bool is_department_code(const Config& config, std::string_view code);

// Whether a token for `role` may be given scope `scope`: county_admin and
// county_office need the county; department_clerk the county or a department code
// (then it sees that department's feeds and alerts only, and no household); township_clerk a
// township; village_officer a village; assistance_officer a township or village; auditor any place.
// Returns the problem as a sentence naming the valid choices, or nullopt when the grant is fine.
std::optional<std::string> check_token_grant(const Config& config, Role role,
                                             std::string_view scope);

// The token in an `Authorization: Bearer <token>` header value (scheme
// case-insensitive); nullopt when the header is not of that form.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// Finds the caller of a request from its Authorization header value. Throws
// ApiError: 401 for a missing, malformed, unknown or revoked token; 403 when the
// token's scope is no longer a place of `config` (e.g. after a reload).
// StorageError propagates (the request handler answers 503/500).
boost::asio::awaitable<Principal> authenticate(StorageExecutor& storage, const Config& config,
                                               std::string authorization);

// authenticate() in its two halves. The hash of the token in an Authorization header value
// (token_store.h hash_token_secret); ApiError 401 for a missing or malformed header.
std::string caller_token_hash(std::string_view authorization);
// The caller holding the token whose secret hashes to `hash`, looked up at the database; the
// errors of authenticate().
boost::asio::awaitable<Principal> verify_caller(StorageExecutor& storage, const Config& config,
                                                std::string hash);

// Callers verified at the database, by token hash, for ONE configuration (the scope check of
// verify_caller() depends on it): a lookup under another configuration forgets them all. At
// most kMaxCallers are kept; a full memory starts afresh. A remembered caller is a claim to be
// confirmed (see the top of this file), never an authorization on its own.
class VerifiedCallers {
 public:
  static constexpr std::size_t kMaxCallers = 4096;

  const Principal* find(const std::shared_ptr<const Config>& config, const std::string& hash);
  void remember(const std::shared_ptr<const Config>& config, const std::string& hash,
                const Principal& caller);
  void forget(const std::string& hash) { callers_.erase(hash); }

 private:
  std::shared_ptr<const Config> config_;
  std::unordered_map<std::string, Principal> callers_;
};

// For handlers: a 403 unless the caller's scope covers `place_code`. Call it
// before any write, so a refused request touches nothing.
void require_scope(const ApiRequest& req, std::string_view place_code);
// For handlers with rules finer than the route's: a 403 unless the caller has one of `roles`.
void require_role(const ApiRequest& req, std::initializer_list<Role> roles);

}  // namespace fangfan
