// RawReplayer: replays a non-Phoenix recorded connection.
//
// Client frames are matched in recorded order, by bytes (or as JSON ignoring
// --ignore-json pointers). Each recorded server frame is released once every client frame
// recorded before it has arrived, at its recorded offset (shifted by how late the client's
// latest frame was, so response latencies survive). A server-initiated close is replayed at its
// offset after the last server frame. A server frame recorded after the response to a client
// HTTP request also waits for that request (causal_gate.h), keeping its recorded delay. Streams
// both directions through two cursors (one frame of lookahead each). Not thread-safe (service
// thread).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>

#include "replay/engine.h"

namespace wsr::replay {

class RawReplayer final : public ConnectionReplayer {
 public:
  RawReplayer(cassette::SessionSource& source, const cassette::Connection& recorded,
              const ReplayOptions& options, std::shared_ptr<const ResumeFrom> resume = nullptr,
              const CausalGate* gate = nullptr);

  void OnClientMessage(int64_t now, int opcode, std::string_view data,
                       std::vector<Action>* out) override;
  void Poll(int64_t now, std::vector<Action>* out) override;
  std::optional<int64_t> NextDeadline() override;
  bool Step(int64_t now, std::vector<Action>* out) override;
  nlohmann::json Status(int64_t now) override;
  void Finish(int64_t now) override;

 private:
  void Fill();
  bool Eligible() const {
    return (!expected_ || expected_->seq > pending_->seq) && CauseMet(pending_cause_);
  }
  // Virtual time the pending frame is due at: its offset, shifted by how late the client's
  // latest frame or the answer to the request that caused it came.
  int64_t PendingDue() const {
    return Rel(pending_->offset_ns) + std::max(delay_, CauseDelay(pending_cause_));
  }
  bool CloseReady() const { return !pending_ && !expected_ && RecordedCloseRel().has_value(); }
  void Release(int64_t now, int64_t deadline, std::vector<Action>* out);
  void EmitClose(std::vector<Action>* out);

  std::unique_ptr<cassette::FrameStream> client_cursor_, server_cursor_;
  bool client_done_ = false, server_done_ = false;
  std::optional<cassette::Frame> expected_, pending_;
  int pending_cause_ = -1;  // the exchange pending_ waits for (causal_gate.h), -1: none
  int64_t delay_ = 0;       // how late (virtual ns) the client's latest matched frame came
  int64_t matched_ = 0;
};

}  // namespace wsr::replay
