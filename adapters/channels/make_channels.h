// Builds the channels a config enables: the file channel and each gateway
// whose [channels.X] section says enabled = true; the drop-folder channel
// list_folder when a [[lists]] entry has a folder, list_http when one has an
// http_url (department lists; neither has a [channels.X] section). The daemon registers
// them with its dispatcher. The gateways send through `http` and keep references to it and to
// `clock`. REQUIRES: both outlive the channels.
#pragma once

#include <memory>
#include <vector>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

// `clock` is the daemon's (perhaps simulated) time, stamped by the file channel; `wall_clock`
// is the real time the providers check (signatures, token expiry, Retry-After dates).
std::vector<std::shared_ptr<Channel>> make_channels(const Config& config, HttpClient& http,
                                                    const Clock& clock, const Clock& wall_clock);

// The HttpClient settings of [channels.http].
HttpClientOptions http_client_options(const Config& config);

}  // namespace fangfan
