#include "replay/control_api.h"

#include <variant>

#include "common/terminal_text.h"
#include "replay/live_page.h"
#include "replay/options.h"
#include "replay/request_guard.h"

namespace wsr::replay {
namespace {

using nlohmann::json;

ControlAnswer ErrorAnswer(int status, const std::string& message) {
  ControlAnswer a;
  a.status = status;
  a.body = json{{"error", message}}.dump() + "\n";
  return a;
}

}  // namespace

ControlAnswer RouteControl(const ControlHttpRequest& req, const ControlSite& site) {
  const std::string& method = req.method;
  const std::string& path = req.path;
  // Guards first: a web page must not drive the replay (request_guard.h).
  auto refusal = CheckHost(req.host, site.listen_host, site.listen_port);
  if (!refusal) refusal = CheckControlOrigin(req.origin, site.listen_host, site.listen_port);
  if (refusal) {
    ControlAnswer a = ErrorAnswer(refusal->status, refusal->message);
    a.warning =
        "refused " + method + " " + EscapeControls(path.substr(0, 200)) + ": " + refusal->message;
    return a;
  }
  if (path == "/__wsreplay" || path == "/__wsreplay/" || path == "/__wsreplay/events") {
    if (method != "GET") {
      ControlAnswer a = ErrorAnswer(405, "use GET for " + path);
      a.allow = "GET";
      return a;
    }
    ControlAnswer a;
    if (path == "/__wsreplay/events") {
      a.event_stream = true;
    } else {
      a.content_type = "text/html; charset=utf-8";
      a.body = LivePageHtml(site.session_name);
    }
    return a;
  }
  const std::string prefix = "/__wsreplay/";
  if (path.rfind(prefix, 0) != 0) {
    ControlAnswer a;
    a.status = 404;
    a.body =
        json{{"error", "not a WebSocket upgrade; this is a wsreplay replay server for session '" +
                           site.session_name + "'"},
             {"recorded_connections",
              site.recorded_listing ? site.recorded_listing() : std::string()},
             {"control", "GET /__wsreplay/status"},
             {"live_page", "/__wsreplay/ (open it in a browser)"}}
            .dump(2) +
        "\n";
    return a;
  }
  auto parsed = ParseControlRequest(method, std::string_view(path).substr(prefix.size()), req.args);
  if (auto* err = std::get_if<ControlError>(&parsed)) {
    ControlAnswer a;
    a.status = err->status;
    a.allow = err->allow;
    json j = {{"error", err->message}};
    if (err->status == 404) j["endpoints"] = kControlEndpoints;
    a.body = j.dump() + "\n";
    return a;
  }
  ControlAnswer a;
  a.apply = std::get<ControlRequest>(parsed);
  return a;
}

ControlAnswer AnswerControl(const ControlRequest& req, const ControlOutcome& outcome) {
  using Kind = ControlRequest::Kind;
  ControlAnswer a;
  json out;
  switch (req.kind) {
    case Kind::kStatus:
      out = outcome.status;
      break;
    case Kind::kReport:
      out = outcome.report;
      break;
    case Kind::kAdvance:
      out = {{"ok", true}, {"advanced_ms", req.advance_ms}, {"status", outcome.status}};
      break;
    case Kind::kStep:
      out = {{"ok", true}, {"stepped", outcome.done}, {"status", outcome.status}};
      break;
    case Kind::kPause:
      out = {{"ok", true}, {"paused", true}};
      break;
    case Kind::kResume:
      out = {{"ok", true}, {"paused", false}};
      break;
    case Kind::kSpeed:
      out = {{"ok", true}, {"speed", SpeedText(req.speed)}};
      break;
    case Kind::kFault:
      out = {{"ok", true}, {"fault", req.fault.ToString()}, {"faults", outcome.faults}};
      break;
    case Kind::kBreak:
      out = {{"ok", true}, {"break", req.fault.ToString()}, {"faults", outcome.faults}};
      break;
    case Kind::kUnbreak:
      if (!outcome.done) {
        a.status = 404;
        out = {{"error", "no breakpoint " + req.fault.ToString()}, {"faults", outcome.faults}};
        break;
      }
      out = {{"ok", true}, {"removed", req.fault.ToString()}, {"faults", outcome.faults}};
      break;
  }
  a.body = out.dump(2) + "\n";
  return a;
}

}  // namespace wsr::replay
