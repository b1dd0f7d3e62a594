#include "adapters/storage/prepared.h"

#include <soci/sqlite3/soci-sqlite3.h>

#include <mutex>

namespace fangfan::storage_detail {
namespace {

// session -> its cache. An entry lives exactly as long as the cache it points to.
struct Registry {
  std::mutex mutex;
  std::unordered_map<const soci::session*, StatementCache*> caches;
};

// Never destroyed: a session that outlives static destruction (a static or thread-local one)
// still unregisters safely.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

// Owns the cache from inside the session: SOCI deletes the session's query transformation
// before its backend, so the kept statements are finalized while the connection is still open.
class Owner {
 public:
  Owner(const soci::session* session, QueryFilter filter) : state_(std::make_shared<State>()) {
    state_->session = session;
    state_->cache = std::make_unique<StatementCache>(std::move(filter));
    std::lock_guard lock(registry().mutex);
    registry().caches[session] = state_->cache.get();
  }
  std::string operator()(const std::string& query) const {
    const QueryFilter& filter = state_->cache->filter();
    return filter ? filter(query) : query;
  }

 private:
  struct State {
    const soci::session* session = nullptr;
    std::unique_ptr<StatementCache> cache;
    ~State() {
      {
        std::lock_guard lock(registry().mutex);
        auto it = registry().caches.find(session);
        if (it != registry().caches.end() && it->second == cache.get()) registry().caches.erase(it);
      }
      cache.reset();
    }
  };
  std::shared_ptr<State> state_;  // copies of the Owner (SOCI copies the callback) share it
};

}  // namespace

void keep_statements(soci::session& session, QueryFilter filter) {
  session.set_query_transformation(Owner(&session, std::move(filter)));
}

StatementCache* StatementCache::of(soci::session& session) {
  std::lock_guard lock(registry().mutex);
  auto it = registry().caches.find(&session);
  return it == registry().caches.end() ? nullptr : it->second;
}

sqlite_api::sqlite3_stmt* sqlite_statement(soci::statement& statement) {
  return static_cast<soci::sqlite3_statement_backend*>(statement.get_backend())->stmt_;
}

void filter_rerun(soci::session& session, const StatementCache& cache, const std::string& sql) {
  std::string rewritten = cache.filter()(sql);
  if (rewritten == sql) return;
  // Without the cache this text would have been prepared and refused by the database: let the
  // database refuse it (the filter sees it once more, unchanged).
  session << rewritten;
  throw soci::soci_error("a rewritten statement ran: " + rewritten);  // not reached in tests
}

}  // namespace fangfan::storage_detail
