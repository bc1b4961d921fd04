// FaultSpec: one fault to inject into a replay, or one breakpoint, as a value.
//
// Faults are written `ACTION@TRIGGER[,conn=K]` (kFaultGrammar), breakpoints `TRIGGER[,conn=K]`
// with TRIGGER one of frame:N, event:NAME[:TOPIC-PREFIX], time:DURATION or mismatch.
// ParseFaultSpec/ParseBreakSpec never throw: they return the spec or one line naming the part
// that is wrong followed by the grammar. ToString() gives the canonical text back (what the
// report and the status print). Pure value types and functions; thread-safe. Fuzzed by
// fuzz/fault_spec_fuzz.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace wsr::replay {

struct FaultSpec {
  enum class Action {
    kClose,      // a close frame with close_code / close_reason instead of the frame
    kDrop,       // the TCP connection ends with no close frame (the client sees 1006)
    kDelay,      // the frame and everything after it on the connection come delay_ns later
    kSkip,       // the frame is never sent
    kDuplicate,  // the frame is sent twice
    kStall,      // nothing more is sent (heartbeat replies included) until the client gives up
    kRefuse,     // the upgrade attempt is answered with refuse_status instead of 101
    kBreak,      // a breakpoint: the clock pauses just before the frame goes out
  };
  enum class Trigger {
    kFrame,     // before the frame_n-th server-to-client frame of the connection (1-based)
    kEvent,     // before the first push with `event` on a topic starting with topic_prefix
    kTime,      // at time_ns after the connection opened (live clock), or the first frame after
    kConnect,   // the connect_n-th upgrade attempt of the session (refuse only)
    kMismatch,  // a client frame the cassette does not have (breakpoints only)
  };

  Action action = Action::kSkip;
  int close_code = 1000;
  std::string close_reason;
  int64_t delay_ns = 0;
  int refuse_status = 0;

  Trigger trigger = Trigger::kFrame;
  int64_t frame_n = 0;
  std::string event, topic_prefix;
  int64_t time_ns = 0;
  int64_t connect_n = 0;

  int conn = 0;  // conn=K: only on the K-th live connection (1-based); 0: any connection

  bool is_break() const { return action == Action::kBreak; }
  // Close, drop and stall end the connection (the client reconnects afterwards).
  bool ends_connection() const {
    return action == Action::kClose || action == Action::kDrop || action == Action::kStall;
  }
  // Canonical text: "close:1012:restart@event:message_created:chat_room:,conn=1",
  // breakpoints without "break@": "event:message_created".
  std::string ToString() const;
  std::string TriggerText() const;
};

inline constexpr const char* kFaultGrammar =
    "ACTION@TRIGGER[,conn=K] where ACTION is close:CODE[:REASON] (1000-4999), drop, "
    "delay:DURATION, skip, duplicate, stall or refuse:STATUS (400-599), and TRIGGER is frame:N, "
    "event:NAME[:TOPIC-PREFIX], time:DURATION or connect:N (refuse only); DURATION like 250ms, "
    "2s";
inline constexpr const char* kBreakGrammar =
    "TRIGGER[,conn=K] where TRIGGER is event:NAME[:TOPIC-PREFIX], frame:N, time:DURATION or "
    "mismatch";

// The error is one line: "bad fault 'X': <what is wrong>; grammar: <kFaultGrammar>".
std::variant<FaultSpec, std::string> ParseFaultSpec(std::string_view text);
std::variant<FaultSpec, std::string> ParseBreakSpec(std::string_view text);

}  // namespace wsr::replay
