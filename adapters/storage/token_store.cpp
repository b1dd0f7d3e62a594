#include "adapters/storage/token_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "adapters/storage/database.h"
#include "adapters/storage/epoch.h"
#include "adapters/storage/prepared.h"

namespace fangfan {
namespace {

using soci::into;
using soci::use;
using Prepared = soci::details::prepare_temp_type;

constexpr std::string_view kSecretPrefix = "fft_";

constexpr const char* kColumns =
    "SELECT id, role, scope, holder, created_at, revoked_at FROM api_tokens ";

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

struct TokenRow {
  long long id = 0, created_at = 0, revoked_at = 0;
  soci::indicator revoked_ind = soci::i_null;
  std::string role, scope, holder;

  void bind(Prepared& p) {
    p, into(id), into(role), into(scope), into(holder), into(created_at),
        into(revoked_at, revoked_ind);
  }
  ApiTokenRecord record() const {
    ApiTokenRecord r;
    r.id = id;
    r.role = role;
    r.scope = scope;
    r.holder = holder;
    r.created_at = from_epoch(created_at);
    if (revoked_ind == soci::i_ok) r.revoked_at = from_epoch(revoked_at);
    return r;
  }
};

// Every API request looks its token up: kept prepared (prepared.h).
struct TokenByHash {
  TokenRow row;
  std::string hash;
  static std::string sql() { return std::string(kColumns) + "WHERE token_hash = :hash"; }
  void bind(Prepared& p) {
    row.bind(p);
    p, use(hash);
  }
};

// A write's confirmation that its caller's token is still in force (api_token_in_force): the
// row locked FOR SHARE on PostgreSQL, so a revocation waits for the write's commit; SQLite's
// write transaction already holds the one write lock.
struct TokenInForce {
  long long id = 0, found = 0;
  static std::string sql() {
    return "SELECT id FROM api_tokens WHERE id = :id AND revoked_at IS NULL";
  }
  void bind(Prepared& p) { p, into(found), use(id); }
};
struct TokenInForceLocked : TokenInForce {
  static std::string sql() { return TokenInForce::sql() + " FOR SHARE"; }
};

template <class Q>
bool token_in_force(soci::session& session, std::int64_t id) {
  storage_detail::Kept<Q> q(session);
  q->id = id;
  return q.execute();
}

std::optional<ApiTokenRecord> fetch_one(Prepared& p, TokenRow& row) {
  soci::statement st(p);
  if (!st.execute(true)) return std::nullopt;
  return row.record();
}

}  // namespace

std::string generate_token_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error(
        "系统随机数不可用，无法生成令牌 (the system's random generator failed; no token made)");
  }
  return std::string(kSecretPrefix) + hex(bytes.data(), bytes.size());
}

std::string hash_token_secret(std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return hex(digest.data(), size);
}

CreatedApiToken create_api_token(soci::session& session, const NewApiToken& token) {
  CreatedApiToken created;
  created.secret = generate_token_secret();
  const std::string hash = hash_token_secret(created.secret);
  guarded("保存 API 令牌失败 (saving the API token failed)", [&] {
    const long long at = to_epoch(token.created_at);
    long long id = 0;
    session << "INSERT INTO api_tokens (token_hash, role, scope, holder, created_at)"
               " VALUES (:hash, :role, :scope, :holder, :created_at) RETURNING id",
        use(hash), use(token.role), use(token.scope), use(token.holder), use(at), into(id);
    created.record.id = id;
  });
  created.record.role = token.role;
  created.record.scope = token.scope;
  created.record.holder = token.holder;
  created.record.created_at = token.created_at;
  return created;
}

std::vector<ApiTokenRecord> list_api_tokens(soci::session& session, bool include_revoked) {
  return guarded("读取 API 令牌列表失败 (listing API tokens failed)", [&] {
    TokenRow row;
    Prepared p = (session.prepare << std::string(kColumns) +
                                         (include_revoked ? "" : "WHERE revoked_at IS NULL ") +
                                         "ORDER BY id");
    row.bind(p);
    std::vector<ApiTokenRecord> out;
    soci::statement st(p);
    st.execute();
    while (st.fetch()) out.push_back(row.record());
    return out;
  });
}

std::optional<ApiTokenRecord> load_api_token(soci::session& session, std::int64_t token_id) {
  return guarded("读取 API 令牌 " + std::to_string(token_id) + " 失败 (loading API token " +
                     std::to_string(token_id) + " failed)",
                 [&] {
                   const long long id = token_id;
                   TokenRow row;
                   Prepared p = (session.prepare << std::string(kColumns) + "WHERE id = :id");
                   row.bind(p);
                   p, use(id);
                   return fetch_one(p, row);
                 });
}

std::optional<ApiTokenRecord> find_api_token_by_hash(soci::session& session,
                                                     std::string_view hash) {
  return guarded("查找 API 令牌失败 (looking up an API token failed)", [&] {
    storage_detail::Kept<TokenByHash> q(session);
    q->hash = hash;
    q->row.revoked_ind = soci::i_null;
    return storage_detail::kept_one(q);
  });
}

bool api_token_in_force(soci::session& session, std::int64_t token_id) {
  return guarded("确认 API 令牌失败 (confirming an API token failed)", [&] {
    return dialect_of(session) == Dialect::kPostgresql
               ? token_in_force<TokenInForceLocked>(session, token_id)
               : token_in_force<TokenInForce>(session, token_id);
  });
}

bool revoke_api_token(soci::session& session, std::int64_t token_id, TimePoint now) {
  return guarded("吊销 API 令牌 " + std::to_string(token_id) + " 失败 (revoking API token " +
                     std::to_string(token_id) + " failed)",
                 [&] {
                   const long long id = token_id, at = to_epoch(now);
                   soci::statement st =
                       (session.prepare << "UPDATE api_tokens SET revoked_at = :at"
                                           " WHERE id = :id AND revoked_at IS NULL",
                        use(at), use(id));
                   st.execute(true);
                   return st.get_affected_rows() == 1;
                 });
}

}  // namespace fangfan
