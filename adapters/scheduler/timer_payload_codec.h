// The one place a timer's typed payload (workflows/timer_payload.h) becomes the text in
// timers.payload and back. The text is JSON, as every version wrote it, so stored timers load:
//   {"notice": "task"|"reminder"|"overdue", "due_date": "...", "roles": [...], "duty_id": 7}
//   {"notice": "open_evaluation", "year": 2025}
//   {"notice": "feed_due", "feed": "civil_affairs", "period": "2025-05"}
//   {"notice": "list_due", "list": "civil_affairs", "period": "2026-12-01"}
//   {"notice": "report_due", "schedule": "county_monthly_report", "period": "2026-11"}
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "workflows/timer_payload.h"

namespace fangfan {

// The text is written directly (no JSON tree: every created timer has one), byte for byte as
// boost::json::serialize wrote it (keys in the order above, no spaces).
std::string encode_timer_payload(const TimerPayload& payload);
// A duty notice's text appended to `out` (a reused buffer: the batch writer's, duty_writer.cpp),
// with `duty_id` in place of notice.duty_id (a planned notice carries 0 until its duty is stored).
void append_timer_payload(std::string& out, const DutyNotice& notice, std::int64_t duty_id);

// The payload, or why it cannot be read (a sentence for the firing's log line). A duty notice
// without a duty id decodes with duty_id 0 (its firing finds no duty).
std::variant<TimerPayload, std::string> decode_timer_payload(std::string_view text);

}  // namespace fangfan
