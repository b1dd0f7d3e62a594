#include "daemon/api/http_api.h"

#include "daemon/api/calendar_routes.h"
#include "daemon/api/case_routes.h"
#include "daemon/api/duty_routes.h"
#include "daemon/api/import_routes.h"
#include "daemon/api/ops_routes.h"
#include "daemon/api/outbox_routes.h"

namespace fangfan {

HttpApi::HttpApi(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                 std::function<std::shared_ptr<const Config>()> config,
                 std::function<void()> outbox_changed, ApiLimits limits)
    : services_{storage, clock, std::move(config), metrics_, health_, std::move(outbox_changed),
                {},      {}},
      handler_(router_, services_),
      server_(
          loop, [this](ApiRequestHandler::Request& req) { return handler_.handle(req); }, limits,
          &metrics_) {
  add_standard_collectors(metrics_);
  register_ops_routes(router_, services_);
  register_outbox_routes(router_, services_);
  register_case_routes(router_, services_);
  // Imports apply cases as the case routes do: with the case change hook in force.
  register_import_routes(router_, services_, [this]() -> CaseChangeHook {
    return services_.case_change_hook ? services_.case_change_hook() : CaseChangeHook{};
  });
  register_calendar_routes(router_, services_);
  register_duty_routes(router_, services_);
}

}  // namespace fangfan
