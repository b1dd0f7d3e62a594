// Internal to adapters/storage: a list of row ids as SQL text ("3, 5, 8") for `WHERE id IN (...)`
// in the batch reads of firing (issue 15). Ids are integers, so writing them into the text is
// safe; one statement per batch is parsed, and an IN list is what SQLite and PostgreSQL both
// plan as index lookups (SOCI binds no arrays on SQLite). An empty list gives "NULL" (matches
// nothing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fangfan::storage_detail {

inline std::string id_list(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return "NULL";
  std::string out;
  out.reserve(ids.size() * 8);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) out += ", ";
    out += std::to_string(ids[i]);
  }
  return out;
}

}  // namespace fangfan::storage_detail
