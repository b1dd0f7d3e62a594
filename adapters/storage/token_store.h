// API tokens: the bearer secrets people and scripts present to the HTTP API.
//
// A token is created with a fresh random secret ("fft_" + 64 hex digits, 32
// bytes from OpenSSL's CSPRNG) that is returned once and never stored: the
// table keeps only its SHA-256 (hex), so a copy of the database does not hand
// out working tokens. A request's token is checked by hashing it and looking the
// hash up. Revoking sets revoked_at; the row stays for the audit trail. Tokens
// never expire by themselves.
//
// Role and scope are stored as the configuration's names and codes
// (adapters/config/config.h role_name(), a county/township/village code); this
// store does not interpret them: `fangfanctl token create` validates them
// against the configuration, and the API re-checks them on every request.
//
// Errors: StorageError (database.h). create_api_token() also throws
// std::runtime_error when the system has no randomness to give (never expected).
// Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct ApiTokenRecord {
  std::int64_t id = 0;
  std::string role;    // e.g. "township_clerk"
  std::string scope;   // e.g. "379901001"
  std::string holder;  // the person or script the token was given to
  TimePoint created_at{};
  std::optional<TimePoint> revoked_at;

  bool revoked() const { return revoked_at.has_value(); }
};

struct NewApiToken {
  std::string role;
  std::string scope;
  std::string holder;
  TimePoint created_at{};
};

struct CreatedApiToken {
  ApiTokenRecord record;
  std::string secret;  // shown to the operator once; only its hash is stored
};

// A fresh secret: "fft_" followed by 64 lowercase hex digits (32 random bytes).
std::string generate_token_secret();

// SHA-256 of `secret`, 64 lowercase hex digits: what the table stores and looks up.
std::string hash_token_secret(std::string_view secret);

CreatedApiToken create_api_token(soci::session& session, const NewApiToken& token);

// Every token, oldest first; revoked ones only when `include_revoked`.
std::vector<ApiTokenRecord> list_api_tokens(soci::session& session, bool include_revoked);

std::optional<ApiTokenRecord> load_api_token(soci::session& session, std::int64_t id);

// The token whose secret hashes to `hash`, revoked or not (the caller decides
// what a revoked token means); nullopt when there is none.
std::optional<ApiTokenRecord> find_api_token_by_hash(soci::session& session, std::string_view hash);

// Inside a write's transaction: whether token `id` exists unrevoked, its row then held until
// the commit (FOR SHARE on PostgreSQL; SQLite's write transaction holds the one write lock), so
// a revocation lands either before this read (false) or after the write's commit. Used by the
// API's case-event route for callers taken from its memory (daemon/api/auth.h VerifiedCallers).
bool api_token_in_force(soci::session& session, std::int64_t id);

// Sets revoked_at = now. False when there is no such token or it was already
// revoked (the first revocation time is kept).
bool revoke_api_token(soci::session& session, std::int64_t id, TimePoint now);

}  // namespace fangfan
