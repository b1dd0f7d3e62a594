// [storage] outbox_lease_seconds (issue 15, several daemons on one PostgreSQL): the default, a
// value that loads, and every wrong value an error naming its key. That the daemon hands it to
// the outbox dispatcher's claims is daemon/service.cpp (share_database).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapters/config/config.h"

namespace fangfan {
namespace {

namespace fs = std::filesystem;

const fs::path kConfigDir = fs::path(FANGFAN_SOURCE_DIR) / "config";
const std::string kSqliteUrl = "url = \"sqlite3://state/fangfan.db\"";
const std::string kPostgresqlUrl = "url = \"postgresql://fangfan:secret@db.example:5432/fangfan\"";

// The example configuration with its url replaced by `url` and `storage` added to [storage],
// `http` as its [channels.http] table.
std::string example(const std::string& url, const std::string& storage, const std::string& http) {
  std::ifstream in(kConfigDir / "example.toml");
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  const std::size_t at = text.find(kSqliteUrl);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, kSqliteUrl.size(), url + "\n" + storage);
  if (!http.empty()) text += "\n[channels.http]\n" + http + "\n";
  return text;
}

struct LeaseCase {
  const char* name;
  std::string url, storage, http;
  long long lease;    // when it loads
  const char* error;  // else: the one error expected, "" when it loads
};

TEST(ConfigLease, OutboxLeaseSecondsIsReadAndChecked) {
  const std::vector<LeaseCase> cases = {
      {"default", kPostgresqlUrl, "", "", 300, ""},
      {"default on sqlite", kSqliteUrl, "", "", 300, ""},
      {"set", kPostgresqlUrl, "outbox_lease_seconds = 600", "", 600, ""},
      {"lowest", kPostgresqlUrl, "outbox_lease_seconds = 30", "", 30, ""},
      {"too short", kPostgresqlUrl, "outbox_lease_seconds = 29", "", 0,
       "storage.outbox_lease_seconds: must be from 30 to 86400 seconds, got 29"},
      {"too long", kPostgresqlUrl, "outbox_lease_seconds = 86401", "", 0,
       "storage.outbox_lease_seconds: must be from 30 to 86400 seconds, got 86401"},
      {"not a number", kPostgresqlUrl, "outbox_lease_seconds = \"5m\"", "", 0,
       "storage.outbox_lease_seconds: must be a whole number, got a string"},
      {"not above twice the HTTP timeout", kPostgresqlUrl, "outbox_lease_seconds = 60",
       "timeout_seconds = 30", 0,
       "storage.outbox_lease_seconds: [storage] outbox_lease_seconds (60) must be more than twice "
       "[channels.http] timeout_seconds (30): a message on the wire renews no lease and would be "
       "sent again by another daemon"},
      {"above twice the HTTP timeout", kPostgresqlUrl, "outbox_lease_seconds = 61",
       "timeout_seconds = 30", 61, ""},
      {"a long HTTP timeout under the default lease", kPostgresqlUrl, "", "timeout_seconds = 150",
       0,
       "channels.http.timeout_seconds: [storage] outbox_lease_seconds (300) must be more than "
       "twice [channels.http] timeout_seconds (150): a message on the wire renews no lease and "
       "would be sent again by another daemon"},
      {"a long HTTP timeout on sqlite", kSqliteUrl, "", "timeout_seconds = 150", 300, ""},
      {"no lease on sqlite", kSqliteUrl, "outbox_lease_seconds = 600", "", 0,
       "storage.outbox_lease_seconds: only for a postgresql:// url: one daemon per SQLite file "
       "holds no lease"},
  };
  for (const auto& c : cases) {
    auto r = load_config_text(example(c.url, c.storage, c.http), kConfigDir / "x.toml",
                              {.read_secrets = false});
    if (std::string(c.error).empty()) {
      if (const auto* errors = std::get_if<std::vector<ConfigError>>(&r)) {
        for (const ConfigError& e : *errors) ADD_FAILURE() << c.name << ": " << e.to_string();
        continue;
      }
      EXPECT_EQ(std::get<std::shared_ptr<const Config>>(r)->outbox_lease.count(), c.lease)
          << c.name;
    } else {
      const auto* errors = std::get_if<std::vector<ConfigError>>(&r);
      ASSERT_NE(errors, nullptr) << c.name;
      ASSERT_EQ(errors->size(), 1u) << c.name << ": " << errors->front().to_string();
      EXPECT_EQ(errors->front().key + ": " + errors->front().message, c.error) << c.name;
    }
  }
}

}  // namespace
}  // namespace fangfan
