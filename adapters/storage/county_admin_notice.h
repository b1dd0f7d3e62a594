// One notice to every county admin (who runs fangfan and can fix its configuration or calendar):
// the outbox rows for it, one per admin covering the county, each admin once, through the
// admin's first channel ("file" when none is configured). The caller queues them with
// enqueue_outbox in its own transaction.
//
// Keys: `key_of("<name>@<scope>")` is each row's dedupe key, so the caller keeps its own key
// format (stored keys decide what was already sent; changing a format would send again).
// Thread-safety: pure function of the configuration.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/storage/outbox_store.h"

namespace fangfan {

std::vector<NewOutboxMessage> county_admin_messages(
    const Config& config, std::string_view message_type, const std::string& body,
    const std::function<std::string(std::string_view who)>& key_of, TimePoint now,
    std::optional<std::int64_t> case_id = std::nullopt);

}  // namespace fangfan
