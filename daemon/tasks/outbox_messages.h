// The outbox rows the dispatcher makes of other rows, and what it reads back from a row:
// a message's template parameters, the person it is for, its copy on that person's next
// channel, the dead-letter notices to the county admins, and a channel's answer in the terms of
// workflows/delivery_decisions.h. No I/O: the dispatcher writes what these return.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/storage/outbox_store.h"
#include "workflows/delivery_decisions.h"

namespace fangfan {

// Params of a body that is a JSON object; nullopt for a plain-text body (rows written before
// templates).
std::optional<std::map<std::string, std::string>> body_params(const std::string& body);
// A JSON object of string values.
std::string json_body(const std::map<std::string, std::string>& params);

// The configured person a row is for (its person, "name@scope"); nullptr for nobody known (no
// person stored, or the person is no longer in the configuration).
const Person* person_for(const Config& c, const OutboxRecord& m);

// The same message on `p`'s channel `channel`, due at `now`; dedupe key + ">channel".
NewOutboxMessage channel_copy(const Person& p, const OutboxRecord& m, const std::string& channel,
                              TimePoint now);

// One notice per county admin (through their first channel) that `m` will not arrive, keyed on
// the message id so each admin hears of it once; none about a dead_letter itself.
std::vector<NewOutboxMessage> dead_letters(const Config& c, const OutboxRecord& m,
                                           const std::string& error, TimePoint now);

// A channel's answer as the delivery decision reads it.
DeliveryAnswer to_answer(const DeliveryResult& r);

}  // namespace fangfan
