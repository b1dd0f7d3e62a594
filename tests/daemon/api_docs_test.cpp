// docs/api.md is kept in step with the code: every route the daemon registers has a heading
// "### METHOD /path" there, and every such heading is a route the daemon serves. The router is
// built as fangfand builds it: HttpApi's own routes plus register_daemon_routes().
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC 12 bug 109224 (coroutines)

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "daemon/api/daemon_routes.h"
#include "daemon/tasks/scheduler.h"
#include "tests/daemon/api_test_server.h"

namespace fangfan {
namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "\n  " + i;
  return out;
}

TEST(ApiDocs, EveryServedRouteIsDocumentedAndEveryDocumentedRouteIsServed) {
  boost::asio::io_context idle;  // the scheduler is built as the daemon builds it, never run
  std::unique_ptr<Scheduler> scheduler;
  test::TestApiServer server({}, [&](HttpApi& api) {
    ApiServices& s = api.services();
    scheduler = std::make_unique<Scheduler>(idle.get_executor(), s.storage, s.clock, nullptr,
                                            s.config, s.calendar, [] {});
    register_daemon_routes(api, *scheduler);
  });
  std::set<std::string> served;
  for (const auto& r : server.api().router().routes()) {
    served.insert(std::string(boost::beast::http::to_string(r.method)) + " " + r.pattern);
  }

  std::ifstream in(std::string(FANGFAN_SOURCE_DIR) + "/docs/api.md");
  ASSERT_TRUE(in) << "docs/api.md is missing";
  const std::regex heading(R"(### (GET|POST|PUT|PATCH|DELETE) (/\S*))");
  std::set<std::string> documented, malformed;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("### ", 0) != 0) continue;
    std::smatch m;
    if (!std::regex_match(line, m, heading)) {
      malformed.insert("line " + std::to_string(number) + ": " + line);
      continue;
    }
    const std::string route = m[1].str() + " " + m[2].str();
    EXPECT_TRUE(documented.insert(route).second) << "documented twice: " << route;
  }
  EXPECT_TRUE(malformed.empty()) << "### headings in docs/api.md are routes only (METHOD /path):"
                                 << join(malformed);

  std::set<std::string> undocumented, unserved;
  for (const auto& r : served) {
    if (!documented.count(r)) undocumented.insert(r);
  }
  for (const auto& r : documented) {
    if (!served.count(r)) unserved.insert(r);
  }
  EXPECT_TRUE(undocumented.empty()) << "served but not in docs/api.md:" << join(undocumented);
  EXPECT_TRUE(unserved.empty()) << "in docs/api.md but not served:" << join(unserved);
  EXPECT_GE(served.size(), 20u);
}

}  // namespace
}  // namespace fangfan
