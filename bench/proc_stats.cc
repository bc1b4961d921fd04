#include "bench/proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace wsr::bench {
namespace {

// Fields of /proc/<pid>/stat after the ")" that closes the command name.
std::vector<std::string> StatFields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields;  // fields[0] is state (field 3 of the man page)
}

}  // namespace

double CpuSeconds(pid_t pid) {
  auto f = StatFields(pid);
  if (f.size() < 13) return 0;
  // utime is field 14, stime field 15 -> indexes 11 and 12 here.
  double ticks = std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double RunQueueWaitSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  double run = 0, wait = 0;
  if (!(in >> run >> wait)) return 0;
  return wait / 1e9;
}

std::vector<pid_t> ProcessTree(pid_t pid) {
  std::vector<pid_t> out{pid};
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long child = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    auto f = StatFields(static_cast<pid_t>(child));
    if (f.size() > 1 && std::strtol(f[1].c_str(), nullptr, 10) == pid) {
      out.push_back(static_cast<pid_t>(child));
    }
  }
  closedir(dir);
  return out;
}

Memory ReadMemory(pid_t pid) {
  Memory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_kib = std::strtoll(line.c_str() + 6, nullptr, 10);
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_kib = std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return m;
}

Memory ReadTreeMemory(pid_t pid) {
  Memory total;
  for (pid_t p : ProcessTree(pid)) {
    Memory m = ReadMemory(p);
    total.rss_kib += m.rss_kib;
    total.hwm_kib += m.hwm_kib;
  }
  return total;
}

CpuMeter::CpuMeter(pid_t pid, bool tree)
    : pid_(pid),
      tree_(tree),
      start_cpu_(TreeSeconds()),
      start_wait_(TreeWaitSeconds()),
      start_(std::chrono::steady_clock::now()) {}

double CpuMeter::TreeSeconds() const {
  if (!tree_) return CpuSeconds(pid_);
  double s = 0;
  for (pid_t p : ProcessTree(pid_)) s += CpuSeconds(p);
  return s;
}

double CpuMeter::TreeWaitSeconds() const {
  if (!tree_) return RunQueueWaitSeconds(pid_);
  double s = 0;
  for (pid_t p : ProcessTree(pid_)) s += RunQueueWaitSeconds(p);
  return s;
}

double CpuMeter::WaitPercent() const {
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (wall <= 0) return 0;
  return 100.0 * (TreeWaitSeconds() - start_wait_) / wall;
}

double CpuMeter::Percent() const {
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (wall <= 0) return 0;
  return 100.0 * (TreeSeconds() - start_cpu_) / wall;
}

}  // namespace wsr::bench
