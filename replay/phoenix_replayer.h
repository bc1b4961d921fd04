// PhoenixReplayer: replays a recorded Phoenix Channels v2 connection to a live client.
//
// - Heartbeats are answered at once by the replayer; recorded heartbeats/replies are ignored.
// - The k-th phx_join (phx_leave, other client event) of topic T is answered with the recorded
//   reply to the k-th recorded one, join_ref/ref rewritten to the client's raw tokens; a
//   leave's recorded phx_close follows its reply.
// - Pushes stream from the cassette in recorded order. A push on T is sent as
//   [client's join_ref for T, null, T, event, recorded payload] only while T is joined. Its
//   due time is its recorded offset, shifted by how late the client's join of T was
//   acknowledged (so the gap between join and first push survives a late join); it waits
//   for every earlier push (--order connection) or earlier pushes of its topic (--order
//   topic). A push held for a topic that is not joined --join-timeout after it was due is
//   skipped and reported.
// - A push recorded after the response to a client HTTP request waits for that request
//   (causal_gate.h) and keeps its recorded delay after it; it is never skipped for it (it
//   stays undelivered, and the report names the request, when the client never makes it).
// - Client frames the cassette does not have are answered per --on-mismatch and reported.
// Not thread-safe (service thread).
#pragma once

#include <deque>
#include <map>

#include "replay/engine.h"
#include "replay/phoenix_index.h"

namespace wsr::replay {

class PhoenixReplayer final : public ConnectionReplayer {
 public:
  PhoenixReplayer(cassette::SessionSource& source, const cassette::Connection& recorded,
                  const ReplayOptions& options, std::shared_ptr<const ResumeFrom> resume = nullptr,
                  const CausalGate* gate = nullptr);

  nlohmann::json Status(int64_t now) override;

 private:
  void OnMessage(int64_t now, int opcode, std::string_view data, std::vector<Action>* out) override;
  void PollFrames(int64_t now, std::vector<Action>* out) override;
  std::optional<int64_t> NextFrameDeadline() override;
  bool StepFrame(int64_t now, std::vector<Action>* out) override;
  bool FramesDone() const override { return window_.empty() && cursor_done_; }
  int64_t CloseDelay() const override { return last_delay_; }
  void ListUndelivered() override;

  struct Pending {
    cassette::Frame frame;
    bool phoenix = false;  // parsed as a Phoenix frame
    std::string topic, event;
    int instance = 0;                   // recorded ok-joins of topic before it (0: needs no join)
    int64_t join_reply_rel = 0;         // recorded offset of that join's reply
    std::optional<int64_t> timeout_at;  // join-timeout deadline once seen held
    int cause = -1;                     // the exchange it waits for (causal_gate.h), -1: none
  };
  struct TopicState {
    int joins = 0;  // matched ok joins so far
    bool joined = false;
    std::string join_ref;          // raw token of the client's current join_ref
    std::map<int, int64_t> delay;  // per join instance: virtual ns the ack came late
  };

  void Fill();
  bool Ready(const Pending& p) const;
  int64_t DueVirtual(const Pending& p) const;
  // Indices into window_ of the pushes order allows to go next.
  std::vector<size_t> Candidates() const;
  void Release(int64_t now, size_t i, int64_t deadline, std::vector<Action>* out);
  void Skip(size_t i, const std::string& reason);
  std::string HeldReason(const Pending& p) const;
  // A client frame the recording does not have: ConnectionReplayer::Mismatch, answered (when
  // it has a ref) with a phx_reply error.
  void Mismatch(int64_t now, int opcode, std::string_view data, std::string_view join_ref,
                std::string_view ref, const std::string& topic, std::string explanation,
                std::vector<Action>* out);
  std::string Explain(const std::string& topic, const std::string& event, std::string_view payload,
                      size_t k) const;

  PhoenixIndex index_;
  std::unique_ptr<cassette::FrameStream> cursor_;  // the pushes, streamed
  bool cursor_done_ = false;
  std::deque<Pending> window_;
  size_t window_limit_;
  std::map<std::string, TopicState> topics_;
  std::map<std::pair<std::string, std::string>, size_t> live_counts_;
  int64_t last_delay_ = 0;
};

}  // namespace wsr::replay
