// The control endpoint and the timing controls of ReplayServer::Impl (service thread):
// GET /__wsreplay/status, GET /__wsreplay/report, POST /__wsreplay/advance?ms=N, step, pause,
// resume, speed?x=F, fault?spec=S, break?spec=S and DELETE break?spec=S, the live page
// (GET /__wsreplay/) and its event stream (GET /__wsreplay/events). Every plain HTTP request
// passes the guards of request_guard.h first (Host, Origin). Other plain HTTP requests get 404
// with what the cassette has. The routes and answers are control_api.h (pure); this file
// only takes the request apart (lws) and applies the state change a route asks for.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "replay/control_api.h"
#include "replay/server_impl.h"

namespace wsr::replay {

void ReplayServer::Impl::DoAdvance(int64_t ms) {
  ms = std::clamp<int64_t>(ms, 0, kMaxAdvanceMs);  // the API's callers may pass anything
  int64_t ns = ms * 1'000'000;
  if (manual_) {
    manual_->Advance(ns);
  } else {
    int64_t now = clock_->NowNs();
    for (auto& [wsi, c] : live_) c->s->Skip(now, ns);
  }
  feed_.Control("advanced " + std::to_string(ms) + " ms", clock_->NowNs());
  PollAll();
  NotifySubscribers();
}

bool ReplayServer::Impl::DoStep() {
  int64_t now = clock_->NowNs();
  // A frame held at a breakpoint goes first.
  for (auto& [wsi, c] : live_) {
    if (c->s->close_queued() || !c->s->at_break()) continue;
    if (c->s->StepHeld(now)) {
      Apply(*c);
      Reschedule();
      return true;
    }
  }
  // The connection whose next frame is due first goes first; then any that can go.
  Live* best = nullptr;
  std::optional<int64_t> best_d;
  for (auto& [wsi, c] : live_) {
    if (c->s->close_queued() || c->s->ended_by_fault()) continue;
    auto d = c->s->NextDeadline();
    if (d && (!best_d || *d < *best_d)) {
      best_d = d;
      best = c.get();
    }
  }
  // A held HTTP response due no later than that frame goes instead (causal_gate.h).
  auto held = NextHeldResponse();
  auto step_response = [&] {
    ReleaseResponse(held->second, held_[held->second], now);
    feed_.Control("stepped", now);
    PollAll();
    return true;
  };
  if (held && (!best_d || held->first <= *best_d)) return step_response();
  std::vector<Live*> order;
  if (best) order.push_back(best);
  for (auto& [wsi, c] : live_) {
    if (c.get() != best) order.push_back(c.get());
  }
  for (Live* c : order) {
    if (c->s->close_queued() || c->s->ended_by_fault()) continue;
    if (c->s->Step(now)) {  // publishes "stepped" on the feed
      Apply(*c);
      Reschedule();
      return true;
    }
  }
  if (held) return step_response();
  return false;
}

void ReplayServer::Impl::DoPause() {
  paused_ = true;
  int64_t now = clock_->NowNs();
  for (auto& [wsi, c] : live_) c->s->Pause(now);
  feed_.Control("paused", now);
  NotifySubscribers();
  Reschedule();
}

void ReplayServer::Impl::DoResume() {
  paused_ = false;
  int64_t now = clock_->NowNs();
  for (auto& [wsi, c] : live_) {
    c->s->Resume(now);  // and lets what a breakpoint held go
    Apply(*c);
  }
  feed_.Control("resumed", now);
  NotifySubscribers();
  PollAll();
}

void ReplayServer::Impl::DoSetSpeed(double speed) {
  speed_ = speed;
  int64_t now = clock_->NowNs();
  for (auto& [wsi, c] : live_) c->s->SetSpeed(now, speed);
  feed_.Control("speed " + SpeedText(speed), now);
  NotifySubscribers();
  PollAll();
}

void ReplayServer::Impl::DoAddFault(const FaultSpec& spec) {
  faults_.AddFault(spec);
  PollAll();
}

void ReplayServer::Impl::DoAddBreak(const FaultSpec& spec) {
  faults_.AddBreak(spec);
  PollAll();
}

bool ReplayServer::Impl::DoRemoveBreak(const FaultSpec& spec) {
  bool removed = faults_.RemoveBreak(spec);
  PollAll();
  return removed;
}

nlohmann::json ReplayServer::Impl::DoStatus() {
  using nlohmann::json;
  int64_t now = clock_->NowNs();
  json conns = json::array();
  int64_t delivered = 0, mismatches = 0;
  for (auto& [wsi, c] : live_) {
    json s = c->s->Status(now);
    const ConnectionReport rep = c->s->Report();
    delivered += rep.delivered;
    mismatches += rep.mismatch_count;
    conns.push_back(s);
  }
  json closed = json::array();
  for (const auto& r : reports_) {
    if (r.live_index == 0 || r.open) continue;
    delivered += r.delivered;
    mismatches += r.mismatch_count;
    closed.push_back({{"connection", r.live_index},
                      {"recorded_connection", r.recorded_ordinal},
                      {"path", r.path},
                      {"mode", r.mode},
                      {"delivered", r.delivered},
                      {"undelivered", r.undelivered_count},
                      {"mismatches", r.mismatch_count},
                      {"close", r.close},
                      {"resumed_by", r.resumed_by}});
  }
  json unused = json::array();
  for (size_t i = 0; i < matcher_.recorded().size(); ++i) {
    if (!matcher_.used(i)) unused.push_back(matcher_.recorded()[i].ordinal);
  }
  return {{"session", session_.name},
          {"clock",
           {{"kind", manual_ ? "manual" : "real"},
            {"now_ms", static_cast<double>(now) / 1e6},
            {"paused", paused_},
            {"speed", SpeedText(speed_)}}},
          {"connections", conns},
          {"closed_connections", closed},
          {"faults", faults_.Status()},
          {"unused_recorded_connections", unused},
          {"delivered", delivered},
          {"mismatches", mismatches + http_summary_.mismatch_count},
          {"http", HttpStatus()}};
}

wsr::replay::Report ReplayServer::Impl::DoReport() {
  if (stopped_.load()) return final_report_;
  wsr::replay::Report r;
  r.cassette = source_->origin();
  r.session = session_.name;
  for (auto& [wsi, c] : live_) {
    reports_[static_cast<size_t>(c->s->index() - 1)] = c->s->Report();
  }
  for (const auto& rep : reports_) {
    if (rep.live_index != 0) r.connections.push_back(rep);
  }
  for (size_t i = 0; i < matcher_.recorded().size(); ++i) {
    if (matcher_.used(i)) continue;
    const auto& c = matcher_.recorded()[i];
    UnusedConnection u;
    u.ordinal = c.ordinal;
    u.path = c.path;
    u.query = c.query;
    // Server frames a client would have received (heartbeat replies are not counted).
    try {
      u.server_frames =
          source_->CountFrames(c.id, {.direction = cassette::Direction::kServerToClient,
                                      .include_control = true,
                                      .phoenix = cassette::PhoenixSelect::kNoHeartbeatReplies});
    } catch (const Error&) {
      u.server_frames = 0;  // a read error leaves the count out, never the report
    }
    if (c.http_status.value_or(0) != 101) u.server_frames = 0;
    r.unused.push_back(u);
  }
  r.refused_upgrades = refused_;
  r.faults = faults_.hits();
  r.http = HttpReport();
  return r;
}

namespace {

std::optional<std::string> RequestHeader(lws* wsi, lws_token_indexes token) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return std::nullopt;
  std::string s(static_cast<size_t>(n) + 1, '\0');
  int got = lws_hdr_copy(wsi, s.data(), n + 1, token);
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
}

}  // namespace

