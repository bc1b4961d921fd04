// LoadClient: the benchmark's WebSocket load generator (libwebsockets client, one thread).
//
// One Run() opens `connections` connections to a ws:// URL and, depending on the plan,
//  - keeps `in_flight` messages of `message_size` bytes outstanding per connection, sending
//    a new one each time one comes back (throughput: pipelined; latency: in_flight = 1 with
//    round-trip times recorded), or
//  - only receives (message_size = 0), e.g. frames pushed by `wsreplay replay`.
// It stops at the deadline, or once every connection got `stop_after_messages`, or closed.
//
// Not thread-safe; Run() blocks the calling thread and owns its lws context for its duration.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wsr::bench {

struct LoadPlan {
  std::string url;  // ws://HOST:PORT[/path]
  int connections = 1;
  size_t message_size = 0;  // 0: receive only
  bool binary = false;      // text messages of 'x' by default
  int in_flight = 1;
  double warmup_seconds = 0;         // messages in the first moments are not counted
  double seconds = 0;                // measurement window; 0: until stop_after_messages
  uint64_t stop_after_messages = 0;  // per connection; 0: time only
  double timeout_seconds = 60;       // hard limit for the whole run
  bool record_rtt = false;           // round-trip time of every counted message
  bool record_arrivals = false;      // arrival time of every message on connection 0
  // Called after every received message with the total received bytes so far.
  std::function<void(uint64_t total_bytes)> on_message;
};

struct LoadResult {
  std::string error;                 // first connect/handshake error; "" when all connected
  int established = 0;               // connections that completed the handshake
  uint64_t messages = 0;             // complete messages received in the window
  uint64_t bytes = 0;                // payload bytes received in the window
  double window_seconds = 0;         // length of the measurement window
  std::vector<double> rtt_us;        // record_rtt
  int64_t established_ns = 0;        // connection 0 handshake done (steady clock)
  std::vector<int64_t> arrivals_ns;  // record_arrivals (steady clock)
  bool timed_out = false;

  double MessagesPerSecond() const {
    return window_seconds > 0 ? static_cast<double>(messages) / window_seconds : 0;
  }
};

LoadResult RunLoad(const LoadPlan& plan);

// Steady clock in ns (the clock arrivals_ns use).
int64_t NowNs();

}  // namespace wsr::bench
