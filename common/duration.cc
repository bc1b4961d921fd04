#include "common/duration.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.h"

namespace wsr {

int64_t ParseDurationNs(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  if (end == s.c_str() || !std::isfinite(v) || v < 0) {
    throw Error("bad duration '" + s + "': expected a number with a unit, e.g. 2s, 150ms, 1m");
  }
  double mult;
  if (unit == "ns")
    mult = 1;
  else if (unit == "us")
    mult = 1e3;
  else if (unit == "ms")
    mult = 1e6;
  else if (unit == "s" || unit.empty())
    mult = 1e9;
  else if (unit == "m" || unit == "min")
    mult = 60e9;
  else if (unit == "h")
    mult = 3600e9;
  else
    throw Error("bad duration '" + s + "': unknown unit '" + unit + "' (use ns, us, ms, s, m, h)");
  // 2^60 ns (36 years) is the longest span a cassette holds; anything longer would wrap.
  if (v * mult > static_cast<double>(kMaxDurationNs)) {
    throw Error("bad duration '" + s + "': longer than any recording (at most 36 years)");
  }
  return static_cast<int64_t>(std::llround(v * mult));
}

int64_t ParseDurationFlag(std::string_view flag, std::string_view text) {
  try {
    return ParseDurationNs(text);
  } catch (const Error& e) {
    throw Error(std::string(flag) + ": " + e.what());
  }
}

std::string FormatDurationNs(int64_t ns) {
  char buf[64];
  double a = std::abs(static_cast<double>(ns));
  if (a >= 1e9)
    std::snprintf(buf, sizeof buf, "%.3fs", ns / 1e9);
  else if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3fms", ns / 1e6);
  else if (a >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fus", ns / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  return buf;
}

}  // namespace wsr
