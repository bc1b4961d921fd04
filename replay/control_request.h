// The replay control endpoint's requests as values: ParseControlRequest turns the method, the
// path after `/__wsreplay/` and the query arguments (already taken apart and URL-decoded by
// libwebsockets) into a ControlRequest, or a ControlError with the HTTP status and one-line
// message to answer. The lws glue in control_endpoint.cc only extracts the arguments and
// carries the request out; this part is sans-I/O, unit-tested and fuzzed
// (fuzz/control_request_fuzz.cc). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/duration.h"
#include "replay/fault_spec.h"

namespace wsr::replay {

// The longest single advance (POST advance?ms=N, ReplayServer::Advance).
inline constexpr int64_t kMaxAdvanceMs = kMaxDurationMs;

struct ControlRequest {
  enum class Kind {
    kStatus,
    kReport,
    kAdvance,
    kStep,
    kPause,
    kResume,
    kSpeed,
    kFault,   // POST fault?spec=ACTION@TRIGGER[,conn=K]
    kBreak,   // POST break?spec=TRIGGER[,conn=K]
    kUnbreak  // DELETE break?spec=TRIGGER[,conn=K]
  };
  Kind kind = Kind::kStatus;
  int64_t advance_ms = 0;  // kAdvance: 0 to kMaxAdvanceMs
  double speed = 0;        // kSpeed (0 = as fast as possible)
  FaultSpec fault;         // kFault, kBreak, kUnbreak
};

struct ControlError {
  int status = 400;        // 400 bad argument, 404 unknown endpoint, 405 wrong method
  std::string message;     // one line
  std::string allow = "";  // 405: the method to use, for the Allow header
};

struct ControlArgs {
  std::optional<std::string> ms = std::nullopt;    // ?ms=
  std::optional<std::string> x = std::nullopt;     // ?x=
  std::optional<std::string> spec = std::nullopt;  // ?spec=
};

std::variant<ControlRequest, ControlError> ParseControlRequest(std::string_view method,
                                                               std::string_view what,
                                                               const ControlArgs& args);

// The endpoints, for the 404 answer's list.
inline constexpr const char* kControlEndpoints[] = {"GET status",
                                                    "GET report",
                                                    "POST advance?ms=N",
                                                    "POST step",
                                                    "POST pause",
                                                    "POST resume",
                                                    "POST speed?x=F",
                                                    "POST fault?spec=ACTION@TRIGGER",
                                                    "POST break?spec=TRIGGER",
                                                    "DELETE break?spec=TRIGGER"};

}  // namespace wsr::replay
