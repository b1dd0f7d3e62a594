// API token store: one conformance suite, run on SQLite and on PostgreSQL (a throwaway server,
// tests/support/pg_server.h), each test on a fresh, migrated database. Like the storage suite,
// CMake compiles this file once per backend (FANGFAN_STORAGE_TEST_SQLITE=1 or
// FANGFAN_STORAGE_TEST_POSTGRESQL=1) so only the PostgreSQL binary needs the server fixture.
#include "adapters/storage/token_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "adapters/storage/database.h"
#include "adapters/storage/migrations.h"
#include "tests/support/test_database.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::Backend;

TimePoint t0() { return china_time(Date{std::chrono::year(2025) / std::chrono::March / 3}, 9h); }

class TokenStore : public test::DatabaseTest {
 protected:
  void SetUp() override { open_database("token", t0()); }

  CreatedApiToken make(const std::string& role, const std::string& scope, const std::string& holder,
                       TimePoint at = t0()) {
    return create_api_token(s(), {role, scope, holder, at});
  }
};

TEST_P(TokenStore, Create_ReturnsAFreshSecretAndStoresOnlyItsHash) {
  const CreatedApiToken a = make("county_admin", "379901", "周建国");
  const CreatedApiToken b = make("township_clerk", "379901001", "李娜");
  for (const auto* t : {&a, &b}) {
    EXPECT_EQ(t->secret.rfind("fft_", 0), 0u) << t->secret;
    EXPECT_EQ(t->secret.size(), 4u + 64u);
    EXPECT_EQ(t->secret.find_first_not_of("0123456789abcdef", 4), std::string::npos);
  }
  EXPECT_NE(a.secret, b.secret);
  EXPECT_LT(a.record.id, b.record.id);

  // The table holds the SHA-256 of the secret and nothing that contains the secret itself.
  soci::rowset<soci::row> rows = (s().prepare << "SELECT token_hash, role, scope, holder"
                                                 " FROM api_tokens ORDER BY id");
  std::vector<std::string> hashes;
  for (const soci::row& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string value = row.get<std::string>(i);
      EXPECT_EQ(value.find(a.secret.substr(4)), std::string::npos);
      EXPECT_EQ(value.find(b.secret.substr(4)), std::string::npos);
    }
    hashes.push_back(row.get<std::string>(0));
  }
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(hashes[0], hash_token_secret(a.secret));
  EXPECT_EQ(hashes[1], hash_token_secret(b.secret));
}

TEST_P(TokenStore, FindByHash_KnowsTheTokenAndNothingElse) {
  const CreatedApiToken a = make("village_officer", "379901001001", "王秀英", t0() + 5min);
  auto found = find_api_token_by_hash(s(), hash_token_secret(a.secret));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, a.record.id);
  EXPECT_EQ(found->role, "village_officer");
  EXPECT_EQ(found->scope, "379901001001");
  EXPECT_EQ(found->holder, "王秀英");
  EXPECT_EQ(found->created_at, t0() + 5min);
  EXPECT_FALSE(found->revoked());

  EXPECT_FALSE(find_api_token_by_hash(s(), hash_token_secret(a.secret + "x")));
  EXPECT_FALSE(find_api_token_by_hash(s(), hash_token_secret("")));
  // The secret itself is not a key: only its hash is.
  EXPECT_FALSE(find_api_token_by_hash(s(), a.secret));
}

