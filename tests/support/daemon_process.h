// Runs a real fangfand (or any program) as a child process for process tests,
// the way systemd would: with NOTIFY_SOCKET pointing at a datagram socket this
// object owns, so a test sees READY=1, RELOADING=1, STOPPING=1 and WATCHDOG=1
// exactly as systemd does. stderr and stdout go to a log file in the test's
// folder. The destructor kills a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fangfan::testing {

class DaemonProcess {
 public:
  // `dir` holds the notify socket and the log file.
  explicit DaemonProcess(std::filesystem::path dir);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts `program` with `args`; `env` entries are added to the environment.
  // watchdog_usec > 0 also sets WATCHDOG_USEC and WATCHDOG_PID for the child.
  void start(const std::filesystem::path& program, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {}, long watchdog_usec = 0);

  // The next notify datagram containing `needle` (e.g. "READY=1"), or nullopt
  // when none arrives within `timeout`. Earlier datagrams are consumed.
  std::optional<std::string> wait_notify(const std::string& needle,
                                         std::chrono::milliseconds timeout);
  void signal(int sig);
  // The exit status when the child exits within `timeout` (128+N when killed by
  // signal N), else nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path socket_path_;
  std::filesystem::path log_path_;
  int socket_fd_ = -1;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// Runs a program to completion: exit status and combined output.
struct RunResult {
  int status = -1;
  std::string output;
};
RunResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {});

}  // namespace fangfan::testing