ControlOutcome ReplayServer::Impl::ApplyControl(const ControlRequest& req) {
  using Kind = ControlRequest::Kind;
  ControlOutcome o;
  switch (req.kind) {
    case Kind::kStatus:
      o.status = DoStatus();
      break;
    case Kind::kReport:
      o.report = DoReport().ToJson();
      break;
    case Kind::kAdvance:
      DoAdvance(req.advance_ms);
      o.status = DoStatus();
      break;
    case Kind::kStep:
      o.done = DoStep();
      o.status = DoStatus();
      break;
    case Kind::kPause:
      DoPause();
      break;
    case Kind::kResume:
      DoResume();
      break;
    case Kind::kSpeed:
      DoSetSpeed(req.speed);
      break;
    case Kind::kFault:
      DoAddFault(req.fault);
      o.faults = faults_.Status();
      break;
    case Kind::kBreak:
      DoAddBreak(req.fault);
      o.faults = faults_.Status();
      break;
    case Kind::kUnbreak:
      o.done = DoRemoveBreak(req.fault);
      o.faults = faults_.Status();
      break;
  }
  return o;
}

ControlAnswer ReplayServer::Impl::HandleHttp(const std::string& method, const std::string& path,
                                             lws* wsi) {
  auto arg = [&](const char* name) -> std::optional<std::string> {
    char buf[512];
    const char* v = lws_get_urlarg_by_name(wsi, name, buf, sizeof buf);
    if (!v) return std::nullopt;
    return std::string(v);
  };
  ControlHttpRequest req{method, path, RequestHeader(wsi, WSI_TOKEN_HOST),
                         RequestHeader(wsi, WSI_TOKEN_ORIGIN),
                         ControlArgs{arg("ms="), arg("x="), arg("spec=")}};
  ControlAnswer answer =
      RouteControl(req, {host_, port_, session_.name, [this] { return matcher_.Listing(); }});
  if (!answer.warning.empty()) log::Warn("replay: " + answer.warning);
  if (answer.apply) answer = AnswerControl(*answer.apply, ApplyControl(*answer.apply));
  return answer;
}

}  // namespace wsr::replay
