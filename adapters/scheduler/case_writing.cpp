#include "adapters/scheduler/case_writing.h"

#include <utility>

#include "adapters/scheduler/timer_firing.h"

namespace fangfan {

std::unique_ptr<CaseWriter> make_case_writer(
    const Clock& clock, std::function<std::shared_ptr<const Config>()> config,
    std::function<std::shared_ptr<const WorkingDayCalendar>()> calendar) {
  return std::make_unique<CaseWriter>(clock,
                                      [config = std::move(config), calendar = std::move(calendar)] {
                                        return make_timer_hook(config(), calendar());
                                      });
}

}  // namespace fangfan
