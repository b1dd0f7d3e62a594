// Internal to adapters/storage: statements over a list of row ids ("WHERE id IN (...)") kept
// prepared per session (prepared.h) with a fixed number of bound ids, for the batch reads and the
// batch mark of timer firing (issue 15).
//
// Why: writing the ids into the text (id_list.h) made a new statement for every batch, and its
// preparing was a few percent of a firing batch's CPU on SQLite. Here a statement holds
// kIdsPerChunk bound ids; a list runs in chunks of that many, the last one padded with its last
// id again (an id twice in an IN list matches its row once, on both backends), so one statement
// text serves every list.
//
// A query type Q binds its other values, then `ids` (IdChunk::bind), and builds its text with
// id_params(). Errors: soci_error (callers wrap it in guarded()). Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/storage/prepared.h"
#include "adapters/storage/row_fetch.h"

namespace fangfan::storage_detail {

inline constexpr std::size_t kIdsPerChunk = 64;

// ":i0, :i1, ..., :i63": the IN list of a chunk's statement.
inline std::string id_params() {
  std::string out;
  out.reserve(kIdsPerChunk * 6);
  for (std::size_t i = 0; i < kIdsPerChunk; ++i) {
    if (i != 0) out += ", ";
    out += ":i" + std::to_string(i);
  }
  return out;
}

// The ids one run of a chunk's statement binds.
struct IdChunk {
  std::array<long long, kIdsPerChunk> ids{};
  void bind(Prepared& p) {
    for (long long& id : ids) p, soci::use(id);
  }
  // Takes ids[from...] up to a chunk, padded with the last one taken; returns how many it took.
  // REQUIRES: from < all.size().
  std::size_t fill(const std::vector<std::int64_t>& all, std::size_t from) {
    const std::size_t n = std::min(kIdsPerChunk, all.size() - from);
    for (std::size_t i = 0; i < kIdsPerChunk; ++i) ids[i] = all[from + std::min(i, n - 1)];
    return n;
  }
};

// `ids` in ascending order without repeats: a list read chunk by chunk then comes back in the
// order its statement sorts each chunk in.
inline std::vector<std::int64_t> sorted_unique(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Runs Q once per chunk of `ids` (Q holds an IdChunk `chunk` and a row type `row`), and gives
// each row read to `take` (the bound row, whose buffers the next fetch overwrites).
template <class Q, class Take>
void for_each_row(soci::session& session, const std::vector<std::int64_t>& ids, Take&& take) {
  if (ids.empty()) return;
  Kept<Q> q(session);
  for (std::size_t from = 0; from < ids.size();) {
    from += q->chunk.fill(ids, from);
    for (bool more = q.execute(); more; more = q.fetch()) take(q->row);
  }
}

// Runs the statement Q (an UPDATE holding an IdChunk `chunk`) once per chunk of `ids`; returns
// the rows it changed, in all.
template <class Q>
long long update_each_chunk(Kept<Q>& q, const std::vector<std::int64_t>& ids) {
  long long changed = 0;
  for (std::size_t from = 0; from < ids.size();) {
    from += q->chunk.fill(ids, from);
    q.execute();
    changed += q.affected_rows();
  }
  return changed;
}

}  // namespace fangfan::storage_detail
