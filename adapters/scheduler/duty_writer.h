// The writing half of the scheduler (internal to adapters/scheduler): loads the facts a duty
// decision needs (workflows/duty_plan.h, workflows/timer_notice.h) and applies what it decided,
// in the caller's transaction. No rule is decided here.
//
// Applying an OpenDuty: the duty is opened (or reopened when cancelled; nothing when its key
// exists open or done), then its timers scheduled with the stored duty's id in their payload
// (dedupe keys from workflows/duty_plan.h: replaying schedules nothing twice). A CloseDuty closes
// or cancels the duty and cancels its pending timers. Consecutive OpenDuty actions of a plan are
// written together: their duties in one statement, then all their timers in one
// (adapters/storage/timer_batch.h), then those to close at once closed, in plan order.
// With a DutySink (many case changes in one transaction, deadline_batch.h) the OpenDuty actions
// of many plans are held and written together by flush_duties(): the same rows, ids included, as
// applying each plan in turn, as long as the caller flushes before it reads the duties of a case
// the sink holds (DutySink::holds).
// Errors: StorageError. Thread-safety: as the session's.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/outbox_store.h"
#include "adapters/storage/timer_batch.h"
#include "workflows/duty_plan.h"
#include "workflows/timer_notice.h"

namespace fangfan::scheduler_detail {

// The stored case's data; nullopt when there is no such case. StorageError when unreadable.
std::optional<CaseData> load_case_data(soci::session& session, std::int64_t case_id);

// workflows' case_facts() with the township and place names of the configuration.
CaseFacts facts_of(std::int64_t case_id, const CaseData& data, const Config& config);

// Timer rows reused from one write to the next: a row refilled assigns into strings that kept
// their capacity, so writing a timer allocates nothing once the buffer has grown (bulk opening
// writes millions). Only the first `size` rows are current.
struct TimerRows {
  std::vector<TimerToStore> rows;
  std::size_t size = 0;
  TimerToStore& next() {
    if (size == rows.size()) rows.emplace_back();
    return rows[size++];
  }
};

// Closes (done) or cancels the planned duty, and cancels its pending timers.
void close_planned_duty(soci::session& session, const CloseDuty& close, TimePoint now);
// True when every action of `plan` opens a duty (such plans may be held: DutySink).
bool opens_only(const DutyPlan& plan);

// Appends to `rows` the timers planned for the duty stored as `duty_id` (the rows
// schedule_new_timers() writes). Every field of a reused row is written. Bulk opening (which
// learns the id later) passes 0 and patches the payload's last "duty_id" number.
void add_planned_timers(TimerRows& rows, const NewDuty& duty, std::int64_t duty_id,
                        const std::vector<PlannedTimer>& timers);

// OpenDuty actions held for one write (see the top). A plan with a CloseDuty is not held: the
// sink is flushed first and the plan applied at once, so that ids follow the order of the plans.
struct DutySink {
  std::vector<OpenDuty> opens;
  std::set<std::int64_t> cases;  // the cases of the held duties
  bool holds(std::int64_t case_id) const { return cases.contains(case_id); }
  // With count_by_owner (a firing batch's follow-ups), each held opening is for `owner` as it
  // was when held (the fired timer's place), and flushes add the timers they scheduled for it
  // to scheduled[owner] (one RETURNING read per statement; without it nothing is read back).
  bool count_by_owner = false;
  std::size_t owner = 0;
  std::vector<std::size_t> owners;  // one per held opening
  std::map<std::size_t, int> scheduled;
  TimerRows timer_rows;  // the flushes' buffer
};

// Writes the held openings (their duties, then their timers, then those to close at once) and
// empties the sink (not `scheduled`); returns how many timers it scheduled.
int flush_duties(soci::session& session, DutySink& sink);

// Applies `plan` in order (actions, officer of `case_id`, calendar gaps told to the county
// admins); returns how many timers it scheduled. REQUIRES: !plan.refusal. With `sink`, its
// openings are held there (see DutySink) and counted by flush_duties() (so is what a flush for
// this plan writes of earlier plans).
int apply_duty_plan(soci::session& session, const Config& config, const DutyPlan& plan,
                    std::optional<std::int64_t> case_id, TimePoint now, DutySink* sink = nullptr);
// The same; openings held in `sink` are moved there, not copied.
int apply_duty_plan(soci::session& session, const Config& config, DutyPlan&& plan,
                    std::optional<std::int64_t> case_id, TimePoint now, DutySink* sink = nullptr);

// One OpenDuty (see above); returns how many timers it scheduled.
int apply_open_duty(soci::session& session, const OpenDuty& open);

// Timers planned for a stored duty (`duty_id`), e.g. the ladder of a feed period found missing
// (workflows/feeds.h plan_feed_missing); dedupe keys make scheduling them again harmless.
// Returns how many were new.
int schedule_planned_timers(soci::session& session, const NewDuty& duty, std::int64_t duty_id,
                            const std::vector<PlannedTimer>& timers);
int schedule_duty_timers(soci::session& session, const DutyRecord& duty,
                         const std::vector<PlannedTimer>& timers);

// A calendar gap found while firing or seeding: calendar_missing to the county admins, once per
// year and person.
void report_calendar_gap(soci::session& session, const Config& config, const CalendarError& error,
                         TimePoint now);

// The body of a queued message: its params as one JSON object of strings, written straight
// (adapters/text/json_text.h): the bytes boost::json::serialize wrote for the object built by
// assigning each param in turn (a key given twice keeps its first place and takes its last value).
std::string message_body(const std::vector<std::pair<std::string, std::string>>& params);

// Queues `message` to each configured person it resolves to (one row each, the person's first
// channel); returns the ids of the new rows. `nobody` is set when no configured person (nor a
// fallback) holds the roles.
// With `sink` (a firing batch's first pass, issue 15) the rows are added to it instead, for one
// multi-row insert at the batch's end, and no ids are returned.
struct OutboxSink {
  std::vector<NewOutboxMessage> messages;
  DutySink duties;  // the pass's follow-ups (timer_firing.cpp), written at its end
};
std::vector<std::int64_t> queue_duty_message(soci::session& session, const Config& config,
                                             const DutyMessage& message, TimePoint now,
                                             bool& nobody, OutboxSink* sink = nullptr);

// The firing of an OpenEvaluation timer: the evaluation task of every monitoring object for
// `year` (recurring_work.cpp); returns how many timers it scheduled.
int open_evaluation_year(soci::session& session, const Config& config,
                         const WorkingDayCalendar& calendar, int year, TimePoint now);

}  // namespace fangfan::scheduler_detail
