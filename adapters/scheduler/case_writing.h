// The one construction of the case writer (adapters/storage/case_repository.h): its deadline
// hook is the timer hook of adapters/scheduler/timer_firing.h for the configuration and the
// working-day calendar in force when a unit of work begins. The daemon's wiring calls this once
// at start and hands the writer to the API (and through it to imports); the benches call it as
// the daemon does.
//
// Thread-safety: `config` and `calendar` are called from the thread that calls
// CaseWriter::begin() (the daemon's loop thread). REQUIRES: `clock` and both sources outlive the
// writer.
#pragma once

#include <functional>
#include <memory>

#include "adapters/config/config.h"
#include "adapters/storage/case_repository.h"
#include "workflows/calendar.h"
#include "workflows/clock.h"

namespace fangfan {

std::unique_ptr<CaseWriter> make_case_writer(
    const Clock& clock, std::function<std::shared_ptr<const Config>()> config,
    std::function<std::shared_ptr<const WorkingDayCalendar>()> calendar);

}  // namespace fangfan
