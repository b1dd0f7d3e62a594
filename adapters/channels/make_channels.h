// Builds the channels a config enables: the file channel and each gateway
// whose [channels.X] section says enabled = true. The daemon registers them
// with its dispatcher. The gateways send through `http` and keep references
// to it and to `clock`. REQUIRES: both outlive the channels.
#pragma once

#include <memory>
#include <vector>

#include "adapters/channels/channel.h"
#include "adapters/config/config.h"
#include "adapters/http/http_client.h"
#include "workflows/clock.h"

namespace fangfan {

std::vector<std::shared_ptr<Channel>> make_channels(const Config& config, HttpClient& http,
                                                    const Clock& clock);

// The HttpClient settings of [channels.http].
HttpClientOptions http_client_options(const Config& config);

}  // namespace fangfan
