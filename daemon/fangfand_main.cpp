// fangfand: the daemon. Parses the command line, loads and validates the
// configuration, and hands over to Service. See `fangfand --help`.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "adapters/calendar/calendar_files.h"
#include "adapters/clock/system_clock.h"
#include "adapters/config/config.h"
#include "daemon/logging.h"
#include "daemon/options.h"
#include "daemon/service.h"

int main(int argc, char** argv) {
  using namespace fangfan;
  // A closed stderr pipe (e.g. `| tee` ended by Ctrl-C) must not kill the
  // daemon in the middle of a graceful stop.
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = parse_daemon_options(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* err = std::get_if<OptionsError>(&parsed)) {
    std::cerr << "fangfand: " << err->message << "\n\n" << daemon_usage();
    return 2;
  }
  auto options = std::get<DaemonOptions>(parsed);
  switch (options.action) {
    case DaemonOptions::Action::kHelp:
      std::cout << daemon_usage();
      return 0;
    case DaemonOptions::Action::kVersion:
      std::cout << "fangfand " FANGFAN_VERSION "\n";
      return 0;
    default:
      break;
  }

  // The configuration is checked for the day the daemon will run on (simulated or real).
  const Date today = china_date(options.simulated_clock.value_or(SystemClock().now()));
  auto loaded = load_config(options.config_file, {.today = today});
  if (auto* errors = std::get_if<std::vector<ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::cerr << e.to_string() << "\n";
    std::cerr << options.config_file << ": " << errors->size()
              << (errors->size() == 1 ? " error" : " errors") << "; "
              << (options.action == DaemonOptions::Action::kCheckConfig ? "not valid"
                                                                        : "not starting")
              << "\n";
    return 2;
  }
  auto config = std::get<std::shared_ptr<const Config>>(std::move(loaded));
  // The calendar files are part of the configuration: deadlines cannot run without them.
  auto calendar = load_calendar_dir(config->calendar_dir);
  if (!calendar.calendar) {
    for (const auto& e : calendar.errors) std::cerr << e.to_string() << "\n";
    std::cerr << config->calendar_dir.string() << ": calendar not usable; "
              << (options.action == DaemonOptions::Action::kCheckConfig ? "not valid"
                                                                        : "not starting")
              << "\n";
    return 2;
  }
  if (options.action == DaemonOptions::Action::kCheckConfig) {
    // Warnings do not make the file invalid: the exit status stays 0.
    for (const std::string& w : config_warnings(*config)) {
      std::cout << config->file.string() << ": warning: " << w << "\n";
    }
    std::cout << config->file.string() << ": valid (" << config->townships.size() << " townships, "
              << config->villages.size() << " villages, " << config->people.size()
              << " people; calendar " << *calendar.calendar->first_covered_year() << "–"
              << *calendar.calendar->last_covered_year() << ")\n";
    return 0;
  }

  setup_logging(options.log_level.value_or(config->log_level));
  try {
    SystemClock system_clock;
    std::unique_ptr<SimulatedClock> simulated;
    Clock* clock = &system_clock;
    if (options.simulated_clock) {
      simulated = std::make_unique<SimulatedClock>(*options.simulated_clock);
      clock = simulated.get();
      spdlog::warn("daemon.simulated_clock: time moves only when told (test deployments only)");
    }
    Service service(options, config,
                    std::make_shared<const WorkingDayCalendar>(std::move(*calendar.calendar)),
                    *clock);
    return service.run();
  } catch (const std::exception& e) {
    // Last resort: everything expected is handled where it happens.
    spdlog::critical("daemon.fatal error=\"{}\"", e.what());
    return 1;
  }
}
