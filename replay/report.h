// The replay report: per live connection, what was delivered, what was not (and why),
// the client frames the cassette does not have (with explanations), and timing lateness.
// Value types; build on the service thread, copy out to other threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsr::replay {

// Lateness samples (release time - deadline), kept compactly as microseconds.
class LatenessStats {
 public:
  void Add(int64_t ns);
  size_t count() const { return us_.size(); }
  int64_t PercentileNs(double p) const;  // 0 when empty
  int64_t MaxNs() const { return max_ns_; }

 private:
  std::vector<int32_t> us_;
  int64_t max_ns_ = 0;
};

struct UndeliveredFrame {
  int64_t seq = 0;
  int64_t offset_ns = 0;  // recorded, from the recorded connection's open
  std::string what;       // "push room:1 message_created" or an excerpt
  std::string reason;
};

struct MismatchEntry {
  int64_t at_ns = 0;        // live, from this connection's start
  std::string frame;        // excerpt of the client frame
  std::string explanation;  // nearest recorded frame and what differed
  std::string action;       // "replied phx_reply error" / "closed 4400" / "ignored"
};

// A fault or breakpoint that fired (fault_stage.h), and what the client did next.
struct FaultHit {
  int id = 0;        // 1, 2, ... in firing order
  std::string spec;  // canonical spec text (breakpoints: "break TRIGGER")
  bool breakpoint = false;
  int connection = 0;  // live connection it fired on (refuse: the refused attempt)
  int64_t at_ns = 0;   // offset from that connection's open (refuse: 0)
  std::string before;  // the frame it fired before, e.g. "frame 4: push room:A msg (seq 9)"
  std::string effect;  // "closed 1012", "dropped (1006)", "skipped", "paused the clock", ...
  // What the client did next (faults that end or refuse a connection):
  std::optional<int64_t> reconnect_after_ns;  // from the fault to the next upgrade attempt
  int next_connection = 0;                    // the live connection that followed
  std::vector<std::string> rejoined;          // topics joined on it
  int64_t frames_after = 0;  // recorded frames delivered after it (same and next connection)

  nlohmann::json ToJson() const;
  std::string ToText() const;  // one line
};

struct ConnectionReport {
  int live_index = 0;        // 1, 2, ... in order of arrival
  int recorded_ordinal = 0;  // which recorded connection served it (0: none)
  std::string path, query;
  std::string mode;       // "phoenix" | "raw" | "refused"
  int http_status = 101;  // the status answered at the upgrade
  bool open = false;
  int64_t delivered = 0;  // recorded server frames sent (replies and pushes)
  int64_t undelivered_count = 0;
  std::vector<UndeliveredFrame> undelivered;  // the first kMaxListed
  std::vector<MismatchEntry> mismatches;      // the first kMaxListed
  int64_t mismatch_count = 0;
  int64_t heartbeats = 0;
  LatenessStats lateness;
  std::string close;  // how it ended, e.g. "client closed 1000"
  // --after-fault resume: the connection this one resumed / the one that resumed this one
  // (whose report then holds what is still undelivered).
  int resumes = 0, resumed_by = 0;

  static constexpr size_t kMaxListed = 100;
  void AddUndelivered(UndeliveredFrame f);
  void AddMismatch(MismatchEntry m);
};

// A recorded connection no live connection asked for.
struct UnusedConnection {
  int ordinal = 0;
  std::string path, query;
  int64_t server_frames = 0;
};

// A plain HTTP request the cassette had no recorded answer for (http_matcher.h).
struct HttpMismatchEntry {
  int64_t at_ns = 0;        // live, on the server's clock
  std::string request;      // "POST /path?query"
  std::string explanation;  // the nearest recorded request and what differed
  std::string action;       // "answered 501" | "closed the connection"
};

// The REST half of the replay: plain HTTP requests answered from the recorded exchanges.
struct HttpSummary {
  int64_t recorded = 0;  // recorded exchanges in the session
  int64_t answered = 0;  // live requests answered with a recorded response
  int64_t mismatch_count = 0;
  std::vector<HttpMismatchEntry> mismatches;  // the first ConnectionReport::kMaxListed
  // Recorded requests no live request asked for ("#3 GET /x"), the first
  // ConnectionReport::kMaxListed; listed, not a failure.
  int64_t unused_count = 0;
  std::vector<std::string> unused;
  // Recorded exchanges sent as answers, in order ("#2 POST /x -> 201"), the first
  // ConnectionReport::kMaxListed.
  std::vector<std::string> served;
  // Live requests whose recorded response was still held back (causal_gate.h: its time or the
  // pushes recorded before it had not come) when the report was made ("#2 POST /x: waits
  // for ..."), the first ConnectionReport::kMaxListed; counted as undelivered.
  int64_t held_count = 0;
  std::vector<std::string> held;
  // Held responses whose client disconnected before they were due, so they were never sent
  // ("#2 POST /x: response held, client disconnected before it was due"), the first
  // ConnectionReport::kMaxListed; counted as undelivered.
  int64_t abandoned_count = 0;
  std::vector<std::string> abandoned;

  void AddMismatch(HttpMismatchEntry m);
  void AddAbandoned(std::string line);
  nlohmann::json ToJson() const;
};

struct Report {
  std::string cassette, session;
  std::vector<ConnectionReport> connections;
  std::vector<UnusedConnection> unused;
  int64_t refused_upgrades = 0;  // live upgrades nothing in the cassette could serve
  std::vector<FaultHit> faults;  // faults and breakpoints that fired, in order
  HttpSummary http;              // plain HTTP requests (REST); mismatches count as mismatches

  int64_t TotalMismatches() const;   // WebSocket and HTTP
  int64_t TotalUndelivered() const;  // includes frames of unused recorded connections
  bool Clean() const { return TotalMismatches() == 0 && TotalUndelivered() == 0; }
  nlohmann::json ToJson() const;
  std::string ToText() const;  // human-readable, several lines
};

}  // namespace wsr::replay