TEST_P(TokenStore, Revoke_OnceKeepsTheFirstTimeAndTheRowStays) {
  const CreatedApiToken a = make("auditor", "379901", "审计员");
  const CreatedApiToken b = make("county_office", "379901", "县局");
  EXPECT_TRUE(revoke_api_token(s(), a.record.id, t0() + 1h));
  EXPECT_FALSE(revoke_api_token(s(), a.record.id, t0() + 2h));  // already revoked
  EXPECT_FALSE(revoke_api_token(s(), 999999, t0() + 2h));       // no such token

  auto found = find_api_token_by_hash(s(), hash_token_secret(a.secret));
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->revoked_at);
  EXPECT_EQ(*found->revoked_at, t0() + 1h);
  auto loaded = load_api_token(s(), a.record.id);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->revoked_at, found->revoked_at);
  EXPECT_FALSE(load_api_token(s(), 999999));

  const auto active = list_api_tokens(s(), false);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].id, b.record.id);
  const auto all = list_api_tokens(s(), true);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, a.record.id);  // oldest first
  EXPECT_TRUE(all[0].revoked());
  EXPECT_FALSE(all[1].revoked());
}

TEST_P(TokenStore, InForce_OnlyAnUnrevokedTokenAndARevocationWaitsForTheWritesCommit) {
  const CreatedApiToken a = make("township_clerk", "379901001", "李娜");
  const CreatedApiToken b = make("auditor", "379901", "审计员");
  ASSERT_TRUE(revoke_api_token(s(), b.record.id, t0() + 1h));
  EXPECT_FALSE(api_token_in_force(s(), b.record.id));
  EXPECT_FALSE(api_token_in_force(s(), 999999));

  // A write confirms its token (FOR SHARE on PostgreSQL, the write lock on SQLite): a revocation
  // from another session lands only after that write's commit, never between the two.
  std::atomic<bool> revoked{false};
  std::thread revoker;
  {
    WriteTransaction tx(s());
    ASSERT_TRUE(api_token_in_force(s(), a.record.id));
    revoker = std::thread([&] {
      auto other = db_->open_session();
      revoked = revoke_api_token(*other, a.record.id, t0() + 2h);
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(revoked.load()) << "the revocation did not wait for the confirming write";
    ASSERT_TRUE(api_token_in_force(s(), a.record.id));  // still in force inside the write
    tx.commit();
  }
  revoker.join();
  EXPECT_TRUE(revoked.load());
  EXPECT_FALSE(api_token_in_force(s(), a.record.id));
}

TEST_P(TokenStore, ManySecretsAreAllDistinct) {
  std::set<std::string> secrets;
  for (int i = 0; i < 200; ++i) secrets.insert(generate_token_secret());
  EXPECT_EQ(secrets.size(), 200u);
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgresql";
}

#if !defined(FANGFAN_STORAGE_TEST_SQLITE) && !defined(FANGFAN_STORAGE_TEST_POSTGRESQL)
#define FANGFAN_STORAGE_TEST_SQLITE 1
#define FANGFAN_STORAGE_TEST_POSTGRESQL 1
#endif
#ifndef FANGFAN_STORAGE_TEST_SQLITE
#define FANGFAN_STORAGE_TEST_SQLITE 0
#endif
#ifndef FANGFAN_STORAGE_TEST_POSTGRESQL
#define FANGFAN_STORAGE_TEST_POSTGRESQL 0
#endif

#if FANGFAN_STORAGE_TEST_SQLITE && FANGFAN_STORAGE_TEST_POSTGRESQL
INSTANTIATE_TEST_SUITE_P(Backends, TokenStore,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgresql), backend_name);
#elif FANGFAN_STORAGE_TEST_SQLITE
INSTANTIATE_TEST_SUITE_P(Backends, TokenStore, ::testing::Values(Backend::kSqlite), backend_name);
#else
INSTANTIATE_TEST_SUITE_P(Backends, TokenStore, ::testing::Values(Backend::kPostgresql),
                         backend_name);
#endif

#if FANGFAN_STORAGE_TEST_SQLITE
// Backend-independent: the hash is SHA-256 in lowercase hex (FIPS 180-2 test vectors).
TEST(TokenHash, IsSha256InLowercaseHex) {
  EXPECT_EQ(hash_token_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_token_secret(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
#endif

}  // namespace
}  // namespace fangfan
