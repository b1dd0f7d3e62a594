#include "daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace fangfan::systemd {
namespace {

void send(const std::string& state) { sd_notify(0, state.c_str()); }

}  // namespace

void notify_ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }

void notify_reloading() {
  // systemd wants the monotonic time of the reload start next to RELOADING=1.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void notify_stopping() { send("STOPPING=1"); }
void notify_watchdog() { send("WATCHDOG=1"); }
void notify_status(const std::string& status) { send("STATUS=" + status); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
  return std::nullopt;
}

}  // namespace fangfan::systemd
