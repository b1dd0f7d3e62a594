#include "adapters/scheduler/bulk_opening.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <string>
#include <utility>

#include "adapters/scheduler/case_alerts.h"
#include "adapters/scheduler/timer_firing.h"
#include "adapters/scheduler/timer_payload_codec.h"
#include "adapters/storage/duty_store.h"
#include "adapters/storage/timer_batch.h"
#include "workflows/alert_loop.h"
#include "workflows/duty_plan.h"

namespace fangfan {

// Filled by add() (change, duties), planned by the planning thread, written by the writer.
// Reused: a chunk written goes back to spare_ with its buffers' capacity.
struct BulkOpening::Chunk {
  struct Item {
    CaseChange change;
    std::vector<DutyRecord> duties;  // the case's, read on the writer's session
    DutyPlan plan;
    bool alerts = false;
    bool direct = false;  // applied as the hook does (flushing first), not held
    std::exception_ptr error;
    std::size_t opens_end = 0;  // its openings end here in `opens` (held plans only)
  };
  struct Opening {
    const NewDuty* duty = nullptr;  // in its item's plan
    std::size_t first_row = 0, rows = 0;
    bool close_at_once = false;
  };
  std::vector<Item> items;
  std::size_t size = 0;
  std::vector<Opening> opens;
  // The openings' timers: every field final but the duty id in the payload, a 0 at id_at[row].
  scheduler_detail::TimerRows rows;
  std::vector<std::size_t> id_at;
  std::size_t opens_written = 0;  // the writer's: openings whose duties are stored

  Item& next() {
    if (size == items.size()) items.emplace_back();
    return items[size++];
  }
};

namespace {

// The rows of a duty not stored yet (duty_writer.h add_planned_timers, with id 0): its id is
// patched in by the writer (patch_duty_id) at the place recorded in `id_at`.
void encode_timers(BulkOpening::Chunk& chunk, const NewDuty& duty,
                   const std::vector<PlannedTimer>& timers) {
  static constexpr std::string_view kIdField = R"("duty_id":0)";
  const std::size_t first = chunk.rows.size;
  scheduler_detail::add_planned_timers(chunk.rows, duty, 0, timers);
  chunk.id_at.resize(chunk.rows.size);
  for (std::size_t r = first; r < chunk.rows.size; ++r) {
    // The last such field is the id's: the texts before it are JSON strings, whose quotes are
    // escaped, and only a number may follow it.
    const std::string& payload = chunk.rows.rows[r].timer.payload;
    chunk.id_at[r] = payload.rfind(kIdField) + kIdField.size() - 1;
  }
}

void patch_duty_id(std::string& payload, std::size_t at, std::int64_t id) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  payload.replace(at, 1, digits, static_cast<std::size_t>(end - digits));
}

void plan_chunk(BulkOpening::Chunk& chunk, const Config& config,
                const WorkingDayCalendar& calendar) {
  chunk.opens.clear();
  chunk.rows.size = 0;
  chunk.id_at.clear();
  chunk.opens_written = 0;
  for (std::size_t i = 0; i < chunk.size; ++i) {
    BulkOpening::Chunk::Item& item = chunk.items[i];
    try {
      item.error = nullptr;
      const CaseChange& change = item.change;
      const CaseData& data = change.snapshot.data;
      item.plan = plan_case_change(change.outcome, data, change.history_seq,
                                   scheduler_detail::facts_of(change.case_id, data, config),
                                   item.duties, config.rules, calendar);
      item.alerts =
          !item.plan.refusal && !case_alerts(change.outcome, data, config.rules.feeds.loop).empty();
      item.direct = item.alerts || !scheduler_detail::opens_only(item.plan);
      if (!item.plan.refusal && !item.direct) {
        for (const DutyAction& action : item.plan.actions) {
          const OpenDuty& open = std::get<OpenDuty>(action);
          const std::size_t first = chunk.rows.size;
          encode_timers(chunk, open.duty, open.timers);
          chunk.opens.push_back({&open.duty, first, chunk.rows.size - first, open.close_at_once});
        }
      }
    } catch (...) {
      item.error = std::current_exception();
    }
    item.opens_end = chunk.opens.size();
  }
}

}  // namespace

BulkOpening::BulkOpening(std::shared_ptr<const Config> config,
                         std::shared_ptr<const WorkingDayCalendar> calendar)
    : config_(std::move(config)), calendar_(std::move(calendar)) {
  planner_ = std::thread([this] { plan_loop(); });
}

BulkOpening::~BulkOpening() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_planner_.notify_all();
  planner_.join();
}

void BulkOpening::plan_loop() {
  for (;;) {
    Chunk* chunk = nullptr;
    {
      std::unique_lock lock(mutex_);
      wake_planner_.wait(lock, [&] { return stop_ || planned_ < queue_.size(); });
      if (stop_) return;
      chunk = queue_[planned_].get();
      planning_ = true;
    }
    plan_chunk(*chunk, *config_, *calendar_);  // catches what a plan throws, for the writer
    {
      std::lock_guard lock(mutex_);
      ++planned_;
      planning_ = false;
    }
    wake_writer_.notify_all();
  }
}

