#include "tests/support/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fangfan::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void exec_child(const std::filesystem::path& program,
                             const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env, int out_fd,
                             long watchdog_usec) {
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  if (watchdog_usec > 0) {
    setenv("WATCHDOG_USEC", std::to_string(watchdog_usec).c_str(), 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  }
  std::vector<char*> argv;
  std::string p = program.string();
  argv.push_back(p.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(p.c_str(), argv.data());
  _exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

DaemonProcess::DaemonProcess(std::filesystem::path dir)
    : dir_(std::move(dir)), socket_path_(dir_ / "notify.sock"), log_path_(dir_ / "daemon.log") {
  socket_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::filesystem::remove(socket_path_);
  if (socket_path_.string().size() >= sizeof addr.sun_path) {
    throw std::runtime_error("notify socket path too long: " + socket_path_.string());
  }
  std::strcpy(addr.sun_path, socket_path_.c_str());
  if (bind(socket_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind notify socket: " + std::string(strerror(errno)));
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_status_) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (socket_fd_ >= 0) close(socket_fd_);
}

void DaemonProcess::start(const std::filesystem::path& program,
                          const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env, long watchdog_usec) {
  int out = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("cannot open log file " + log_path_.string());
  auto full_env = env;
  full_env["NOTIFY_SOCKET"] = socket_path_.string();
  exit_status_.reset();
  pid_ = fork();
  if (pid_ == 0) exec_child(program, args, full_env, out, watchdog_usec);
  close(out);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

std::optional<std::string> DaemonProcess::wait_notify(const std::string& needle,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{socket_fd_, POLLIN, 0};
    if (poll(&p, 1, int(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(socket_fd_, buf, sizeof buf, 0);
    if (n <= 0) continue;
    std::string msg(buf, size_t(n));
    if (msg.find(needle) != std::string::npos) return msg;
  }
}

void DaemonProcess::signal(int sig) { kill(pid_, sig); }

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      exit_status_ = decode_status(st);
      return exit_status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

bool DaemonProcess::running() { return !wait_exit(std::chrono::milliseconds(0)); }

std::string DaemonProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  char tmpl[] = "/tmp/fangfan-run-XXXXXX";
  int out = mkstemp(tmpl);
  pid_t pid = fork();
  if (pid == 0) exec_child(program, args, env, out, 0);
  int st = 0;
  waitpid(pid, &st, 0);
  close(out);
  std::ifstream in(tmpl);
  std::stringstream s;
  s << in.rdbuf();
  unlink(tmpl);
  return {decode_status(st), s.str()};
}

}  // namespace fangfan::testing
