// The REST half of ReplayServer::Impl (service thread): plain HTTP requests that are neither
// WebSocket upgrades nor /__wsreplay/ control routes are answered from the session's recorded
// exchanges. The lws callbacks only collect the request (method, target, body) and write what
// the sans-I/O HttpMatcher chose (http_matcher.h, http_reply.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/ascii.h"
#include "common/duration.h"
#include "common/log.h"
#include "common/lws_http.h"
#include "common/terminal_text.h"
#include "replay/http_reply.h"
#include "replay/server_impl.h"

namespace wsr::replay {

bool ReplayServer::Impl::IsRestPath(const std::string& path) {
  return path != "/__wsreplay" && path.rfind("/__wsreplay/", 0) != 0;
}

int ReplayServer::Impl::OnRestRequest(lws* wsi, const std::string& path,
                                      const std::string& method) {
  HttpRequest req;
  req.method = method;
  std::string query = lwshttp::QueryOf(wsi);
  req.target = path + (query.empty() ? "" : "?" + query);
  std::string te = lwshttp::HeaderCopy(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
  if (!te.empty()) {
    // lws 4.1 hands a server no chunked request body: say so rather than answer a wrong match.
    return WriteRestReply(wsi, 411,
                          "wsreplay: chunked request bodies are not supported by the replay "
                          "server; send the body with a Content-Length");
  }
  std::string cl = lwshttp::HeaderCopy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  int64_t length = cl.empty() ? 0 : std::atoll(cl.c_str());
  if (length > static_cast<int64_t>(kMaxRestBody)) {
    return WriteRestReply(wsi, 413,
                          "wsreplay: request body of " + cl +
                              " bytes is over the replay limit of " + std::to_string(kMaxRestBody));
  }
  if (length <= 0) return AnswerRest(wsi, req);
  rest_requests_[wsi] = std::move(req);  // the body arrives in LWS_CALLBACK_HTTP_BODY
  return 0;
}

int ReplayServer::Impl::OnRestBody(lws* wsi, const char* data, size_t len) {
  auto it = rest_requests_.find(wsi);
  if (it == rest_requests_.end()) return 0;  // a control request: bodies are ignored
  if (it->second.body.size() + len > kMaxRestBody) return -1;
  it->second.body.append(data, len);
  return 0;
}

int ReplayServer::Impl::OnRestBodyDone(lws* wsi) {
  auto it = rest_requests_.find(wsi);
  if (it == rest_requests_.end()) return 0;
  HttpRequest req = std::move(it->second);
  rest_requests_.erase(it);
  return AnswerRest(wsi, req);
}

int ReplayServer::Impl::AnswerRest(lws* wsi, const HttpRequest& req) {
  HttpMatch m = http_matcher_.Match(req);
  if (m.matched()) {
    const cassette::Exchange& e = http_matcher_.recorded()[static_cast<size_t>(m.index)];
    causal_.Requested(m.index);
    HeldResponse h{m.index, RecordedAnswer(e, req.method == "HEAD"), clock_->NowNs(), m.request};
    if (HeldDeadline(h) <= h.arrival) {
      // Due at once (--speed max, a request later than recorded, --causality off): answered
      // from this callback, head and body in one write, without a turn of the loop.
      ReleaseResponse(wsi, h, h.arrival, /*wake=*/false);
      PollAll();  // the pushes it caused
      return WriteRestReply(wsi, h.reply);
    }
    // Held until due (causal_gate.h): the timer, `advance` or `step` releases it.
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);  // a manual clock may hold it for long
    held_[wsi] = std::move(h);
    PollAll();
    return 0;
  }
  bool close = options_.replay.on_mismatch == OnMismatch::kClose;
  std::string action = close ? "closed the connection" : "answered 501";
  log::Warn("replay: " + EscapeControls(m.explanation.substr(0, 400)) + " -> " + action);
  http_summary_.AddMismatch({clock_->NowNs(), m.request, m.explanation, action});
  feed_.Control("http mismatch: " + m.explanation.substr(0, 300), clock_->NowNs());
  NotifySubscribers();
  if (close) return -1;
  return WriteRestReply(wsi, MismatchAnswer(m));
}

int ReplayServer::Impl::WriteRestReply(lws* wsi, int status, const std::string& message) {
  HttpReply r;
  r.status = status;
  r.body = message + "\n";
  r.headers = {{"Content-Type", "text/plain; charset=utf-8"},
               {"Connection", "close"},
               {"Content-Length", std::to_string(r.body.size())}};
  return WriteRestReply(wsi, r);
}

int ReplayServer::Impl::WriteRestReply(lws* wsi, const HttpReply& reply) {
  // Status line, headers and body in one buffer (reused), sent with one write; then the
  // connection is ready for the next request (keep-alive).
  size_t size = LWS_PRE + 512 + reply.body.size();
  for (const auto& [n, v] : reply.headers) size += n.size() + v.size() + 4;
  if (rest_out_.size() < size) rest_out_.resize(size);
  unsigned char* start = rest_out_.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = rest_out_.data() + size - 1 - reply.body.size();
  if (lws_add_http_header_status(wsi, static_cast<unsigned int>(reply.status), &p, end)) return -1;
  bool has_length = false;
  for (const auto& [name, value] : reply.headers) {
    if (name.size() == sizeof("content-length") - 1 && AsciiLower(name) == "content-length") {
      // Through lws, so that it knows where the response ends (keep-alive).
      has_length = true;
      if (lws_add_http_header_content_length(
              wsi, static_cast<lws_filepos_t>(std::strtoull(value.c_str(), nullptr, 10)), &p,
              end)) {
        return -1;
      }
      continue;
    }
    std::string n = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return -1;
    }
  }
  if (!has_length && reply.status != 204 && reply.status != 304 && reply.status >= 200) {
    if (lws_add_http_header_content_length(wsi, 0, &p, end)) return -1;
  }
  if (lws_finalize_http_header(wsi, &p, end)) return -1;
  if (!reply.body.empty()) {
    std::memcpy(p, reply.body.data(), reply.body.size());
    p += reply.body.size();
  }
  // HTTP/1.1: lws writes the bytes as they are (no framing of its own), buffering what the
  // socket does not take at once.
  int len = static_cast<int>(p - start);
  if (lws_write(wsi, start, static_cast<size_t>(len), LWS_WRITE_HTTP_FINAL) < len) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

ReplayServer::Impl::HeldWait ReplayServer::Impl::HeldWaitOf(const HeldResponse& h) const {
  if (!options_.replay.causality) return {h.arrival, 0};  // --causality off: at once
  const cassette::Exchange& e = http_matcher_.recorded()[static_cast<size_t>(h.index)];
  std::vector<int64_t> reached;
  std::vector<int> who;  // live index of each entry of `reached`
  if (e.response_ns) {
    for (const auto& [wsi, c] : live_) {
      if (auto t = c->s->ReachesSessionTime(*e.response_ns)) {
        reached.push_back(*t);
        who.push_back(c->s->index());
      }
    }
  }
  int decided_by = -1;
  int64_t d = ResponseDeadline(e, h.arrival, speed_, paused_, reached, &decided_by);
  return {d, decided_by < 0 ? 0 : who[static_cast<size_t>(decided_by)]};
}

std::string ReplayServer::Impl::HeldWaitText(const HeldWait& w, int64_t now) {
  if (w.deadline == Timeline::kNever) return "paused";
  if (w.deadline <= now) return "due now";
  std::string what =
      w.connection ? "connection " + std::to_string(w.connection) + "'s pushes recorded before it"
                   : std::string("its time");
  return what + ", in " + FormatDurationNs(w.deadline - now);
}

std::optional<std::pair<int64_t, lws*>> ReplayServer::Impl::NextHeldResponse() const {
  std::optional<std::pair<int64_t, lws*>> best;
  for (const auto& [wsi, h] : held_) {
    if (h.released) continue;
    int64_t d = HeldDeadline(h);
    if (!best || d < best->first) best = std::make_pair(d, wsi);
  }
  return best;
}

void ReplayServer::Impl::ReleaseResponse(lws* wsi, HeldResponse& h, int64_t now, bool wake) {
  h.released = true;
  if (wake) lws_callback_on_writable(wsi);
  Served served{h.index, h.reply.status};
  if (http_served_.size() < ConnectionReport::kMaxListed) http_served_.push_back(served);
  http_recent_[static_cast<size_t>(http_answered_) % kRecentServed] = served;
  ++http_answered_;
  // Nothing per request is formatted unless someone reads it: one log line under --verbose
  // only (at thousands of requests a second it was the hot path's main cost and drowned the
  // mismatches), a feed event only while a live page is open (it refreshes its status then).
  if (log::GetLevel() <= log::Level::kDebug) {
    log::Debug("replay: " + EscapeControls(h.request.substr(0, 200)) + " -> recorded " +
               EscapeControls(ServedLine(served)));
  }
  if (!subscribers_.empty()) {
    feed_.Control("http " + h.request.substr(0, 200) + " -> " + std::to_string(h.reply.status),
                  now);
    NotifySubscribers();
  }
  // Causality (causal_gate.h): the pushes this exchange caused may go, after their delay.
  causal_.Answered(h.index, now);
  for (auto& [live_wsi, c] : live_) c->s->OnExchangeAnswered(now, h.index);
}

bool ReplayServer::Impl::ReleaseDueResponses(int64_t now) {
  bool any = false;
  for (auto& [wsi, h] : held_) {
    if (h.released || HeldDeadline(h) > now) continue;
    ReleaseResponse(wsi, h, now);
    any = true;
  }
  return any;
}

int ReplayServer::Impl::WriteHeldResponse(lws* wsi) {
  auto it = held_.find(wsi);
  if (it == held_.end() || !it->second.released) return 0;
  HttpReply reply = std::move(it->second.reply);
  held_.erase(it);
  return WriteRestReply(wsi, reply);
}

void ReplayServer::Impl::ForgetHeldResponse(lws* wsi) {
  auto it = held_.find(wsi);
  if (it == held_.end()) return;
  if (!it->second.released && !destroying_) {  // (stopping: the final report lists it as held)
    // Never sent: a response the recording has and the client did not get, like an
    // undelivered frame (the report lists it, --strict fails).
    const cassette::Exchange& e = http_matcher_.recorded()[static_cast<size_t>(it->second.index)];
    std::string line = "#" + std::to_string(e.ordinal) + " " + ExchangeLine(e).substr(0, 200) +
                       ": response held, client disconnected before it was due";
    log::Warn("replay: http " + EscapeControls(line));
    int64_t now = clock_->NowNs();
    feed_.Control("http " + line, now);
    NotifySubscribers();
    http_summary_.AddAbandoned(std::move(line));
  }
  held_.erase(it);
}

HttpSummary ReplayServer::Impl::HttpReport() const {
  HttpSummary s = http_summary_;
  s.recorded = static_cast<int64_t>(http_matcher_.recorded().size());
  s.answered = http_answered_;
  for (size_t i = 0; i < http_matcher_.recorded().size(); ++i) {
    if (http_matcher_.used(i)) continue;
    if (s.unused_count++ >= static_cast<int64_t>(ConnectionReport::kMaxListed)) continue;
    const auto& e = http_matcher_.recorded()[i];
    s.unused.push_back("#" + std::to_string(e.ordinal) + " " + ExchangeLine(e));
  }
  for (const Served& served : http_served_) s.served.push_back(ServedLine(served));
  int64_t now = clock_->NowNs();
  for (const auto& [wsi, h] : held_) {
    if (h.released) continue;
    if (s.held_count++ >= static_cast<int64_t>(ConnectionReport::kMaxListed)) continue;
    const auto& e = http_matcher_.recorded()[static_cast<size_t>(h.index)];
    s.held.push_back("#" + std::to_string(e.ordinal) + " " + ExchangeLine(e) + ": " +
                     HeldWaitText(HeldWaitOf(h), now));
  }
  return s;
}

std::string ReplayServer::Impl::ServedLine(const Served& s) const {
  const cassette::Exchange& e = http_matcher_.recorded()[static_cast<size_t>(s.index)];
  return "#" + std::to_string(e.ordinal) + " " + ExchangeLine(e).substr(0, 200) + " -> " +
         std::to_string(s.status);
}

nlohmann::json ReplayServer::Impl::HttpStatus() const {
  nlohmann::json j = HttpReport().ToJson();
  // Held responses, the one due first first (the first 10, as the pending frames).
  int64_t now = clock_->NowNs();
  std::vector<std::pair<HeldWait, const HeldResponse*>> held;
  for (const auto& [wsi, h] : held_) {
    if (!h.released) held.emplace_back(HeldWaitOf(h), &h);
  }
  std::sort(held.begin(), held.end(),
            [](const auto& a, const auto& b) { return a.first.deadline < b.first.deadline; });
  nlohmann::json pending = nlohmann::json::array();
  for (size_t i = 0; i < held.size() && i < 10; ++i) {
    const HeldWait& w = held[i].first;
    const HeldResponse& h = *held[i].second;
    const cassette::Exchange& e = http_matcher_.recorded()[static_cast<size_t>(h.index)];
    pending.push_back(
        {{"exchange", e.ordinal},
         {"request", h.request},
         {"recorded", ExchangeLine(e)},
         {"offset_ms", static_cast<double>(e.request_ns) / 1e6},
         {"status", h.reply.status},
         {"waits_for", HeldWaitText(w, now)},
         {"connection", w.connection ? nlohmann::json(w.connection) : nlohmann::json(nullptr)},
         {"due_in_ms",
          w.deadline == Timeline::kNever
              ? nlohmann::json(nullptr)
              : nlohmann::json(static_cast<double>(std::max<int64_t>(0, w.deadline - now)) /
                               1e6)}});
  }
  j["pending"] = pending;
  nlohmann::json recent = nlohmann::json::array();
  for (int64_t k = http_answered_ - 1;
       k >= 0 && k >= http_answered_ - static_cast<int64_t>(kRecentServed); --k) {
    recent.push_back(ServedLine(http_recent_[static_cast<size_t>(k) % kRecentServed]));
  }
  j["recent"] = recent;
  return j;
}

}  // namespace wsr::replay
