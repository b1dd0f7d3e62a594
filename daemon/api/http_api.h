// The daemon's HTTP API, assembled in one object: the metrics registry (with the
// standard collectors), the health monitor, the router with /healthz, /metrics
// and the outbox routes, the request handler and the server.
//
// The daemon builds it after the database is open, lets other parts register
// their routes, heartbeats and metrics, then listens and spawns run():
//
//   HttpApi api(io.get_executor(), storage, clock, [&] { return config; },
//               [&] { dispatcher.wake(); }, case_writer, api_limits(*config));
//   api.services().calendar = [&] { return calendar; };        // the calendar routes
//   register_case_routes(api.router(), api.services(), ...);   // later
//   if (auto error = api.listen(config->api_listen)) { log; fail }
//   spawn("api", [&] { return api.run(); });
//
// Lifetime: storage, clock, the case writer and the callbacks must outlive the object; run()
// must have returned (or the io_context been stopped) before it is destroyed.
// Thread-safety: as ApiServer (one loop thread); metrics() and health() may be
// used from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/api/api_context.h"
#include "daemon/api/api_server.h"
#include "daemon/api/metrics.h"
#include "daemon/api/request_handler.h"
#include "daemon/api/router.h"
#include "daemon/tasks/health.h"
#include "daemon/tasks/write_group.h"

namespace fangfan {

// The server's limits with the [api] keys of `config` applied (the rest are ApiLimits' defaults).
ApiLimits api_limits(const Config& config);

class HttpApi {
 public:
  HttpApi(boost::asio::any_io_executor loop, StorageExecutor& storage, const Clock& clock,
          std::function<std::shared_ptr<const Config>()> config,
          std::function<void()> outbox_changed, const CaseWriter& cases, ApiLimits limits = {});
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Add routes here before run().
  Router& router() { return router_; }
  ApiServices& services() { return services_; }
  MetricsRegistry& metrics() { return metrics_; }
  HealthMonitor& health() { return health_; }

  std::optional<std::string> listen(std::string_view address) { return server_.listen(address); }
  // Optional, in addition to TCP (api_server.h).
  std::optional<std::string> listen_unix(const std::filesystem::path& path) {
    return server_.listen_unix(path);
  }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return server_.local_endpoint(); }
  boost::asio::awaitable<void> run() { return server_.run(); }
  void stop() { server_.stop(); }
  std::size_t connection_count() const { return server_.connection_count(); }

 private:
  MetricsRegistry metrics_;
  HealthMonitor health_;
  WriteGroup case_writes_;  // the API's case writes, committed in groups (services().case_writes)
  ApiServices services_;
  Router router_;
  ApiRequestHandler handler_;
  ApiServer server_;
};

}  // namespace fangfan
