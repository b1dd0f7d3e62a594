// Internal to adapters/scheduler: what a firing batch reads, loaded before it fires (issue 15).
//
// Why: firing a duty's timer reads its duty, its case's data and every duty of that case; one
// query each per timer was a round trip each on PostgreSQL and most of the firing's reads on
// SQLite. preload_firing() reads them for the whole batch in one query each (duties by id, cases
// by id, the cases' duties), before the first timer fires.
// Only what the firings need: a case's duties only for a case whose month closes in the batch
// (reads_case_duties below: the one decision that looks at them), not the ~26 of every case;
// a case's data through the decoded-case memo (adapters/storage/decoded_cases.h), so a case
// decoded since it was last written is not parsed again, else only the fields a firing reads
// (adapters/storage/firing_cases.h); ids a chunk per kept statement (adapters/storage/id_chunks.h).
//
// Staying right while the batch writes: a timer's firing writes its case's duties and timers
// (closes, opens, follow-ups), which a later timer of the same case must see. So an entry is
// used only while nothing in the batch has touched its case: after a timer fires with follow-up
// work (or fails and is rolled back), its case is marked touched and its later timers read
// afresh, one query each, as before. A firing that only sends (or skips) writes neither the
// duty nor the case: it puts back what it took (untouched()). A timer that is not a case duty's (a
// feed, list or report period, the yearly evaluation, a duty without a case) may write anywhere: it
// drops the whole preload. Thread-safety: one batch, one thread.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "adapters/storage/timer_store.h"
#include "workflows/case_records.h"
#include "workflows/duties.h"
#include "workflows/timer_payload.h"

namespace fangfan::scheduler_detail {

// A timer's payload decoded once: the payload, or why it cannot be read.
using DecodedPayload = std::variant<TimerPayload, std::string>;

// Whether the decision on `notice` (rung `rung`) of `duty` reads the case's duties: only a
// month's due time does (workflows/timer_notice.h decide_duty_timer opens the next month, which
// must not exist yet); every other firing reads the duty and the case's data alone.
bool reads_case_duties(const DutyRecord& duty, const DutyNotice& notice, int rung);

class FiringPreload {
 public:
  // Decodes the timers' payloads (each timer reads its own duty and case until read()).
  explicit FiringPreload(const std::vector<TimerRecord>& timers);
  // Reads the timers' duties, those duties' cases and every duty of those cases, one query
  // each. Throws StorageError (as the single reads would); then nothing is kept.
  void read(soci::session& session);

  // The payload of the batch's timer `index`, decoded once.
  const DecodedPayload& payload(std::size_t index) const { return payloads_[index]; }

  // The duty, while its case is untouched in this batch; nullptr: read it afresh.
  // The case's data and its duties (the latter only where reads_case_duties), while untouched;
  // nullptr: read them afresh. A preloaded
  // case that does not exist is answered as the single read would (nullopt). The firing that
  // asks may move them out: it marks the case touched, so they are not answered again.
  DutyRecord* duty(std::int64_t duty_id);
  std::optional<CaseData>* case_data(std::int64_t case_id);
  std::vector<DutyRecord>* case_duties(std::int64_t case_id);

  // After a timer fired or failed: its case's entries are not to be used any more.
  void touched(std::int64_t case_id) { touched_.insert(case_id); }
  // A firing that wrote nothing of its case put back what it took (its duty, the case's data):
  // they are used again. REQUIRES: the case was untouched before that firing took them.
  void untouched(std::int64_t case_id) { touched_.erase(case_id); }
  // After a timer that may write any case: nothing preloaded is used any more.
  void drop() { dropped_ = true; }

 private:
  std::vector<DecodedPayload> payloads_;
  std::vector<int> rungs_;
  std::unordered_map<std::int64_t, DutyRecord> duties_;
  std::unordered_map<std::int64_t, std::optional<CaseData>> cases_;
  std::unordered_map<std::int64_t, std::vector<DutyRecord>> case_duties_;
  std::unordered_set<std::int64_t> touched_;
  bool dropped_ = false;
};

}  // namespace fangfan::scheduler_detail
