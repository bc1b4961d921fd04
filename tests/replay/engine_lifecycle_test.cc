// ConnectionReplayer's own lifecycle, with a scripted flavour (no cassette, no socket): the
// recorded close goes after the flavour's last frame at its offset plus the flavour's delay,
// nothing goes after a close or the client's close, mismatches close with 4400 and are
// reported, and Finish() lists the undelivered once.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "common/clock.h"
#include "replay/engine.h"

namespace wsr::replay {
namespace {

constexpr int64_t kMs = 1'000'000;

// Releases its frames at their recorded offsets (ms); "bad" from the client is a mismatch.
class ScriptedReplayer final : public ConnectionReplayer {
 public:
  ScriptedReplayer(const cassette::Connection& recorded, const ReplayOptions& options,
                   std::deque<int64_t> frames_ms, int64_t close_delay_ms = 0)
      : ConnectionReplayer(recorded, options),
        frames_ms_(std::move(frames_ms)),
        close_delay_ms_(close_delay_ms) {}

  nlohmann::json Status(int64_t /*now*/) override { return {{"left", frames_ms_.size()}}; }
  int list_calls = 0;
  int messages = 0;

 private:
  void OnMessage(int64_t now, int opcode, std::string_view data,
                 std::vector<Action>* out) override {
    ++messages;
    if (data == "bad") {
      Mismatch(now, opcode, data, "not recorded", out, [] { return std::string("answered"); });
    }
  }
  void PollFrames(int64_t now, std::vector<Action>* out) override {
    while (!frames_ms_.empty() && DeadlineFor(frames_ms_.front() * kMs) <= now) {
      StepFrame(now, out);
    }
  }
  std::optional<int64_t> NextFrameDeadline() override {
    if (frames_ms_.empty()) return std::nullopt;
    return DeadlineFor(frames_ms_.front() * kMs);
  }
  bool StepFrame(int64_t now, std::vector<Action>* out) override {
    if (frames_ms_.empty()) return false;
    Action a;
    a.payload = "f" + std::to_string(frames_ms_.front());
    out->push_back(a);
    NoteRelease(now, DeadlineFor(frames_ms_.front() * kMs), frames_ms_.front() * kMs, &out->back());
    frames_ms_.pop_front();
    return true;
  }
  bool FramesDone() const override { return frames_ms_.empty(); }
  int64_t CloseDelay() const override { return close_delay_ms_ * kMs; }
  void ListUndelivered() override {
    ++list_calls;
    for (int64_t ms : frames_ms_) report_.AddUndelivered({-1, ms * kMs, "f", "ended"});
  }

  std::deque<int64_t> frames_ms_;
  int64_t close_delay_ms_;
};

cassette::Connection ClosedByUpstream(int code, int64_t at_ms) {
  cassette::Connection c;
  c.opened_ns = 0;
  c.closed_ns = at_ms * kMs;
  c.close_code = code;
  c.close_reason = "bye";
  c.close_initiator = "upstream";
  return c;
}

std::vector<std::string> Payloads(std::vector<Action>* out) {
  std::vector<std::string> v;
  for (const auto& a : *out) v.push_back(a.kind == Action::Kind::kSend ? a.payload : "<close>");
  out->clear();
  return v;
}

TEST(ReplayerLifecycle, RecordedCloseFollowsTheLastFrameAtItsOffsetPlusTheFlavoursDelay) {
  ScriptedReplayer r(ClosedByUpstream(4001, 50), {}, {10, 20}, /*close_delay_ms=*/5);
  r.Start(0);
  std::vector<Action> out;
  EXPECT_EQ(r.NextDeadline(), 10 * kMs);
  r.Poll(20 * kMs, &out);
  EXPECT_EQ(Payloads(&out), (std::vector<std::string>{"f10", "f20"}));
  EXPECT_EQ(r.NextDeadline(), 55 * kMs);  // 50 ms recorded + 5 ms the flavour's delay
  r.Poll(54 * kMs, &out);
  EXPECT_TRUE(out.empty());
  r.Poll(55 * kMs, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(out[0].close_code, 4001);
  EXPECT_EQ(out[0].close_reason, "bye");
  EXPECT_TRUE(r.closing());
  EXPECT_EQ(r.report().close, "replayed server close 4001");
  out.clear();
  // Ended: nothing is scheduled, stepped or polled, and client messages are ignored.
  EXPECT_FALSE(r.NextDeadline().has_value());
  EXPECT_FALSE(r.Step(60 * kMs, &out));
  r.OnClientMessage(60 * kMs, 1, "x", &out);
  EXPECT_EQ(r.messages, 0);
  EXPECT_TRUE(out.empty());
}

TEST(ReplayerLifecycle, AnAbnormalRecordedCloseIsADrop) {
  ScriptedReplayer r(ClosedByUpstream(1006, 5), {}, {});
  r.Start(0);
  std::vector<Action> out;
  ASSERT_TRUE(r.Step(0, &out));  // step releases the close when no frame is left
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Action::Kind::kDrop);
}

TEST(ReplayerLifecycle, NothingGoesAfterTheClientClosed) {
  ScriptedReplayer r(ClosedByUpstream(1000, 50), {}, {10, 20});
  r.Start(0);
  std::vector<Action> out;
  r.OnClientClose(5 * kMs, 1000, "done");
  r.Poll(100 * kMs, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(r.NextDeadline().has_value());
  EXPECT_FALSE(r.Step(100 * kMs, &out));
  EXPECT_EQ(r.report().close, "client closed 1000 (done)");
  r.Finish(100 * kMs);
  r.Finish(100 * kMs);
  EXPECT_EQ(r.list_calls, 1);  // Finish runs once
  EXPECT_EQ(r.report().undelivered.size(), 2u);
  EXPECT_TRUE(r.finished());
  EXPECT_FALSE(r.report().open);
}

TEST(ReplayerLifecycle, MismatchIsAnsweredByTheFlavourOrClosesWith4400) {
  {
    ScriptedReplayer r(cassette::Connection{}, {}, {});
    r.Start(0);
    std::vector<Action> out;
    r.OnClientMessage(kMs, 1, "bad", &out);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(r.closing());
    ASSERT_EQ(r.report().mismatches.size(), 1u);
    EXPECT_EQ(r.report().mismatches[0].action, "answered");
    EXPECT_EQ(r.report().mismatches[0].explanation, "not recorded");
  }
  ReplayOptions o;
  o.on_mismatch = OnMismatch::kClose;
  ScriptedReplayer r(cassette::Connection{}, o, {10});
  r.Start(0);
  std::vector<Action> out;
  r.OnClientMessage(kMs, 1, "bad", &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Action::Kind::kClose);
  EXPECT_EQ(out[0].close_code, kMismatchCloseCode);
  EXPECT_EQ(out[0].close_reason, "not in cassette: not recorded");
  EXPECT_TRUE(r.closing());
  EXPECT_EQ(r.report().mismatches[0].action, "closed 4400");
  out.clear();
  r.Poll(20 * kMs, &out);  // the pending frame never goes after the close
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace wsr::replay
