// Logging is set up once, here. Lines go to stderr; under systemd (stderr is the
// JOURNAL_STREAM) each line starts with a syslog priority prefix like "<4>" so journald
// records the level and adds time and unit itself; on a terminal each line
// carries its own timestamp. Every line starts with a fixed event name
// ("daemon.ready", "config.reload_rejected", ...). Never log an ID number or a
// phone unmasked: use mask_id_number / mask_phone from workflows/id_number.h.
#pragma once

#include <string>

namespace fangfan {

void setup_logging(const std::string& level);
// REQUIRES: level is one of trace, debug, info, warn, error, critical, off.
void set_log_level(const std::string& level);

}  // namespace fangfan
