// fangfanctl: the operator's command line. Commands that need no daemon (calendar,
// case show) read the configuration and the database directly; the rest speak
// to the daemon's API. See `fangfanctl --help`.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "adapters/clock/system_clock.h"
#include "adapters/config/config.h"
#include "daemon/ctl/ctl_calendar.h"
#include "daemon/ctl/ctl_case.h"
#include "daemon/ctl/ctl_cases.h"
#include "daemon/ctl/ctl_clock.h"
#include "daemon/ctl/ctl_duties.h"
#include "daemon/ctl/ctl_feed.h"
#include "daemon/ctl/ctl_import.h"
#include "daemon/ctl/ctl_outbox.h"
#include "daemon/ctl/ctl_report.h"
#include "daemon/ctl/ctl_simulate.h"
#include "daemon/ctl/ctl_storage.h"
#include "daemon/ctl/ctl_token.h"
#include "daemon/ctl/ctl_work.h"

namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "Usage: fangfanctl [--config FILE] COMMAND ...\n"
    "\n"
    "Commands:\n"
    "  calendar is-working-day DATE          yes or no\n"
    "  calendar add-working-days DATE N      the date N working days after DATE\n"
    "  calendar working-days-between A B     working days from A through B, both included\n"
    "  calendar check                        check the calendar files, list the years covered\n"
    "  case show ID                          a stored case with its history (no daemon needed)\n"
    "  case open FILE.json                   open a case from a JSON body (via the API)\n"
    "  case event ID FILE.json [--type T]    post an event to a case (via the API)\n"
    "  cases [--state S] [--village V] ...   list cases in the token's scope (via the API)\n"
    "  overdue [--township T] [--officer O]  open duties past their deadline (via the API)\n"
    "  due-soon [--days N] [--township T]    open duties falling due within N days (via the API)\n"
    "  duty done ID                          a Q4 evaluation task with its result (via the API)\n"
    "  campaign progress NAME                each township's milestones (via the API)\n"
    "  campaign done NAME MILESTONE --township CODE   a milestone finished (via the API)\n"
    "  evaluation progress YEAR              the Q4 evaluation by township (via the API)\n"
    "  report NAME [--format table|csv|xlsx] county reports: households, measures, overdue,\n"
    "                                        exchange, movements, evaluation, campaign C (API)\n"
    "  token create --role R --scope CODE --name WHO   make an API token (shown once)\n"
    "  token list [--all] | token revoke ID  API tokens, on the database (no daemon needed)\n"
    "  outbox [--status S] [--json]          messages queued, sent, failed (via the API)\n"
    "  outbox retry ID | outbox cancel ID    requeue or cancel a message (via the API)\n"
    "  import FILE --kind visits|cases       import a CSV/XLSX visit log or case list (API)\n"
    "  feed list|runs|run|quarantine|fix     department feeds: runs, bad rows, re-apply (API)\n"
    "  alerts [--township T] [--status S]    alerts (预警线索) raised by department feeds (API)\n"
    "  alert show|open|dismiss ID ...        verify an alert: open a case from it or dismiss it\n"
    "  alert step ID ACTION [--reason T] ...  a step of a monitored case's alert loop ([004])\n"
    "  clock | clock advance 3d|12h|1d12h    the daemon's time; move a simulated clock (via the "
    "API)\n"
    "  simulate --from DATE --to DATE        dry run: the reminders and escalations due (via the "
    "API)\n"
    "  storage copy --from FILE --to postgresql://...   move a stopped daemon's SQLite file into\n"
    "                                        an empty PostgreSQL database (no daemon needed)\n"
    "  version                               print the version\n"
    "\n"
    "--config FILE  the daemon's configuration (default: $FANGFAN_CONFIG, else\n"
    "               " FANGFAN_DEFAULT_CONFIG
    ", else the example configuration next to\n"
    "               this program's build or installation)\n"
    "\n"
    "Commands via the API take --api ADDR:PORT (or unix:PATH) and --token TOKEN, else\n"
    "FANGFAN_API / FANGFAN_TOKEN, else ~/.config/fangfan/ctl.toml (api = ..., token = ...);\n"
    "--json prints the server's answer as it is. Exit status 1 with the server's message.\n";

fs::path self_dir() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : p.parent_path();
}

// Set when default_config() fell back to the example configuration.
bool g_example_fallback = false;

