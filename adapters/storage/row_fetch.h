// Internal to adapters/storage: reading query results into records. A "row"
// type binds its `into()` targets to a prepared statement (`bind(p)`) and turns
// the current values into a record (`record()`); these helpers run the
// statement and collect the records. Errors surface as soci::soci_error for the
// caller's guarded() to translate.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <vector>

namespace fangfan::storage_detail {

using Prepared = soci::details::prepare_temp_type;

// Runs a prepared SELECT bound to `row` and returns the first row, if any.
template <class Row>
auto fetch_one(Prepared& p, Row& row) -> std::optional<decltype(row.record())> {
  soci::statement st(p);
  if (!st.execute(true)) return std::nullopt;
  return row.record();
}

// Runs a prepared SELECT bound to `row` and returns every row, in order.
template <class Row>
auto fetch_all(Prepared& p, Row& row) -> std::vector<decltype(row.record())> {
  std::vector<decltype(row.record())> out;
  soci::statement st(p);
  st.execute();
  while (st.fetch()) out.push_back(row.record());
  return out;
}

}  // namespace fangfan::storage_detail
