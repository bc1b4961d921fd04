#include "replay/fault_spec.h"

#include "common/duration.h"
#include "common/error.h"
#include "common/terminal_text.h"

namespace wsr::replay {
namespace {

using Result = std::variant<FaultSpec, std::string>;

// A decimal integer without sign or spaces, at most 9 digits.
std::optional<int64_t> ParseCount(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;  // no sign, space, "inf"
  try {
    int64_t ns = ParseDurationNs(s);
    if (ns < 0 || ns > 24LL * 3600 * 1'000'000'000) return std::nullopt;
    return ns;
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Exact text ParseDuration reads back: "2s", "250ms", "500us", "7ns".
std::string DurationText(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string Quote(std::string_view s) { return "'" + EscapeControls(s.substr(0, 80)) + "'"; }

// Splits "name:args" at the first ':'.
std::pair<std::string_view, std::optional<std::string_view>> SplitName(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return {s, std::nullopt};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

// Parses the action part; "" on success, else what is wrong.
std::string ParseAction(std::string_view text, FaultSpec* f) {
  // Not a structured binding: the lambda below captures these, which clang 14 (the fuzz
  // build's compiler) refuses for bindings.
  const auto split = SplitName(text);
  const auto& name = split.first;
  const auto& arg = split.second;
  using A = FaultSpec::Action;
  auto no_arg = [&](A a) -> std::string {
    if (arg) return "action " + Quote(name) + " takes no argument, got " + Quote(text);
    f->action = a;
    return "";
  };
  if (name == "drop") return no_arg(A::kDrop);
  if (name == "skip") return no_arg(A::kSkip);
  if (name == "duplicate") return no_arg(A::kDuplicate);
  if (name == "stall") return no_arg(A::kStall);
  if (name == "close") {
    if (!arg) return "close needs a code, e.g. close:1012";
    auto [code_text, reason] = SplitName(*arg);
    auto code = ParseCount(code_text);
    if (!code || *code < 1000 || *code > 4999) {
      return "close code " + Quote(code_text) + " is not a number from 1000 to 4999";
    }
    if (*code == 1004 || *code == 1005 || *code == 1006 || *code == 1015) {
      return "close code " + std::to_string(*code) +
             " cannot be sent in a close frame (use drop for a 1006 at the client)";
    }
    if (reason && reason->size() > 123) return "close reason longer than 123 bytes";
    f->action = A::kClose;
    f->close_code = static_cast<int>(*code);
    f->close_reason = reason ? std::string(*reason) : "";
    return "";
  }
  if (name == "delay") {
    auto d = arg ? ParseDuration(*arg) : std::nullopt;
    if (!d || *d <= 0) {
      return "delay needs a positive duration such as 250ms or 2s, got " +
             (arg ? Quote(*arg) : std::string("nothing"));
    }
    f->action = A::kDelay;
    f->delay_ns = *d;
    return "";
  }
  if (name == "refuse") {
    auto s = arg ? ParseCount(*arg) : std::nullopt;
    if (!s || *s < 400 || *s > 599) {
      return "refuse needs an HTTP status from 400 to 599 (e.g. refuse:429), got " +
             (arg ? Quote(*arg) : std::string("nothing"));
    }
    f->action = A::kRefuse;
    f->refuse_status = static_cast<int>(*s);
    return "";
  }
  return "unknown action " + Quote(name);
}

std::string ParseTrigger(std::string_view text, bool for_break, FaultSpec* f) {
  auto [name, arg] = SplitName(text);
  using T = FaultSpec::Trigger;
  if (name == "frame" || name == "connect") {
    auto n = arg ? ParseCount(*arg) : std::nullopt;
    if (!n || *n < 1) {
      return "trigger " + std::string(name) + " needs a count from 1, got " +
             (arg ? Quote(*arg) : std::string("nothing"));
    }
    if (name == "frame") {
      f->trigger = T::kFrame, f->frame_n = *n;
    } else {
      if (for_break) return "connect:N is not a breakpoint trigger";
      f->trigger = T::kConnect, f->connect_n = *n;
    }
    return "";
  }
  if (name == "event") {
    if (!arg || arg->empty() || (*arg)[0] == ':')
      return "event needs a name, e.g. event:message_created";
    auto [event, prefix] = SplitName(*arg);
    f->trigger = T::kEvent;
    f->event = std::string(event);
    f->topic_prefix = prefix ? std::string(*prefix) : "";
    return "";
  }
  if (name == "time") {
    auto d = arg ? ParseDuration(*arg) : std::nullopt;
    if (!d) {
      return "time needs a duration such as 250ms or 2s, got " +
             (arg ? Quote(*arg) : std::string("nothing"));
    }
    f->trigger = T::kTime, f->time_ns = *d;
    return "";
  }
  if (name == "mismatch" && for_break) {
    if (arg) return "mismatch takes no argument";
    f->trigger = T::kMismatch;
    return "";
  }
  if (text.empty()) return "the trigger is missing";
  return "unknown trigger " + Quote(name);
}

// ",conn=K" options after the trigger; "" on success.
std::string ParseOptions(std::string_view opts, FaultSpec* f) {
  while (!opts.empty()) {
    size_t comma = opts.find(',');
    std::string_view o = opts.substr(0, comma);
    opts = comma == std::string_view::npos ? std::string_view() : opts.substr(comma + 1);
    if (o.substr(0, 5) != "conn=") return "unknown option " + Quote(o) + " (only conn=K)";
    auto k = ParseCount(o.substr(5));
    if (!k || *k < 1 || *k > 1'000'000) return "conn needs a connection number from 1";
    if (f->conn) return "conn given twice";
    f->conn = static_cast<int>(*k);
  }
  return "";
}

Result Fail(const char* what, std::string_view text, const std::string& why, const char* grammar) {
  return std::string("bad ") + what + " " + Quote(text) + ": " + why + "; grammar: " + grammar;
}

Result ParseTail(std::string_view text, std::string_view tail, bool for_break, FaultSpec f) {
  const char* what = for_break ? "breakpoint" : "fault";
  const char* grammar = for_break ? kBreakGrammar : kFaultGrammar;
  size_t comma = tail.find(',');
  std::string_view trigger = tail.substr(0, comma);
  std::string err = ParseTrigger(trigger, for_break, &f);
  if (err.empty() && comma != std::string_view::npos) {
    err = ParseOptions(tail.substr(comma + 1), &f);
    if (err.empty() && f.conn && f.trigger == FaultSpec::Trigger::kConnect) {
      err = "conn=K does not apply to connect:N (it counts every upgrade attempt)";
    }
  }
  if (err.empty() && !for_break) {
    bool refuse = f.action == FaultSpec::Action::kRefuse;
    bool connect = f.trigger == FaultSpec::Trigger::kConnect;
    if (refuse && !connect) err = "refuse needs the trigger connect:N";
    if (!refuse && connect) err = "connect:N goes with refuse:STATUS only";
  }
  if (!err.empty()) return Fail(what, text, err, grammar);
  return f;
}

}  // namespace

Result ParseFaultSpec(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos) {
    return Fail("fault", text, "missing '@' between ACTION and TRIGGER", kFaultGrammar);
  }
  FaultSpec f;
  std::string err = ParseAction(text.substr(0, at), &f);
  if (!err.empty()) return Fail("fault", text, err, kFaultGrammar);
  return ParseTail(text, text.substr(at + 1), false, std::move(f));
}

Result ParseBreakSpec(std::string_view text) {
  FaultSpec f;
  f.action = FaultSpec::Action::kBreak;
  return ParseTail(text, text, true, std::move(f));
}

std::string FaultSpec::TriggerText() const {
  switch (trigger) {
    case Trigger::kFrame:
      return "frame:" + std::to_string(frame_n);
    case Trigger::kEvent:
      return "event:" + event + (topic_prefix.empty() ? "" : ":" + topic_prefix);
    case Trigger::kTime:
      return "time:" + DurationText(time_ns);
    case Trigger::kConnect:
      return "connect:" + std::to_string(connect_n);
    case Trigger::kMismatch:
      return "mismatch";
  }
  return "";
}

std::string FaultSpec::ToString() const {
  std::string a;
  switch (action) {
    case Action::kClose:
      a = "close:" + std::to_string(close_code) + (close_reason.empty() ? "" : ":" + close_reason);
      break;
    case Action::kDrop:
      a = "drop";
      break;
    case Action::kDelay:
      a = "delay:" + DurationText(delay_ns);
      break;
    case Action::kSkip:
      a = "skip";
      break;
    case Action::kDuplicate:
      a = "duplicate";
      break;
    case Action::kStall:
      a = "stall";
      break;
    case Action::kRefuse:
      a = "refuse:" + std::to_string(refuse_status);
      break;
    case Action::kBreak:
      break;
  }
  std::string s = a.empty() ? TriggerText() : a + "@" + TriggerText();
  if (conn) s += ",conn=" + std::to_string(conn);
  return s;
}

}  // namespace wsr::replay
