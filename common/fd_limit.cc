#include "common/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>

#include "common/log.h"

namespace wsr {
namespace {

// The kernel's ceiling for RLIMIT_NOFILE (fs.nr_open); kMaxSoftFdLimit when unreadable.
uint64_t KernelFdCeiling() {
  std::ifstream f("/proc/sys/fs/nr_open");
  uint64_t n = 0;
  if (f >> n && n > 0) return n;
  return kMaxSoftFdLimit;
}

}  // namespace

FdLimit RaiseFdLimit() {
  rlimit now{};
  FdLimit out;
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) return out;
  out.soft_before = now.rlim_cur;
  out.soft = now.rlim_cur;
  out.hard = now.rlim_max;
  uint64_t target = std::min<uint64_t>({now.rlim_max, kMaxSoftFdLimit, KernelFdCeiling()});
  if (target > now.rlim_cur) {
    rlimit next = now;
    next.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &next) == 0) out.soft = target;
  }
  return out;
}

uint64_t ConnectionsThatFit(uint64_t limit, int fds_per_connection) {
  if (fds_per_connection <= 0 || limit <= kReservedFds) return 0;
  return (limit - kReservedFds) / static_cast<uint64_t>(fds_per_connection);
}

std::string FdHeadroomWarning(const FdLimit& limit, const std::string& command,
                              int fds_per_connection, uint64_t want_connections) {
  const uint64_t fit = ConnectionsThatFit(limit.soft, fds_per_connection);
  if (fit >= want_connections) return "";
  const uint64_t need = want_connections * static_cast<uint64_t>(fds_per_connection) + kReservedFds;
  std::string line =
      command + ": the open-file limit (" + std::to_string(limit.soft) +
      ") leaves room for about " + std::to_string(fit) + " connections (" +
      std::to_string(fds_per_connection) + " descriptor" + (fds_per_connection == 1 ? "" : "s") +
      " each), fewer than " + std::to_string(want_connections) +
      "; more are refused. Raise it before starting: ulimit -n " + std::to_string(need);
  if (need > limit.hard) {
    line += " (above the hard limit " + std::to_string(limit.hard) +
            ": needs root or CAP_SYS_RESOURCE)";
  }
  return line;
}

void LogFdHeadroom(const FdLimit& limit, const std::string& command, int fds_per_connection,
                   uint64_t want_connections) {
  if (limit.soft != limit.soft_before) {
    log::Info("open-file limit raised from " + std::to_string(limit.soft_before) + " to " +
              std::to_string(limit.soft) + " (the hard limit " + std::to_string(limit.hard) + ")");
  } else {
    log::Info("open-file limit " + std::to_string(limit.soft) + " (hard limit " +
              std::to_string(limit.hard) + ")");
  }
  std::string warning = FdHeadroomWarning(limit, command, fds_per_connection, want_connections);
  if (!warning.empty()) log::Warn(warning);
}

}  // namespace wsr
