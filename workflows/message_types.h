// Who is sent each message type, from the program rules: the roles a duty's notices go to (its
// owner before it falls due, the roles of its ladder after) and the fixed recipients of the
// system notices. The configuration check uses it to find a person on an SMS channel that has no
// template for a type they will be sent (the gateway would refuse every such message).
//
// The roles here mirror where the senders name them: step owners are step_owner_role()
// (duties.h); a month's visits and monitoring are owed by the assistance officer
// (adapters/scheduler/timer_firing.cpp), which also reaches the village officers when a case has
// no officer (notice_recipients); a written notice goes to the township clerk
// (adapters/storage/case_repository.cpp); a missing calendar and a dead letter to the county
// admins; a feed's missing period to its ladder (the department clerks of its department), an
// alert's verification to its owner and ladder in the township (workflows/feeds.h); a department
// list's zip password and the reminders of its answer to the department clerks of the list's
// department and the answer's ladder (workflows/lists.h). Digests
// (digest) are left to the caller: they go to whoever is sent a digestible type.
//
// Pure: the caller passes today's date (a campaign whose last milestone is over is never
// started, so it sends nothing).
#pragma once

#include <string>
#include <vector>

#include "workflows/clock.h"
#include "workflows/program_rules.h"

namespace fangfan {

// Where a notice is addressed: to a case's village (roles of the county, its township or the
// village; nobody holding them falls back to the township head, then the county admins), to a
// township (campaign milestones), or to the county admins only.
enum class AudiencePlace { kVillage, kTownship, kCounty };

struct MessageAudience {
  std::string type;                // a message type of message_types() (message_templates.h)
  std::vector<std::string> roles;  // role names, e.g. "township_clerk"
  AudiencePlace place = AudiencePlace::kVillage;
  std::string department;  // a feed's or list's department: its department clerks are reached too
  friend bool operator==(const MessageAudience&, const MessageAudience&) = default;
};

// Every (type, roles, place) fangfan may send under `rules` from `today` on. A type may appear
// more than once (one entry per duty and rung); no entry has empty roles.
std::vector<MessageAudience> message_audiences(const ProgramRules& rules, Date today);

}  // namespace fangfan
