// ReplayOptions: every knob of a replay (the `wsreplay replay` flags), as a value type.
// Parsing helpers turn flag text into options and throw wsr::Error with a one-line message.
// No thread-safety concerns (plain data).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "replay/fault_spec.h"

namespace wsr::replay {

enum class OnMismatch { kReplyError, kClose };
enum class Protocol { kAuto, kRaw };
enum class Order { kConnection, kTopic };
// How request bodies of plain HTTP requests are compared with the recorded ones
// (--match-body; http_matcher.h).
enum class BodyMatch { kJson, kExact, kNone };
// After a fault ends a connection: the reconnect resumes the same recorded connection, or is
// served the next recorded connection (as any reconnect is without faults).
enum class AfterFault { kResume, kNext };

struct ReplayOptions {
  std::optional<std::string> session = std::nullopt;  // the only session when unset
  double speed = 1.0;         // recorded gaps are divided by speed; 0 = "max"
  int64_t max_gap_ns = 0;     // 0 = no cap on a single wait
  bool manual_clock = false;  // time moves only by Advance/Step
  OnMismatch on_mismatch = OnMismatch::kReplyError;
  bool strict = false;  // mismatches/undelivered make the exit non-zero
  Protocol protocol = Protocol::kAuto;
  int64_t join_timeout_ns = 5'000'000'000;
  Order order = Order::kConnection;
  std::vector<std::string> ignore_json = {};  // JSON pointers ignored when comparing client frames
  std::vector<FaultSpec> faults = {};         // --fault (ParseFaultSpec)
  std::vector<FaultSpec> breaks = {};         // --break (ParseBreakSpec)
  AfterFault after_fault = AfterFault::kResume;
  BodyMatch match_body = BodyMatch::kJson;  // --match-body
  // --causality on|off: pushes wait for the HTTP requests recorded before them and responses
  // for the pushes recorded before them (causal_gate.h); off: time and joins only, responses
  // at once.
  bool causality = true;

  bool max_speed() const { return speed <= 0; }
};

// "1", "10", "0.5", "max" -> speed (0 means max). Throws wsr::Error.
double ParseSpeed(const std::string& text);
OnMismatch ParseOnMismatch(const std::string& text);
Protocol ParseProtocol(const std::string& text);
Order ParseOrder(const std::string& text);
AfterFault ParseAfterFault(const std::string& text);
BodyMatch ParseBodyMatch(const std::string& text);  // "json" | "exact" | "none"
bool ParseCausality(const std::string& text);       // "on" | "off"
const char* BodyMatchName(BodyMatch m);
std::string SpeedText(double speed);  // "max", "1x", "2.5x"

// Close code used when --on-mismatch close ends a connection.
inline constexpr int kMismatchCloseCode = 4400;

}  // namespace wsr::replay