void BulkOpening::add(soci::session& session, CaseChange change) {
  const std::int64_t id = change.case_id;
  // The plan reads the case's duties: every earlier change of it written first, and, as
  // DeadlineBatch, what is held flushed when the case is among it.
  if (unwritten_.contains(id) || held_cases_.contains(id)) {
    submit();
    write_planned(session, 0);  // so that what is held is what DeadlineBatch would hold now
  }
  if (held_cases_.contains(id)) write_held(session);
  if (!current_) {
    std::lock_guard lock(mutex_);
    if (spare_.empty()) {
      current_ = std::make_unique<Chunk>();
    } else {
      current_ = std::move(spare_.back());
      spare_.pop_back();
      current_->size = 0;
    }
  }
  Chunk::Item& item = current_->next();
  item.duties = case_duties_for_plan(session, id);
  item.change = std::move(change);
  ++unwritten_[id];
  if (current_->size == kChunk) submit();
  write_planned(session, kQueued);
}

int BulkOpening::flush(soci::session& session) {
  submit();
  write_planned(session, 0);
  write_held(session);
  held_cases_.clear();
  return std::exchange(scheduled_, 0);
}

void BulkOpening::discard() {
  {
    std::unique_lock lock(mutex_);
    wake_writer_.wait(lock, [&] { return !planning_; });
    for (auto& chunk : queue_) spare_.push_back(std::move(chunk));
    queue_.clear();
    planned_ = 0;
    if (current_) spare_.push_back(std::move(current_));
  }
  unwritten_.clear();
  held_cases_.clear();
  held_.size = 0;
  held_opens_ = 0;
  held_closes_.clear();
  scheduled_ = 0;
}

void BulkOpening::submit() {
  if (!current_ || current_->size == 0) return;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(current_));
  }
  wake_planner_.notify_one();
}

void BulkOpening::write_planned(soci::session& session, std::size_t keep) {
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock lock(mutex_);
      if (planned_ == 0) {
        if (queue_.size() <= keep) return;
        wake_writer_.wait(lock, [&] { return planned_ > 0; });
      }
      chunk = std::move(queue_.front());
      queue_.pop_front();
      --planned_;
    }
    write_chunk(session, *chunk);
    std::lock_guard lock(mutex_);
    spare_.push_back(std::move(chunk));
  }
}

void BulkOpening::write_chunk(soci::session& session, Chunk& chunk) {
  for (std::size_t i = 0; i < chunk.size; ++i) {
    Chunk::Item& item = chunk.items[i];
    const std::int64_t id = item.change.case_id;
    if (auto it = unwritten_.find(id); it != unwritten_.end() && --it->second == 0) {
      unwritten_.erase(it);
    }
    if (item.error) std::rethrow_exception(item.error);
    DutyPlan& plan = item.plan;
    if (plan.refusal) throw ScheduleError(plan.refusal->missing_year, plan.refusal->message);
    const TimePoint at = item.change.outcome.entry.at;
    if (item.direct) {
      // As the hook: what is held first, then this plan at once, then its alerts.
      write_duties(session, chunk, i);
      write_held(session);
      scheduled_ +=
          scheduler_detail::apply_duty_plan(session, *config_, std::move(plan), id, at, nullptr);
      if (item.alerts) {
        raise_case_alerts(session, *config_, *calendar_, id, item.change.outcome,
                          item.change.snapshot.data);
      }
      continue;
    }
    // Held, as DutySink holds them; the officer and calendar gaps written now, as the hook does.
    for (std::size_t k = i == 0 ? 0 : chunk.items[i - 1].opens_end; k < item.opens_end; ++k) {
      if (chunk.opens[k].duty->case_id) held_cases_.insert(*chunk.opens[k].duty->case_id);
      ++held_opens_;
    }
    held_cases_.insert(id);
    if (plan.officer) set_case_duty_officer(session, id, *plan.officer);
    for (const CalendarError& gap : plan.calendar_gaps) {
      scheduler_detail::report_calendar_gap(session, *config_, gap, at);
    }
  }
  write_duties(session, chunk, chunk.size);
}

void BulkOpening::write_duties(soci::session& session, Chunk& chunk, std::size_t items) {
  const std::size_t end = items == 0 ? 0 : chunk.items[items - 1].opens_end;
  if (chunk.opens_written >= end) return;
  std::vector<const NewDuty*> duties;
  duties.reserve(end - chunk.opens_written);
  for (std::size_t k = chunk.opens_written; k < end; ++k) duties.push_back(chunk.opens[k].duty);
  // nullopt: its key exists open or done, nothing to schedule
  const std::vector<std::optional<std::int64_t>> stored = open_or_reopen_duty_ids(session, duties);
  for (std::size_t k = chunk.opens_written; k < end; ++k) {
    const std::optional<std::int64_t>& duty_id = stored[k - chunk.opens_written];
    if (!duty_id) continue;
    const Chunk::Opening& open = chunk.opens[k];
    for (std::size_t r = open.first_row; r < open.first_row + open.rows; ++r) {
      TimerToStore& row = chunk.rows.rows[r];
      patch_duty_id(row.timer.payload, chunk.id_at[r], *duty_id);
      std::swap(row, held_.next());  // the held buffer's old row goes back for reuse
    }
    if (open.close_at_once) held_closes_.push_back(opened_duty_record(*open.duty, *duty_id));
  }
  chunk.opens_written = end;
}

void BulkOpening::write_held(soci::session& session) {
  if (held_opens_ == 0) return;  // as flush_duties: nothing held, nothing done
  scheduled_ += schedule_new_timers(session, held_.rows.data(), held_.size);
  for (const DutyRecord& duty : held_closes_) {
    scheduler_detail::close_planned_duty(session, CloseDuty{duty, true}, duty.opened_at);
  }
  held_.size = 0;
  held_opens_ = 0;
  held_closes_.clear();
  held_cases_.clear();
}

}  // namespace fangfan
