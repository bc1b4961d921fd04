// The replay server's HTTP control API as pure code: RouteControl takes a plain HTTP request
// already taken apart by the transport (method, path, Host and Origin headers, the query
// arguments) and answers it (status, headers, body), or names the state change to apply
// (ControlAnswer::apply: pause, step, a fault, ...); the transport applies it and
// AnswerControl turns what that produced into the answer. Routes: the request guards of
// request_guard.h first (Host, Origin), then GET /__wsreplay/ (the live page),
// /__wsreplay/events (the event stream, which the transport starts), /__wsreplay/<endpoint>
// (control_request.h), and 404 with what the cassette has for anything else.
// No lws, no clock, no I/O: unit-tested without sockets (tests/replay/control_api_test.cc).
// Pure; thread-safe (ControlSite::recorded_listing is called on the caller's thread).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "replay/control_request.h"

namespace wsr::replay {

// A plain HTTP request to the replay server, as the transport took it apart.
struct ControlHttpRequest {
  std::string method;                                // "GET", "POST", "DELETE", ...
  std::string path;                                  // without the query
  std::optional<std::string> host = std::nullopt;    // the Host header, if any
  std::optional<std::string> origin = std::nullopt;  // the Origin header, if any
  ControlArgs args = {};                             // the query arguments, URL-decoded
};

// The answer to send, or the state change to apply first.
struct ControlAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;          // 405: the Allow header
  bool event_stream = false;  // GET /__wsreplay/events: the transport starts the SSE stream
  std::string warning;        // one line for the log ("refused GET /x: ..."), "" for none
  // The state change the request asks for: the transport applies it and sends
  // AnswerControl(*apply, outcome) instead of this answer.
  std::optional<ControlRequest> apply = std::nullopt;
};

// What this server is, for the guards and the 404 answer.
struct ControlSite {
  std::string listen_host;
  int listen_port = 0;
  std::string session_name;
  std::function<std::string()> recorded_listing;  // the recorded connections, for a 404
};

ControlAnswer RouteControl(const ControlHttpRequest& req, const ControlSite& site);

// What applying a ControlRequest produced, as far as its answer shows it.
struct ControlOutcome {
  bool done = true;  // kStep: a frame or a response went; kUnbreak: the breakpoint existed
  nlohmann::json status = nullptr;  // GET status's document (kStatus, kAdvance, kStep)
  nlohmann::json report = nullptr;  // the report as JSON (kReport)
  nlohmann::json faults = nullptr;  // the fault plan's status (kFault, kBreak, kUnbreak)
};

ControlAnswer AnswerControl(const ControlRequest& req, const ControlOutcome& outcome);

}  // namespace wsr::replay
