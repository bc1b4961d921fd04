// CausalGate: the causality between the two halves of a recorded session (issue 9), defined
// once for the replay core. Sans-I/O: built from the session's recorded HTTP exchanges, told
// which ones the live client's requests were answered with (and when, on the replay clock),
// it says which exchange a recorded server frame waits for.
//
// The rule. A server-to-client frame recorded at session offset t is *caused* by the latest
// recorded exchange that
//   - has a response that ended at or before t (Exchange::response_ns <= t), and
//   - is not a safe method (GET, HEAD, OPTIONS, TRACE: by HTTP semantics they change
//     nothing on the server, so they cannot cause a push; a long-poll or a periodic GET
//     never holds the WebSocket half back).
// The frame is not delivered before the live client made the request that matched that
// exchange and it was answered; its recorded delay after that response is kept (scaled by
// --speed): the replayer shifts the frame by how late, in recorded time, the answer came
// (OnExchangeAnswered). A frame whose cause is never requested stays undelivered and the
// report names the request it waited for. Only the latest such exchange is a cause (earlier
// ones are its causes in turn: a client makes its requests in order).
//
// The other way round, a recorded response is not sent before the pushes recorded before it
// were due (ResponseDeadline): not before each live connection's replay reached the
// response's recorded end, nor before the recorded latency after the live request. Under the
// manual clock a response therefore waits for `advance` or `step`, like a frame.
//
// Exchanges are indexed as SessionSource::Exchanges() returns them (request_ns order), the
// same indices as HttpMatcher::recorded().
//
// Ownership and threads: the replay server owns one per session and lends it to every
// replayer (which must not outlive it). Not thread-safe: the service thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cassettes/model.h"

namespace wsr::replay {

class CausalGate {
 public:
  explicit CausalGate(std::vector<cassette::Exchange> exchanges);

  // The exchange (index) a server frame recorded at session offset `offset_ns` waits for;
  // -1 when nothing does.
  int CauseOf(int64_t offset_ns) const;
  // A live request matched exchange `index` (its response may still be held).
  void Requested(int index);
  bool requested(int index) const { return requested_[static_cast<size_t>(index)]; }
  // The live client's request matched exchange `index` and was answered at clock time `now`.
  void Answered(int index, int64_t now);
  bool answered(int index) const { return answered_at_[static_cast<size_t>(index)].has_value(); }
  const cassette::Exchange& exchange(int index) const {
    return exchanges_[static_cast<size_t>(index)];
  }
  // "request #3 POST /api/v1/agent/chats/c1/messages" (what a held frame waits for).
  std::string Describe(int index) const;
  // True for GET, HEAD, OPTIONS, TRACE (never a cause).
  static bool SafeMethod(const std::string& method);

 private:
  std::vector<cassette::Exchange> exchanges_;
  std::vector<std::optional<int64_t>> answered_at_;
  std::vector<bool> requested_;
  // (response_ns, index) of the exchanges that can be causes, by response_ns then index.
  std::vector<std::pair<int64_t, int>> causes_;
};

// When the recorded response of exchange `e` to a live request that arrived at `arrival` may
// be sent, on the replay clock: not before `arrival` + its recorded latency (request head
// complete to response complete) / `speed` (at once when speed <= 0, i.e. max), and not before
// any time in `reached`: when each live connection's replay reaches the response's recorded
// end (ConnectionReplayer::ReachesSessionTime). Timeline::kNever while `paused` or when a
// connection is paused. `decided_by`, when given, gets the index in `reached` of the time that
// set the deadline (what the response waits for), or -1 when its latency did.
int64_t ResponseDeadline(const cassette::Exchange& e, int64_t arrival, double speed, bool paused,
                         const std::vector<int64_t>& reached, int* decided_by = nullptr);

}  // namespace wsr::replay
