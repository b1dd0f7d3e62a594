// What a stored timer stands for (timers.payload), typed. The scheduler writes one when it plans
// a duty's timers (workflows/duty_plan.h) and reads it back when the timer fires
// (workflows/timer_notice.h). Its text form (JSON, so timers stored by older versions still load)
// is written and read in exactly one place: adapters/scheduler/timer_payload_codec.h.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace fangfan {

// The notice a duty's timer sends.
enum class DutyNoticeKind {
  kTask,      // an evaluation task opens (rung "task" in the message key)
  kReminder,  // before due; skipped when the duty is already overdue at firing
  kOverdue,   // at due time (rung 0) and at each escalation rung
};

// A timer of one duty: what to tell whom about it.
struct DutyNotice {
  std::int64_t duty_id = 0;  // 0 while planned: the stored duty's id is filled in when applied
  DutyNoticeKind notice = DutyNoticeKind::kReminder;
  std::string due_date;            // the duty's last day, "2025-03-31"
  std::vector<std::string> roles;  // role names; empty: nobody is told (a month's due timer)
  // An overdue notice's level as people read it ("第1级督办" for the ladder's first rung,
  // whatever its after_working_days); 0: not known (timers stored before it was carried).
  int level = 0;
  bool operator==(const DutyNotice&) const = default;
};

// The county-wide timer that opens the Q4 risk evaluation of `year` for every monitoring object.
struct OpenEvaluation {
  int year = 0;
  bool operator==(const OpenEvaluation&) const = default;
};

// The county-wide timer of a department feed's period (kind="feed" schedules): its firing opens
// the duty "feed/<feed>/<period>" (workflows/feeds.h), which the feed intake then works off.
struct FeedDue {
  std::string feed;    // a [[feeds]] name
  std::string period;  // "YYYY-MM"
  bool operator==(const FeedDue&) const = default;
};

// The county-wide timer of a department list's period (kind="list" schedules): its firing opens
// the duty "list/<list>/<period>" (workflows/lists.h), which the list runner then produces.
struct ListDue {
  std::string list;    // a [[lists]] name
  std::string period;  // "YYYY-MM-DD"
  bool operator==(const ListDue&) const = default;
};

// The county-wide timer of a monthly report workbook (kind="report" schedules): its firing opens
// the duty "report/<schedule>/<period>" (workflows/report_schedule.h), which the list runner
// then produces. The period is the month reported: the month before the occurrence.
struct ReportDue {
  std::string schedule;  // a kind = "report" [[rules.schedules]] name
  std::string period;    // "YYYY-MM"
  bool operator==(const ReportDue&) const = default;
};

using TimerPayload = std::variant<DutyNotice, OpenEvaluation, FeedDue, ListDue, ReportDue>;

}  // namespace fangfan
