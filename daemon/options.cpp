#include "daemon/options.h"

#include <set>

#include "workflows/date.h"

namespace fangfan {

std::string daemon_usage() {
  return "Usage: fangfand [--config FILE] [--log-level LEVEL] [--simulated-clock "
         "YYYY-MM-DDTHH:MM]\n"
         "       fangfand --check-config FILE\n"
         "       fangfand --version | --help\n"
         "\n"
         "  --config FILE          configuration file (default " FANGFAN_DEFAULT_CONFIG
         ")\n"
         "  --log-level LEVEL      trace, debug, info, warn, error, critical or off;\n"
         "                         overrides [log] level in the configuration\n"
         "  --check-config FILE    validate FILE and exit: 0 when valid, 2 when not\n"
         "  --simulated-clock T    run on a simulated clock that starts at T (China time)\n"
         "                         and does not move by itself (test deployments)\n"
         "  --version              print the version and exit\n"
         "  --help                 print this help and exit\n";
}

std::variant<DaemonOptions, OptionsError> parse_daemon_options(
    const std::vector<std::string>& args) {
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  DaemonOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)name;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      o.action = DaemonOptions::Action::kHelp;
    } else if (a == "--version") {
      o.action = DaemonOptions::Action::kVersion;
    } else if (a == "--config" || a == "--check-config") {
      auto v = value(a.c_str());
      if (!v) return OptionsError{a + " needs a file name"};
      o.config_file = *v;
      if (a == "--check-config") o.action = DaemonOptions::Action::kCheckConfig;
    } else if (a == "--log-level") {
      auto v = value(a.c_str());
      if (!v || !kLevels.count(*v)) {
        return OptionsError{
            "--log-level needs one of trace, debug, info, warn, error, critical, off"};
      }
      o.log_level = *v;
    } else if (a == "--simulated-clock") {
      auto v = value(a.c_str());
      auto t = v ? parse_time(*v) : std::nullopt;
      if (!t)
        return OptionsError{"--simulated-clock needs a time like 2025-01-01T08:00 (China time)"};
      o.simulated_clock = *t;
    } else {
      return OptionsError{"unknown option '" + a + "'"};
    }
  }
  return o;
}

}  // namespace fangfan
