// `wsreplay stats`: frame counts per topic and event, rates and the distribution of gaps
// between consecutive frames of a session. Pure computation over a frame stream plus a text
// formatter; not thread-safe (reads a Cassette).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cassettes/cassette.h"

namespace wsr::tools {

struct TopicStats {
  int64_t frames = 0, c2s = 0, s2c = 0, bytes = 0;
  std::map<std::string, int64_t> events;  // event -> frames
};

struct SessionStats {
  std::string session;
  int connections = 0;
  int64_t frames = 0, c2s = 0, s2c = 0, bytes = 0;
  int64_t duration_ns = 0;  // the session's duration, else the last frame's offset
  std::map<std::string, TopicStats> topics;  // "" = frames that are not Phoenix messages
  // Gaps between consecutive frames (all connections, offset order), nearest-rank.
  int64_t gaps = 0, gap_p50_ns = 0, gap_p90_ns = 0, gap_p99_ns = 0, gap_max_ns = 0;
};

SessionStats ComputeStats(cassette::Cassette& c, const cassette::Session& s);
// Nearest-rank percentile of sorted values (p in 0..100); 0 when empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);
std::string FormatStats(const SessionStats& st);

// Frames per direction for each connection of a session: connection id -> {c2s, s2c}.
std::map<int64_t, std::pair<int64_t, int64_t>> FrameCountsByConnection(cassette::Cassette& c,
                                                                       int64_t session_id);

}  // namespace wsr::tools
