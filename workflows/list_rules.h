// Department lists (行业部门名单) as a deployment configures them: on each kind = "list"
// schedule day (the 1st and 15th [002]) every department receives the households it must act on
// — monitored (监测对象), instant-assistance (即时帮扶) and rolled-back (回退) — in its scope of
// concern, with the columns it needs, and answers with what it implemented (落实情况) through a
// feedback feed (feed_rules.h, FeedSource::answers_list) within `feedback` working days.
// Loaded and validated once by adapters/config (config_lists.cpp, `[[lists]]`); the pure
// decisions are in workflows/lists.h, the files in adapters/lists, delivery through the outbox.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "workflows/deadline_rules.h"

namespace fangfan {

// One row per household (its head's name and ID number), or one per member in the scope
// (education: each school-age member; the disability federation: each member with a disability).
enum class ListRows { kHousehold, kMember };

// Which members put a household on the list (and, with kMember, which members are rows).
enum class MemberFilter {
  kAll,        // every listed household (household rows: the head; member rows: every member)
  kSchoolAge,  // a member marked student, or aged 6..17 on the list's day (from the ID number)
  kDisabled,   // a member marked disabled
};

// Where a produced list goes (each is one outbox message per period with the file attached).
struct ListDelivery {
  std::string folder;            // absolute drop folder ("" = none); written tmp+fsync+rename, 0640
  std::string robot_group;       // a [channels.wechat_robot] group name: file message ("" = none)
  bool app_to_clerks = false;    // [channels.wechat_app] file message to each department clerk
  std::string http_url;          // multipart POST to the department's endpoint ("" = none)
  std::string http_token;        // secret: "Authorization: Bearer <token>" ("" = none)
  std::string http_hmac_secret;  // secret: X-Fangfan-Signature as the webhook channel signs
  // The XLSX (and CSV) go out inside one AES-256 zip; its password goes to the department's
  // clerks by their own channels (SMS, as counties do with personal data), as its own message.
  bool encrypt = false;
  bool csv = false;  // deliver the CSV (UTF-8 with BOM) beside the XLSX
};

struct DepartmentList {
  std::string name;             // referenced by a kind = "list" schedule's `list`; no '/'
  std::string department;       // a [[departments]] code
  std::string department_name;  // its name ("县民政局"), filled by the loader
  ListRows rows = ListRows::kHousehold;
  MemberFilter members = MemberFilter::kAll;
  std::vector<std::string> risk_causes;  // RiskCause codes; a household with any of them (empty:
                                         // every household)
  // Column codes in order (workflows/lists.h list_columns()); default household_code, township,
  // village, head_name, head_id_number, phone, case_kind, category, risk_causes, state.
  std::vector<std::string> columns;
  ListDelivery delivery;
  // The department answers within feedback.period working days of the list's day: a reminder
  // remind_before_working_days before, then the ladder (default: the department clerk at due).
  StepDeadline feedback{10, DayUnit::kWorkingDays, 2, {}};
  std::string feedback_feed;  // the [[feeds]] kind = "feedback" answering it ("" none), by loader
};

struct ListsConfig {
  std::vector<DepartmentList> lists;
  const DepartmentList* find(const std::string& name) const {
    for (const auto& l : lists) {
      if (l.name == name) return &l;
    }
    return nullptr;
  }
};

}  // namespace fangfan
