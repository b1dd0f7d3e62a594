#include "daemon/api/daemon_routes.h"

#include "daemon/api/clock_routes.h"
#include "daemon/api/work_routes.h"
#include "daemon/tasks/scheduler.h"

namespace fangfan {

void register_daemon_routes(HttpApi& api, Scheduler& scheduler) {
  ApiServices& services = api.services();
  register_clock_routes(api.router(), services, scheduler);
  register_work_routes(api.router(), services);
}

}  // namespace fangfan
