#include "daemon/api/http_api.h"

#include "daemon/api/calendar_routes.h"
#include "daemon/api/case_routes.h"
#include "daemon/api/duty_routes.h"
#include "daemon/api/import_routes.h"
#include "daemon/api/ops_routes.h"
#include "daemon/api/outbox_routes.h"
#include "daemon/api/report_routes.h"

namespace fangfan {

ApiLimits api_limits(const Config& config) {
  ApiLimits limits;
  limits.max_connections_per_client =
      static_cast<std::size_t>(config.api_max_connections_per_client);
  limits.header_timeout = std::chrono::seconds(config.api_header_timeout_seconds);
  return limits;
}

HttpApi::HttpApi(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
                 std::function<std::shared_ptr<const Config>()> config,
                 std::function<void()> outbox_changed, const CaseWriter& cases, ApiLimits limits)
    : case_writes_(loop, storage),
      services_{storage, clock, std::move(config), metrics_, health_, std::move(outbox_changed), {},
                cases,   {},    case_writes_},
      handler_(router_, services_),
      server_(
          loop, [this](ApiRequestHandler::Request& req) { return handler_.handle(req); }, limits,
          &metrics_) {
  // One wake per committed group of case writes, not one per write (write_group.h).
  case_writes_.set_after_commit([this] {
    if (services_.case_written) services_.case_written();
  });
  add_standard_collectors(metrics_);
  register_ops_routes(router_, services_);
  register_outbox_routes(router_, services_);
  register_case_routes(router_, services_);
  register_import_routes(router_, services_);
  register_calendar_routes(router_, services_);
  register_duty_routes(router_, services_);
  register_report_routes(router_, services_);
}

}  // namespace fangfan
