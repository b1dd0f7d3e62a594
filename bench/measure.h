// What the benchmarks measure a stage by, shared by the programs of bench/:
// the process's resident memory (/proc/self/status), its peak reset, and CPU seconds (the machine
// may be shared, so rows per CPU second is the one-core figure). Linux only.
#pragma once

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace fangfan::bench {

// A field of /proc/self/status in KiB ("VmHWM:", "VmRSS:"); 0 when absent.
inline long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return 0;
}

// Resets the peak resident memory to the current; false when the kernel does not allow it.
inline bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// CPU seconds (user + system) that `who` has used: this process (RUSAGE_SELF), or its children
// waited for (RUSAGE_CHILDREN).
inline double cpu_seconds(int who = RUSAGE_SELF) {
  rusage u{};
  ::getrusage(who, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of the calling thread.
inline double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

// CPU seconds per thread of this process (/proc/self/task, in clock ticks: 10 ms on Linux), by
// thread id with its name.
struct ThreadCpu {
  std::string name;
  double seconds = 0;
};
inline std::map<int, ThreadCpu> threads_cpu() {
  std::map<int, ThreadCpu> out;
  const double tick = double(::sysconf(_SC_CLK_TCK));
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(entry.path() / "stat");
    std::string line;
    std::getline(in, line);
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
      if (i == 14) utime = std::stoll(field);
      if (i == 15) stime = std::stoll(field);
    }
    out[std::stoi(entry.path().filename().string())] = {line.substr(open + 1, close - open - 1),
                                                        double(utime + stime) / tick};
  }
  return out;
}

}  // namespace fangfan::bench
