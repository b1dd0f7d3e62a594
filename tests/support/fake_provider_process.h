// fangfan_fake_provider (tests/support/fake_provider_main.cpp) as a child process for process
// tests: started on a loopback port (0: any free one), logging one JSON line per request to
// `log`, stopped with SIGTERM by stop() or the destructor. set_answer() switches a provider's
// answer while it runs (an outage starts or ends) through its /__fake/answer control path.
//
// Failures to start or to switch are reported as gtest failures.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/daemon_process.h"

namespace fangfan::testing {

class FakeProviderProcess {
 public:
  FakeProviderProcess(const std::filesystem::path& program, const std::filesystem::path& dir,
                      const std::filesystem::path& log, std::vector<std::string> extra_args = {},
                      unsigned short port = 0);
  ~FakeProviderProcess() { stop(); }
  FakeProviderProcess(const FakeProviderProcess&) = delete;
  FakeProviderProcess& operator=(const FakeProviderProcess&) = delete;

  unsigned short port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // `provider`'s default answer from now on: "success", "server_error", "drop", ...
  void set_answer(const std::string& provider, const std::string& answer);
  void stop();

 private:
  DaemonProcess process_;
  unsigned short port_ = 0;
};

}  // namespace fangfan::testing
