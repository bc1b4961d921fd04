// fuzz-libs: wsr_replay
// fuzz-options: -max_len=256 -dict=fuzz/dict/control.dict
//
// Fuzzes the replay control endpoint's request parsing (replay/control_request.h): the input
// is split at NUL bytes into method, endpoint name and the ?ms= / ?x= arguments (absent when
// the input has fewer parts). Checks, beyond "no crash, no exception, no sanitizer report":
// an error has a 4xx status and a non-empty one-line message; an advance is never negative;
// a speed is never negative or NaN.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "replay/control_request.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "control_request_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= in.size() && parts.size() < 4; ++i) {
    if (i == in.size() || in[i] == '\0') {
      parts.emplace_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  while (parts.size() < 2) parts.emplace_back();
  wsr::replay::ControlArgs args;
  if (parts.size() > 2) args.ms = parts[2];
  if (parts.size() > 3) args.x = parts[3];
  auto r = wsr::replay::ParseControlRequest(parts[0], parts[1], args);
  if (auto* e = std::get_if<wsr::replay::ControlError>(&r)) {
    if (e->status < 400 || e->status > 499) Fail("error status outside 4xx");
    if (e->message.empty()) Fail("empty error message");
    if (e->message.find('\n') != std::string::npos) Fail("multi-line error message");
  } else {
    const auto& req = std::get<wsr::replay::ControlRequest>(r);
    if (req.advance_ms < 0) Fail("negative advance");
    if (std::isnan(req.speed) || req.speed < 0) Fail("bad speed");
  }
  return 0;
}
