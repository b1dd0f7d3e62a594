// fangfan_fake_provider: the loopback fake gateways (fake_providers.h) as a process, for process
// tests and benchmarks. Serves until SIGTERM/SIGINT; prints "listening PORT" on stdout once ready
// and appends one JSON line per request to the --log file.
//
//   fangfan_fake_provider [--port N] [--log FILE] [--answer PROVIDER=ANSWER]... [--delay-ms N]
//                         [--list-token T] [--list-hmac S]
//
// ANSWER: success, rate_limit, permanent, server_error, too_many_requests, delay, drop (the
// provider's default from then on; POST /__fake/answer?provider=P&answer=A changes it while
// running). The secrets are FakeSecrets' defaults; every provider path of fake_providers.h is
// served (WeChat Work robot and app with file uploads, Alibaba and Tencent SMS, the webhook, the
// departments' list endpoints under /lists/, whose bearer token and HMAC secret --list-token and
// --list-hmac set).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "tests/support/fake_providers.h"

int main(int argc, char** argv) {
  using fangfan::testing::FakeAnswer;
  unsigned short port = 0;
  std::string log;
  std::map<std::string, FakeAnswer> defaults;
  int delay_ms = -1;
  fangfan::testing::FakeSecrets secrets;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--port" && has_value) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else if (a == "--log" && has_value) {
      log = argv[++i];
    } else if (a == "--list-token" && has_value) {
      secrets.list_bearer = argv[++i];
    } else if (a == "--list-hmac" && has_value) {
      secrets.list_hmac = argv[++i];
    } else if (a == "--delay-ms" && has_value) {
      delay_ms = std::atoi(argv[++i]);
    } else if (a == "--answer" && has_value) {
      const std::string v = argv[++i];
      const auto eq = v.find('=');
      const auto answer = eq == std::string::npos
                              ? std::nullopt
                              : fangfan::testing::parse_fake_answer(v.substr(eq + 1));
      if (!answer) {
        std::cerr << "fangfan_fake_provider: --answer wants PROVIDER=ANSWER, got " << v << "\n";
        return 2;
      }
      defaults[v.substr(0, eq)] = *answer;
    } else {
      std::cerr << "usage: fangfan_fake_provider [--port N] [--log FILE] "
                   "[--answer PROVIDER=ANSWER]... [--delay-ms N] [--list-token T] "
                   "[--list-hmac S]\n";
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the server thread starts
  fangfan::testing::FakeProviders fake(secrets, port);
  if (!log.empty()) fake.log_to(log);
  if (delay_ms >= 0) fake.set_delay(std::chrono::milliseconds(delay_ms));
  for (const auto& [provider, answer] : defaults) fake.set_default(provider, answer);
  std::cout << "listening " << fake.port() << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
