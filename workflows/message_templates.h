// Message templates: the readable Chinese text of every message fangfan sends.
//
// Each outbox message type (contracts: step_reminder, visit_overdue, dead_letter, digest, ...)
// has a built-in default template; a county may override any of them in its config
// (`[templates]`). A template is text with `{placeholder}` names taken from the message's
// params; `{{` and `}}` stand for literal braces. Overrides are checked when the config is
// loaded (template_problem): an unknown type or placeholder is a config error, never a
// surprise at 9 o'clock when the reminders go out.
//
// Masking: params are masked by whoever writes the outbox row (mask_name, mask_id_number,
// mask_phone). contains_unmasked_identifiers() is the last guard before a message leaves: the
// dispatcher fails a message whose text still holds an 18-character ID number or an 11-digit
// mobile number, with a reason, instead of sending it.
//
// Thread-safety: all functions are pure; MessageTemplates is a value.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fangfan {

// Overrides by message type (the config's [templates] table). Types not listed use the
// built-in default.
struct MessageTemplates {
  std::map<std::string, std::string, std::less<>> overrides;
};

struct MessageTypeInfo {
  std::string_view type;
  std::span<const std::string_view> params;  // every placeholder the template may use
  std::string_view default_template;
};

// Every message type fangfan knows, in a fixed order.
std::span<const MessageTypeInfo> message_types();
const MessageTypeInfo* find_message_type(std::string_view type);

// Why `text` cannot be the template of `type`, as a sentence (unknown type, unknown
// placeholder, an unclosed brace, empty text); std::nullopt when it is fine.
std::optional<std::string> template_problem(std::string_view type, std::string_view text);

// The message text of `type` with `params` filled in. A placeholder without a param is left as
// it is (visible, never silently empty). An unknown type renders as "【防返贫监测】type：k=v，…"
// so nothing is lost.
std::string render_message(std::string_view type, const std::map<std::string, std::string>& params,
                           const MessageTemplates& templates);

// Reminder-like types that a digest window may group (…_reminder, …_overdue, evaluation_task).
bool is_digestible(std::string_view type);

// The params of a digest of `texts` (already rendered, masked): count and a numbered list.
std::map<std::string, std::string> digest_params(const std::vector<std::string>& texts);

// True when `text` holds what looks like an unmasked ID number (a run of exactly 18 ASCII
// digits, or 17 digits then X/x) or mainland mobile number (exactly 11 digits starting 13..19).
bool contains_unmasked_identifiers(std::string_view text);

// An outbox recipient as logs, lists and dead-letter notices show it: a phone number masked
// ("138****5678"), a "name@scope" address with the name masked ("张*@379901001"), a WeChat Work
// user id or group name as it is (neither identifies a resident).
std::string mask_recipient(std::string_view recipient);

// A recipient as the county's own operators see it (the dry run, `fangfanctl simulate`): phone
// numbers masked as above, a staff member's "name@scope" shown whole (recipients are the
// county's staff, not residents), anything else that looks like an ID or mobile number masked.
std::string mask_staff_recipient(std::string_view recipient);

}  // namespace fangfan
