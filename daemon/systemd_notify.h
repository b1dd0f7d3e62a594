// The sd_notify protocol (READY, RELOADING, STOPPING, WATCHDOG). Every call is a
// no-op when the daemon was not started by systemd (NOTIFY_SOCKET unset), so
// the same binary runs by hand. Tests set NOTIFY_SOCKET to a socket of their own
// to watch the daemon's state from outside.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace fangfan::systemd {

void notify_ready(const std::string& status);
void notify_reloading();
void notify_stopping();
void notify_watchdog();
void notify_status(const std::string& status);
// The watchdog interval systemd expects (WatchdogSec=), when enabled for this process.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace fangfan::systemd
