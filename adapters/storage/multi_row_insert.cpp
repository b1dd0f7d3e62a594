#include "adapters/storage/multi_row_insert.h"

#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>

namespace fangfan::storage_detail {

std::string insert_sql(std::string_view table, std::string_view key, std::size_t rows,
                       bool returning) {
  const std::size_t open = table.find('(');
  std::size_t columns = 1;
  for (char c : table.substr(open)) columns += c == ',' ? 1 : 0;
  std::string sql = "INSERT INTO ";
  sql += table;
  sql += " VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < columns; ++c) {
      sql += c == 0 ? ":v" : ", :v";
      sql += std::to_string(r * columns + c);
    }
    sql += ")";
  }
  sql += " ON CONFLICT (";
  sql += key;
  sql += ") DO NOTHING";
  if (returning) {
    sql += " RETURNING id, ";
    sql += key;
  }
  return sql;
}

long long last_insert_rowid(soci::session& session) {
  // From the connection itself: no statement to run.
  auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
  return sqlite_api::sqlite3_last_insert_rowid(backend->conn_);
}

void keys_of_ids(soci::session& session, std::string_view table, std::string_view key,
                 long long first, long long last, KeyIds& out) {
  std::string sql = "SELECT id, ";
  sql += key;
  sql += " FROM ";
  sql += table;
  sql += " WHERE id BETWEEN :first AND :last";
  long long id = 0;
  std::string found;
  soci::statement st = (session.prepare << sql, soci::into(id), soci::into(found), soci::use(first),
                        soci::use(last));
  st.execute();
  while (st.fetch()) out.emplace(found, id);
}

KeyIds ids_of_keys(soci::session& session, std::string_view table, std::string_view key,
                   const std::vector<const std::string*>& keys) {
  KeyIds out;
  for (std::size_t first = 0; first < keys.size(); first += kKeysPerRead) {
    const std::size_t last = std::min(keys.size(), first + kKeysPerRead);
    std::string sql = "SELECT id, ";
    sql += key;
    sql += " FROM ";
    sql += table;
    sql += " WHERE ";
    sql += key;
    sql += " IN (";
    for (std::size_t i = first; i < last; ++i) {
      sql += (i == first ? ":k" : ", :k") + std::to_string(i - first);
    }
    sql += ")";
    long long id = 0;
    std::string found;
    soci::details::prepare_temp_type p =
        (session.prepare << sql, soci::into(id), soci::into(found));
    for (std::size_t i = first; i < last; ++i) p, soci::use(*keys[i]);
    soci::statement st(p);
    st.execute();
    while (st.fetch()) out.emplace(found, id);
  }
  return out;
}

}  // namespace fangfan::storage_detail