std::optional<fs::path> default_config() {
  if (const char* env = std::getenv("FANGFAN_CONFIG"); env && *env) return fs::path(env);
  std::error_code ec;
  for (fs::path candidate :
       {fs::path(FANGFAN_DEFAULT_CONFIG), self_dir() / "../config/example.toml",
        self_dir() / "../share/fangfan/example.toml"}) {
    if (!fs::exists(candidate, ec)) continue;
    g_example_fallback = candidate != fs::path(FANGFAN_DEFAULT_CONFIG);
    return candidate.lexically_normal();
  }
  return std::nullopt;
}

std::shared_ptr<const fangfan::Config> load_or_report(const std::optional<fs::path>& file) {
  if (!file) {
    std::cerr << "fangfanctl: no configuration found; pass --config FILE\n";
    return nullptr;
  }
  if (g_example_fallback) {
    // Said out loud: a token made against the example's database would not
    // work on the real daemon, and nobody should find that out later.
    std::cerr << "fangfanctl: " FANGFAN_DEFAULT_CONFIG " not found; using the example "
              << "configuration " << file->string() << " (pass --config FILE)\n";
  }
  // The daemon's gateway secrets are not fangfanctl's business (nor, often, readable by its user).
  auto loaded = fangfan::load_config(
      *file, {.read_secrets = false, .today = fangfan::china_date(fangfan::SystemClock().now())});
  if (auto* errors = std::get_if<std::vector<fangfan::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::cerr << e.to_string() << "\n";
    return nullptr;
  }
  return std::get<std::shared_ptr<const fangfan::Config>>(std::move(loaded));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<fs::path> config_file;
  size_t i = 0;
  for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
    if (args[i] == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (args[i] == "--version") {
      std::cout << "fangfanctl " FANGFAN_VERSION "\n";
      return 0;
    } else if (args[i] == "--config") {
      if (i + 1 >= args.size()) {
        std::cerr << "fangfanctl: --config needs a file name\n";
        return 2;
      }
      config_file = args[++i];
    } else {
      std::cerr << "fangfanctl: unknown option '" << args[i] << "'\n\n" << kUsage;
      return 2;
    }
  }
  if (i >= args.size()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = args[i];
  const std::vector<std::string> rest(args.begin() + long(i) + 1, args.end());
  if (!config_file) config_file = default_config();

  if (command == "version") {
    std::cout << "fangfanctl " FANGFAN_VERSION "\n";
    return 0;
  }
  if (command == "case" && fangfan::is_case_api_command(rest)) {
    return fangfan::run_case_api_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                         std::cout, std::cerr);
  }
  if (command == "overdue" || command == "due-soon") {
    return fangfan::run_duties_command(
        command, rest, fangfan::CtlEnvironment::from_process(config_file), std::cout, std::cerr);
  }
  if (command == "duty" || command == "campaign" || command == "evaluation") {
    return fangfan::run_work_command(
        command, rest, fangfan::CtlEnvironment::from_process(config_file), std::cout, std::cerr);
  }
  if (command == "report") {
    return fangfan::run_report_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                       std::cout, std::cerr);
  }
  if (command == "cases") {
    return fangfan::run_cases_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                      std::cout, std::cerr);
  }
  if (command == "case") {
    auto config = load_or_report(config_file);
    if (!config) return 2;
    return fangfan::run_case_command(rest, *config, std::cout, std::cerr);
  }
  if (command == "calendar") {
    auto config = load_or_report(config_file);
    if (!config) return 2;
    return fangfan::run_calendar_command(rest, config->calendar_dir, std::cout, std::cerr);
  }
  if (command == "token") {
    auto config = load_or_report(config_file);
    if (!config) return 2;
    fangfan::SystemClock clock;
    return fangfan::run_token_command(rest, *config, clock, std::cout, std::cerr);
  }
  if (command == "clock") {
    return fangfan::run_clock_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                      std::cout, std::cerr);
  }
  if (command == "simulate") {
    return fangfan::run_simulate_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                         std::cout, std::cerr);
  }
  if (command == "import") {
    return fangfan::run_import_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                       std::cout, std::cerr);
  }
  if (command == "feed" || command == "alerts" || command == "alert") {
    return fangfan::run_feed_command(
        command, rest, fangfan::CtlEnvironment::from_process(config_file), std::cout, std::cerr);
  }
  if (command == "outbox") {
    return fangfan::run_outbox_command(rest, fangfan::CtlEnvironment::from_process(config_file),
                                       std::cout, std::cerr);
  }
  if (command == "storage") {
    fangfan::SystemClock clock;
    return fangfan::run_storage_command(rest, clock, std::cout, std::cerr);
  }
  std::cerr << "fangfanctl: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
