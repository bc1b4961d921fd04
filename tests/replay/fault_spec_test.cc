// The fault and breakpoint grammar (replay/fault_spec.h): every action and trigger, the
// canonical text, and every error (one line naming the wrong part, then the grammar).
#include "replay/fault_spec.h"

#include <gtest/gtest.h>

namespace wsr::replay {
namespace {

using A = FaultSpec::Action;
using T = FaultSpec::Trigger;

FaultSpec Fault(const std::string& text) {
  auto r = ParseFaultSpec(text);
  if (auto* err = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << text << ": " << *err;
    return {};
  }
  return std::get<FaultSpec>(r);
}

std::string FaultError(const std::string& text) {
  auto r = ParseFaultSpec(text);
  auto* err = std::get_if<std::string>(&r);
  if (!err) {
    ADD_FAILURE() << text << " was accepted";
    return "";
  }
  EXPECT_EQ(err->find('\n'), std::string::npos) << *err;
  EXPECT_NE(err->find(std::string("grammar: ") + kFaultGrammar), std::string::npos) << *err;
  return *err;
}

std::string BreakError(const std::string& text) {
  auto r = ParseBreakSpec(text);
  auto* err = std::get_if<std::string>(&r);
  if (!err) {
    ADD_FAILURE() << text << " was accepted";
    return "";
  }
  EXPECT_NE(err->find(kBreakGrammar), std::string::npos) << *err;
  return *err;
}

TEST(FaultSpec, EveryAction) {
  FaultSpec c = Fault("close:1012:service restart@frame:3");
  EXPECT_EQ(c.action, A::kClose);
  EXPECT_EQ(c.close_code, 1012);
  EXPECT_EQ(c.close_reason, "service restart");
  EXPECT_EQ(Fault("close:4000@frame:1").close_reason, "");
  EXPECT_EQ(Fault("drop@frame:1").action, A::kDrop);
  FaultSpec d = Fault("delay:250ms@frame:1");
  EXPECT_EQ(d.action, A::kDelay);
  EXPECT_EQ(d.delay_ns, 250'000'000);
  EXPECT_EQ(Fault("delay:2s@frame:1").delay_ns, 2'000'000'000);
  EXPECT_EQ(Fault("skip@frame:1").action, A::kSkip);
  EXPECT_EQ(Fault("duplicate@frame:1").action, A::kDuplicate);
  EXPECT_EQ(Fault("stall@frame:1").action, A::kStall);
  FaultSpec r = Fault("refuse:429@connect:1");
  EXPECT_EQ(r.action, A::kRefuse);
  EXPECT_EQ(r.refuse_status, 429);
  EXPECT_TRUE(c.ends_connection());
  EXPECT_TRUE(Fault("stall@frame:1").ends_connection());
  EXPECT_FALSE(d.ends_connection());
}

TEST(FaultSpec, EveryTrigger) {
  FaultSpec f = Fault("skip@frame:17");
  EXPECT_EQ(f.trigger, T::kFrame);
  EXPECT_EQ(f.frame_n, 17);
  FaultSpec e = Fault("skip@event:message_created");
  EXPECT_EQ(e.trigger, T::kEvent);
  EXPECT_EQ(e.event, "message_created");
  EXPECT_EQ(e.topic_prefix, "");
  FaultSpec ep = Fault("skip@event:message_created:chat_room:42");
  EXPECT_EQ(ep.event, "message_created");
  EXPECT_EQ(ep.topic_prefix, "chat_room:42");  // prefixes may hold colons
  FaultSpec t = Fault("close:1001@time:1.5s");
  EXPECT_EQ(t.trigger, T::kTime);
  EXPECT_EQ(t.time_ns, 1'500'000'000);
  FaultSpec k = Fault("refuse:503@connect:3");
  EXPECT_EQ(k.trigger, T::kConnect);
  EXPECT_EQ(k.connect_n, 3);
  EXPECT_EQ(Fault("drop@frame:2,conn=2").conn, 2);
  EXPECT_EQ(Fault("drop@frame:2").conn, 0);
}

TEST(FaultSpec, Breakpoints) {
  auto b = std::get<FaultSpec>(ParseBreakSpec("event:message_created:chat_room:"));
  EXPECT_TRUE(b.is_break());
  EXPECT_EQ(b.trigger, T::kEvent);
  EXPECT_EQ(b.topic_prefix, "chat_room:");
  EXPECT_EQ(std::get<FaultSpec>(ParseBreakSpec("frame:4")).frame_n, 4);
  EXPECT_EQ(std::get<FaultSpec>(ParseBreakSpec("mismatch")).trigger, T::kMismatch);
  EXPECT_EQ(std::get<FaultSpec>(ParseBreakSpec("time:2s,conn=3")).conn, 3);
}

TEST(FaultSpec, CanonicalTextParsesBackToTheSameSpec) {
  for (const char* text :
       {"close:1012:service restart@event:message_created:chat_room:", "drop@frame:5,conn=2",
        "delay:250ms@frame:3", "delay:1500us@time:2s", "skip@event:x", "duplicate@frame:1",
        "stall@time:100ms", "refuse:429@connect:1"}) {
    FaultSpec f = Fault(text);
    EXPECT_EQ(f.ToString(), text);
    EXPECT_EQ(Fault(f.ToString()).ToString(), text);
  }
  EXPECT_EQ(std::get<FaultSpec>(ParseBreakSpec("event:m:room,conn=1")).ToString(),
            "event:m:room,conn=1");
  EXPECT_EQ(Fault("delay:2000ms@frame:1").ToString(), "delay:2s@frame:1");
}

TEST(FaultSpec, ErrorsNameTheWrongPart) {
  EXPECT_NE(FaultError("drop").find("missing '@'"), std::string::npos);
  EXPECT_NE(FaultError("explode@frame:1").find("unknown action 'explode'"), std::string::npos);
  EXPECT_NE(FaultError("@frame:1").find("unknown action ''"), std::string::npos);
  EXPECT_NE(FaultError("close@frame:1").find("close needs a code"), std::string::npos);
  EXPECT_NE(FaultError("close:999@frame:1").find("'999' is not a number from 1000 to 4999"),
            std::string::npos);
  EXPECT_NE(FaultError("close:5000@frame:1").find("1000 to 4999"), std::string::npos);
  EXPECT_NE(FaultError("close:abc@frame:1").find("'abc'"), std::string::npos);
  EXPECT_NE(FaultError("close:1006@frame:1").find("use drop"), std::string::npos);
  EXPECT_NE(FaultError("close:1000:" + std::string(124, 'r') + "@frame:1").find("123 bytes"),
            std::string::npos);
  EXPECT_NE(FaultError("drop:now@frame:1").find("takes no argument"), std::string::npos);
  EXPECT_NE(FaultError("skip:1@frame:1").find("takes no argument"), std::string::npos);
  EXPECT_NE(FaultError("delay@frame:1").find("delay needs a positive duration"), std::string::npos);
  EXPECT_NE(FaultError("delay:-1s@frame:1").find("'-1s'"), std::string::npos);
  EXPECT_NE(FaultError("delay:0s@frame:1").find("positive"), std::string::npos);
  EXPECT_NE(FaultError("delay:2parsecs@frame:1").find("'2parsecs'"), std::string::npos);
  EXPECT_NE(FaultError("refuse:200@connect:1").find("400 to 599"), std::string::npos);
  EXPECT_NE(FaultError("refuse@connect:1").find("refuse needs an HTTP status"), std::string::npos);
  EXPECT_NE(FaultError("refuse:429@frame:1").find("refuse needs the trigger connect:N"),
            std::string::npos);
  EXPECT_NE(FaultError("drop@connect:1").find("connect:N goes with refuse"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame:0").find("count from 1"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame:x").find("'x'"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame:-2").find("'-2'"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame").find("nothing"), std::string::npos);
  EXPECT_NE(FaultError("drop@event:").find("event needs a name"), std::string::npos);
  EXPECT_NE(FaultError("drop@event::room").find("event needs a name"), std::string::npos);
  EXPECT_NE(FaultError("drop@time:soon").find("'soon'"), std::string::npos);
  EXPECT_NE(FaultError("drop@").find("trigger is missing"), std::string::npos);
  EXPECT_NE(FaultError("drop@tick:3").find("unknown trigger 'tick'"), std::string::npos);
  EXPECT_NE(FaultError("drop@mismatch").find("unknown trigger 'mismatch'"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame:1,after=2").find("unknown option 'after=2'"), std::string::npos);
  EXPECT_NE(FaultError("drop@frame:1,conn=0").find("conn needs a connection number"),
            std::string::npos);
  EXPECT_NE(FaultError("drop@frame:1,conn=1,conn=2").find("conn given twice"), std::string::npos);
  EXPECT_NE(FaultError("refuse:429@connect:1,conn=1").find("does not apply"), std::string::npos);
  // Control characters in the echoed input stay on one line.
  EXPECT_NE(FaultError("x\n\x1b[2J@frame:1").find("\\x0a"), std::string::npos);
}

TEST(FaultSpec, BreakErrors) {
  EXPECT_NE(BreakError("connect:1").find("not a breakpoint trigger"), std::string::npos);
  EXPECT_NE(BreakError("skip@frame:1").find("unknown trigger 'skip@frame'"), std::string::npos);
  EXPECT_NE(BreakError("mismatch:1").find("takes no argument"), std::string::npos);
  EXPECT_NE(BreakError("").find("trigger is missing"), std::string::npos);
  EXPECT_NE(BreakError("frame:2,conn=x").find("conn needs"), std::string::npos);
}

}  // namespace
}  // namespace wsr::replay
