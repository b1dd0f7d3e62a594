// Command line of fangfand. parse_daemon_options() never exits the process: it
// returns what to do, or a usage error the caller prints with exit status 2.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "workflows/clock.h"

namespace fangfan {

struct DaemonOptions {
  enum class Action { kRun, kCheckConfig, kVersion, kHelp };
  Action action = Action::kRun;
  std::string config_file = FANGFAN_DEFAULT_CONFIG;
  std::optional<std::string> log_level;      // overrides [log] level
  std::optional<TimePoint> simulated_clock;  // start on a clock that moves only when told
};

struct OptionsError {
  std::string message;
};

// REQUIRES: args excludes argv[0].
std::variant<DaemonOptions, OptionsError> parse_daemon_options(
    const std::vector<std::string>& args);

std::string daemon_usage();

}  // namespace fangfan
