// `wsreplay stats`: frame counts per topic and event, rates and the distribution of gaps
// between consecutive data frames of a session; control frames (pings, pongs, closes),
// compressed frames and RFC 6455 violations counted apart; the session's HTTP exchanges by
// status class with their latency percentiles. Pure computation over a frame stream plus text
// and JSON formatters; not thread-safe (reads a Cassette).
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

struct DirectionCounts {
  int64_t c2s = 0, s2c = 0;
  int64_t total() const { return c2s + s2c; }
};

// The REST half of a session: HTTP exchanges by status class and their latency (request start
// to response end).
struct ExchangeStats {
  int64_t exchanges = 0;
  // "1xx" .. "5xx", and "none" for an exchange with no response (the client went away).
  std::map<std::string, int64_t> status_classes;
  std::map<std::string, int64_t> methods;  // "GET" -> exchanges
  // Latency of the exchanges with a response, nearest-rank.
  int64_t answered = 0, latency_p50_ns = 0, latency_p90_ns = 0, latency_p99_ns = 0,
          latency_max_ns = 0;
};

struct SessionStats {
  std::string session;
  int connections = 0;
  // Data frames (text, binary) only; control frames are counted below.
  int64_t frames = 0, c2s = 0, s2c = 0, bytes = 0;
  DirectionCounts pings, pongs, closes;            // control frames (opcodes 9, 10, 8)
  int64_t compressed = 0;                          // frames (data or control) sent compressed
  int64_t violations = 0;                          // frames that broke RFC 6455
  std::map<std::string, int64_t> violation_notes;  // note -> frames
  int64_t duration_ns = 0;                   // the session's duration, else the last frame's offset
  std::map<std::string, TopicStats> topics;  // "" = frames that are not Phoenix messages
  // Gaps between consecutive frames (all connections, offset order), nearest-rank.
  int64_t gaps = 0, gap_p50_ns = 0, gap_p90_ns = 0, gap_p99_ns = 0, gap_max_ns = 0;
  ExchangeStats http;
};

SessionStats ComputeStats(cassette::Cassette& c, const cassette::Session& s);
// Nearest-rank percentile of sorted values (p in 0..100); 0 when empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);
std::string FormatStats(const SessionStats& st);
// The same numbers as one JSON object (durations in ns; keys as the struct fields).
std::string FormatStatsJson(const SessionStats& st);

}  // namespace wsr::tools
