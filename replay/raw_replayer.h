// RawReplayer: replays a non-Phoenix recorded connection.
//
// Client frames are matched in recorded order, by bytes (or as JSON ignoring
// --ignore-json pointers). Each recorded server frame is released once every client frame
// recorded before it has arrived, at its recorded offset (shifted by how late the client's
// latest frame was, so response latencies survive). A server-initiated close is replayed at its
// offset after the last server frame. A recorded server ping or pong is a server frame like the
// others (sent as a control frame); the client's recorded pings and pongs are not matched. A
// server frame recorded after the response to a client
// HTTP request also waits for that request (causal_gate.h), keeping its recorded delay.
//
// Streams the recorded connection through ONE cursor over both directions in seq order: a
// server frame is known to be free of earlier client frames once it is read, whatever the
// recording (a per-direction cursor would scan the whole connection to find its first client
// frame when the client sent none: 490 ms for 1,000,000 frames). The next recorded client frame
// is looked up only when a live client frame must be matched: by reading up to kLookahead
// server frames ahead, then, further away, with a client-direction cursor. Memory stays bounded
// by kLookahead frames. Not thread-safe (service thread); `source` must outlive it.
#pragma once

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>

#include "replay/engine.h"

namespace wsr::replay {

class RawReplayer final : public ConnectionReplayer {
 public:
  RawReplayer(cassette::SessionSource& source, const cassette::Connection& recorded,
              const ReplayOptions& options, std::shared_ptr<const ResumeFrom> resume = nullptr,
              const CausalGate* gate = nullptr);

  nlohmann::json Status(int64_t now) override;

 private:
  void OnMessage(int64_t now, int opcode, std::string_view data, std::vector<Action>* out) override;
  void PollFrames(int64_t now, std::vector<Action>* out) override;
  std::optional<int64_t> NextFrameDeadline() override;
  bool StepFrame(int64_t now, std::vector<Action>* out) override;
  bool FramesDone() const override { return !pending_ && !expected_; }
  int64_t CloseDelay() const override { return delay_; }
  void ListUndelivered() override;

  // Reads until a server frame is pending (or the recording ended), keeping the client frames
  // met on the way, and makes the first unmatched one expected_.
  void Fill();
  // The next server frame of the stream; client frames met on the way go to clients_.
  bool NextServerFrame(cassette::Frame* f);
  void TakeClient(cassette::Frame f);
  void TakeExpected();  // expected_ = the front of clients_, when it is free
  // expected_ = the next recorded client frame, wherever it is (a live client frame came).
  void LookUpExpected();
  static constexpr size_t kLookahead = 4096;
  bool Eligible() const {
    return (!expected_ || expected_->seq > pending_->seq) && CauseMet(pending_cause_);
  }
  // Virtual time the pending frame is due at: its offset, shifted by how late the client's
  // latest frame or the answer to the request that caused it came.
  int64_t PendingDue() const {
    return Rel(pending_->offset_ns) + std::max(delay_, CauseDelay(pending_cause_));
  }
  void Release(int64_t now, int64_t deadline, std::vector<Action>* out);

  cassette::SessionSource* source_;
  std::unique_ptr<cassette::FrameStream> stream_;         // both directions, seq order
  std::unique_ptr<cassette::FrameStream> client_cursor_;  // LookUpExpected's far search
  bool stream_done_ = false;
  std::deque<cassette::Frame> clients_;  // read, not yet matched, after expected_
  std::deque<cassette::Frame> servers_;  // read ahead by LookUpExpected, after pending_
  int64_t client_seq_ = -1;              // the last client frame taken (from either cursor)
  // expected_: the next recorded client frame not matched yet; pending_: the next server frame.
  std::optional<cassette::Frame> expected_, pending_;
  int pending_cause_ = -1;  // the exchange pending_ waits for (causal_gate.h), -1: none
  int64_t delay_ = 0;       // how late (virtual ns) the client's latest matched frame came
  int64_t matched_ = 0;
};

}  // namespace wsr::replay
