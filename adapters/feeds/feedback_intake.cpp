// FeedIntake's steps for a feedback feed (a department's answer to its list, feed_intake.h):
// deciding each row (workflows/feedback.h) and applying the measures through the case writer.
#include <spdlog/spdlog.h>

#include "adapters/feeds/feed_intake.h"
#include "adapters/scheduler/feed_duties.h"
#include "adapters/storage/database.h"
#include "adapters/text/text_normal.h"
#include "workflows/refusal_codes.h"

namespace fangfan {

void FeedIntake::match_feedback(const std::map<std::string, StoredMemberMatch>& found) {
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    const FeedRecord& r = batch_[i];
    std::optional<MemberMatch> member;
    if (auto it = found.find(r.values[0]); it != found.end()) {
      const StoredMemberMatch& m = it->second;
      member = MemberMatch{m.household_code, m.village_code, m.township_code,   m.name,
                           m.case_id,        m.case_state,   m.household_income};
      ++report_.counts.rows_matched;
    }
    // The time is the run's start here; finish() records it at its own time.
    FeedbackDecision d = decide_feedback(*source_, *columns_, r, period_, member, started_);
    if (auto* p = std::get_if<FeedbackProblem>(&d)) {
      --report_.counts.rows_accepted;  // counted when the row passed its checks
      keep_bad(r.line, batch_cells_[i], p->field, p->header, p->reason, std::nullopt);
      continue;
    }
    measures_.push_back({r.line, std::move(batch_cells_[i]), std::get<FeedbackMeasure>(d)});
  }
}

void FeedIntake::finish_feedback(soci::session& session, const CaseUnitOfWork& cases,
                                 TimePoint now) {
  const std::int64_t run_id = *report_.run_id;
  auto header_of = [this](const std::string& field) {
    const int i = columns_->field_index(field);
    return i >= 0 ? columns_->headers[static_cast<std::size_t>(i)] : columns_->headers[0];
  };
  for (PendingMeasure& p : measures_) {
    RecordDepartmentMeasure& e = p.measure.event;
    e.meta.at = now;
    CaseEvent event{e};
    normalize_event_text(event);  // the one form of every way in (adapters/text/)
    const ApplyResult r = cases.apply(session, p.measure.case_id, event);
    if (std::holds_alternative<CaseChange>(r)) {
      ++report_.measures_applied;
      continue;
    }
    std::string field = "id_number", reason;
    if (const auto* refusal = std::get_if<Refusal>(&r)) {
      // The same answer taken before (a re-run of the period, or a corrected file): not twice.
      if (refusal->code == refusal::kDepartmentMeasureRecorded) {
        ++report_.measures_already_recorded;
        continue;
      }
      if (columns_->field_index(refusal->field) >= 0) field = refusal->field;
      reason = refusal->message;
    } else if (const auto* stale = std::get_if<StaleVersion>(&r)) {
      reason = stale->message;
    } else {
      reason = std::get<CaseNotFound>(r).message;
    }
    --report_.counts.rows_accepted;
    keep_bad(p.line, p.cells, field, header_of(field), reason, std::nullopt);
  }
  flush_bad(session);
  WriteTransaction tx(session);
  finish_feed_run(session, run_id, report_.counts, now);
  if (options_.trigger != "fix") mark_replaced_feed_runs(session, source_->name, period_, run_id);
  if (options_.fixes_run_id && !fixed_lines_.empty()) {
    mark_feed_bad_rows_fixed(session, *options_.fixes_run_id, fixed_lines_, run_id);
  }
  report_.duty_closed = close_feedback_duty(session, source_->answers_list, period_, now);
  tx.commit();
  report_.status = "done";
  spdlog::info(
      "feed.feedback_done feed={} list={} period={} run={} read={} accepted={} matched={} "
      "quarantined={} duplicates={} measures={} already_recorded={} duty_closed={}",
      source_->name, source_->answers_list, period_, run_id, report_.counts.rows_read,
      report_.counts.rows_accepted, report_.counts.rows_matched, report_.counts.rows_quarantined,
      report_.counts.rows_duplicate, report_.measures_applied, report_.measures_already_recorded,
      report_.duty_closed);
}

}  // namespace fangfan
