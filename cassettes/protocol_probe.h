// Which protocol a recorded connection speaks: Phoenix v2 (JSON array frames with a topic) or
// raw WebSocket messages. Replay picks its replayer with it and `lint` decides which
// connections to check, so both classify a connection from the same probe.
//
// The probe looks at the connection's first 50 data frames (control frames excluded) and
// counts those the recorder parsed as Phoenix v2 frames (it stores their topic). Replay
// plays a connection as Phoenix only when all of them are (AllPhoenix: one foreign frame
// and ref rewriting would be wrong); lint checks every connection with any Phoenix frame
// (AnyPhoenix), since a malformed frame in a Phoenix connection is what it must report.
// With no data frames both fall back to the query: `vsn=2` means Phoenix.
//
// Reads through the caller's SessionSource (a CassetteSession or a MemorySession); as
// thread-safe as that source.
#pragma once

#include <cstdint>

#include "cassettes/session_source.h"

namespace wsr::cassette {

inline constexpr int64_t kProtocolProbeFrames = 50;

struct ProtocolProbe {
  int64_t data_frames = 0;     // of the first 50
  int64_t phoenix_frames = 0;  // of those, parsed as Phoenix v2
  bool vsn2_query = false;     // the connection's query asked for vsn=2

  bool AllPhoenix() const { return data_frames == 0 ? vsn2_query : phoenix_frames == data_frames; }
  bool AnyPhoenix() const { return data_frames == 0 ? vsn2_query : phoenix_frames > 0; }
};

ProtocolProbe ProbeProtocol(SessionSource& source, const Connection& recorded);

}  // namespace wsr::cassette
