#include "replay/control_request.h"

#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "common/terminal_text.h"
#include "replay/options.h"

namespace wsr::replay {

std::variant<ControlRequest, ControlError> ParseControlRequest(std::string_view method,
                                                               std::string_view what,
                                                               const ControlArgs& args) {
  using Kind = ControlRequest::Kind;
  ControlRequest r;
  bool post = false;
  if (what == "status" || what == "report") {
    if (method != "GET") {
      return ControlError{405, "use GET for /__wsreplay/" + EscapeControls(what), "GET"};
    }
    r.kind = what == "status" ? Kind::kStatus : Kind::kReport;
    return r;
  }
  if (what == "advance") {
    r.kind = Kind::kAdvance, post = true;
  } else if (what == "step") {
    r.kind = Kind::kStep, post = true;
  } else if (what == "pause") {
    r.kind = Kind::kPause, post = true;
  } else if (what == "resume") {
    r.kind = Kind::kResume, post = true;
  } else if (what == "speed") {
    r.kind = Kind::kSpeed, post = true;
  } else if (what == "fault") {
    r.kind = Kind::kFault, post = true;
  } else if (what == "break") {
    if (method != "POST" && method != "DELETE") {
      return ControlError{405, "use POST (add) or DELETE (remove) for /__wsreplay/break",
                          "POST, DELETE"};
    }
    r.kind = method == "POST" ? Kind::kBreak : Kind::kUnbreak;
  } else {
    return ControlError{
        404, "unknown control endpoint /__wsreplay/" + EscapeControls(what.substr(0, 64))};
  }
  if (post && method != "POST") {
    return ControlError{
        405, "use POST for /__wsreplay/" + EscapeControls(what) + " (GET never changes state)",
        "POST"};
  }
  if (r.kind == Kind::kAdvance) {
    const std::string* ms = args.ms ? &*args.ms : nullptr;
    char* end = nullptr;
    errno = 0;
    long long v = ms ? std::strtoll(ms->c_str(), &end, 10) : -1;
    if (!ms || ms->empty() || end == ms->c_str() || *end || errno == ERANGE || v < 0 ||
        v > kMaxAdvanceMs || (*ms)[0] == '+' || (*ms)[0] == ' ') {
      return ControlError{400, "advance needs ?ms=N (an integer from 0 to " +
                                   std::to_string(kMaxAdvanceMs) + ", 36 years)"};
    }
    r.advance_ms = v;
  } else if (r.kind == Kind::kSpeed) {
    if (!args.x) return ControlError{400, "speed needs ?x=F (a positive number or max)"};
    try {
      r.speed = ParseSpeed(*args.x);
    } catch (const Error&) {
      return ControlError{400, "speed needs ?x=F (a positive number or max), got '" +
                                   EscapeControls(args.x->substr(0, 64)) + "'"};
    }
  }
  if (r.kind == Kind::kFault || r.kind == Kind::kBreak || r.kind == Kind::kUnbreak) {
    bool fault = r.kind == Kind::kFault;
    if (!args.spec || args.spec->empty()) {
      return ControlError{400, std::string(fault ? "fault" : "break") +
                                   " needs ?spec=" + (fault ? kFaultGrammar : kBreakGrammar)};
    }
    auto parsed = fault ? ParseFaultSpec(*args.spec) : ParseBreakSpec(*args.spec);
    if (auto* err = std::get_if<std::string>(&parsed)) return ControlError{400, *err};
    r.fault = std::get<FaultSpec>(parsed);
  }
  return r;
}

}  // namespace wsr::replay
