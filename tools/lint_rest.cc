#include "tools/lint_rest.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "thenvoi/rest_spec.h"
#include "tools/har_util.h"

namespace wsr::tools {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void CheckEnvelope(const cassette::Exchange& e, const thenvoi::RestEndpoint& ep, LintFinding at,
                   std::vector<LintFinding>* out) {
  auto add = [&](bool error, std::string path, std::string message) {
    at.error = error;
    at.path = std::move(path);
    at.message = std::move(message);
    out->push_back(at);
  };
  if (!e.status || *e.status < 200 || *e.status > 299 || *e.status == 204) return;
  if (e.response_body.empty()) return;
  auto body = nlohmann::json::parse(e.response_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    add(true, "", "the response body is not JSON (spec section 3: {\"data\": ...})");
    return;
  }
  if (!body.is_object() || !body.contains("data")) {
    if (ep.envelope_open) {
      add(false, "/data",
          "missing: a success body is {\"data\": ...} (spec section 3; a bare object here is an "
          "open question, section 11)");
    } else {
      add(true, "/data", "missing: a success body is {\"data\": ...} (spec section 3)");
    }
    return;
  }
  if (!ep.list) return;
  if (!body["data"].is_array()) {
    add(false, "/data", "should be an array: this endpoint lists (spec section 3)");
  }
  if (!body.contains("metadata") && !body.contains("meta")) {
    add(false, "/metadata",
        "missing: a list answers with {\"data\": [...], \"metadata\": {page, page_size, "
        "total_count, total_pages}} (spec sections 3 and 5)");
  }
}

// The caller's credential: its X-API-Key, else its Authorization.
std::string CallerCredential(const cassette::Exchange& e) {
  std::string c = RedactedCredential(HeaderValue(e.request_headers, "x-api-key"));
  return c.empty() ? RedactedCredential(HeaderValue(e.request_headers, "authorization")) : c;
}

// The WebSocket side indexed for the push checks, so a day's recording stays linear.
struct PushIndex {
  std::map<std::string, std::vector<const LintSubscription*>> subscriptions;  // by topic
  // By (topic, event), in time order.
  std::map<std::pair<std::string, std::string>, std::vector<const LintPush*>> pushes;
  std::set<int> agents;  // connections known to be agents'
};

PushIndex IndexOf(const LintWebSocketSide& ws, const std::set<std::string>& agent_credentials) {
  PushIndex index;
  for (const auto& sub : ws.subscriptions) index.subscriptions[sub.topic].push_back(&sub);
  for (const auto& p : ws.pushes) index.pushes[{p.topic, p.event}].push_back(&p);
  for (auto& [key, list] : index.pushes) {
    std::stable_sort(list.begin(), list.end(), [](const LintPush* a, const LintPush* b) {
      return a->offset_ns < b->offset_ns;
    });
  }
  for (const auto& sock : ws.sockets) {
    if (sock.agent || (!sock.credential.empty() && agent_credentials.count(sock.credential) > 0)) {
      index.agents.insert(sock.conn);
    }
  }
  return index;
}

// Warns when a call that causes a push (spec 6.2) was not followed by it on a connection sure
// to receive it.
void CheckCausedPush(const cassette::Exchange& e, const thenvoi::RestEndpoint& ep,
                     const std::string& relative, const PushIndex& index, LintFinding at,
                     std::vector<LintFinding>* out) {
  const thenvoi::RestCausedPush* push = thenvoi::CausedPush(ep);
  if (!push || !e.status || *e.status < 200 || *e.status > 299) return;
  std::string id = thenvoi::FirstPathId(ep.path, relative);
  if (id.empty()) return;
  const std::string topic = std::string(push->channel) + ":" + id;
  const int64_t end = e.response_ns.value_or(e.request_ns);
  std::set<int> receivers;
  if (auto subs = index.subscriptions.find(topic); subs != index.subscriptions.end()) {
    for (const LintSubscription* sub : subs->second) {
      if (sub->joined_ns > end || (sub->left_ns && *sub->left_ns <= end)) continue;
      if (push->users_only && index.agents.count(sub->conn) > 0) continue;
      receivers.insert(sub->conn);
    }
  }
  if (receivers.empty()) return;  // nobody in the recording was sure to receive it
  if (auto list = index.pushes.find({topic, std::string(push->event)});
      list != index.pushes.end()) {
    auto from =
        std::lower_bound(list->second.begin(), list->second.end(), e.request_ns,
                         [](const LintPush* p, int64_t at_ns) { return p->offset_ns < at_ns; });
    for (auto it = from; it != list->second.end(); ++it) {
      if (receivers.count((*it)->conn) > 0) return;
    }
  }
  std::string conns;
  for (int c : receivers) conns += (conns.empty() ? "" : ", ") + std::to_string(c);
  at.error = false;
  at.path.clear();
  at.message = "answered " + std::to_string(*e.status) + " but no " + std::string(push->event) +
               " push on " + topic + " followed, though " +
               (push->users_only ? "user connection(s) " : "connection(s) ") + conns +
               " had joined it (spec section 6.2)";
  out->push_back(std::move(at));
}

}  // namespace

void LintWebSocketCollector::AddConnection(int conn, const std::string& query,
                                           std::optional<int64_t> closed_ns) {
  socket_of_[conn] = side_.sockets.size();
  side_.sockets.push_back({.conn = conn,
                           .agent = query.find("agent_id=") != std::string::npos,
                           .credential = RedactedCredential(query)});
  closed_ns_[conn] = closed_ns;
}

void LintWebSocketCollector::AddFrame(int conn, const cassette::Frame& f) {
  if (!f.topic || !f.event) return;
  const std::string& topic = *f.topic;
  const std::string& event = *f.event;
  if (topic.rfind("agent_", 0) == 0) {
    if (auto it = socket_of_.find(conn); it != socket_of_.end()) {
      side_.sockets[it->second].agent = true;
    }
  }
  auto close = [&](int64_t at) {
    auto it = open_.find({conn, topic});
    if (it == open_.end()) return;
    side_.subscriptions[it->second].left_ns = at;
    open_.erase(it);
  };
  if (f.direction == cassette::Direction::kClientToServer) {
    if (event == "phx_join" && f.ref) join_[{conn, *f.ref}] = topic;
    if (event == "phx_leave") close(f.offset_ns);
    return;
  }
  if (event == "phx_close" || event == "phx_error") {
    close(f.offset_ns);
    return;
  }
  if (event != "phx_reply") {
    side_.pushes.push_back(
        {.conn = conn, .offset_ns = f.offset_ns, .topic = topic, .event = event});
    return;
  }
  if (!f.ref) return;
  auto pending = join_.find({conn, *f.ref});
  if (pending == join_.end() || pending->second != topic) return;
  join_.erase(pending);
  auto frame = nlohmann::json::parse(f.payload, nullptr, /*allow_exceptions=*/false);
  if (!frame.is_array() || frame.size() != 5 || !frame[4].is_object()) return;
  auto status = frame[4].find("status");
  if (status == frame[4].end() || *status != "ok") return;  // a refused join, or garbage
  close(f.offset_ns);                                       // a rejoin
  open_[{conn, topic}] = side_.subscriptions.size();
  side_.subscriptions.push_back(
      {.conn = conn, .topic = topic, .joined_ns = f.offset_ns, .left_ns = std::nullopt});
}

LintWebSocketSide LintWebSocketCollector::Finish() {
  for (auto& sub : side_.subscriptions) {
    auto closed = closed_ns_.find(sub.conn);
    if (closed == closed_ns_.end() || !closed->second) continue;
    if (!sub.left_ns || *sub.left_ns > *closed->second) sub.left_ns = closed->second;
  }
  return std::move(side_);
}

std::string RedactedCredential(std::string_view text) {
  constexpr std::string_view kMark = "redacted:";
  size_t at = text.find(kMark);
  if (at == std::string_view::npos) return "";
  std::string_view token = text.substr(at + kMark.size());
  token = token.substr(0, token.find_first_of("&; ,\"\t"));
  size_t colon = token.rfind(':');
  return colon == std::string_view::npos ? "" : std::string(token.substr(colon + 1));
}

RestLintResult LintExchanges(const std::vector<cassette::Exchange>& exchanges,
                             const LintWebSocketSide& ws) {
  RestLintResult r;
  // The keys that called the Agent API are agents' keys: a socket opened with one is an agent's.
  std::set<std::string> agent_credentials;
  const std::string agent_base = std::string(thenvoi::kRestPrefix) + "/agent/";
  for (const auto& e : exchanges) {
    std::string c = CallerCredential(e);
    bool ok = e.status && *e.status >= 200 && *e.status <= 299;  // not a refused human key
    if (ok && !c.empty() && e.path.rfind(agent_base, 0) == 0) agent_credentials.insert(c);
  }
  const PushIndex index = IndexOf(ws, agent_credentials);
  for (const auto& e : exchanges) {
    std::string_view path = e.path;
    if (path.substr(0, thenvoi::kRestPrefix.size()) != thenvoi::kRestPrefix ||
        (path.size() > thenvoi::kRestPrefix.size() && path[thenvoi::kRestPrefix.size()] != '/')) {
      ++r.skipped;
      continue;
    }
    ++r.checked;
    std::string relative(path.substr(thenvoi::kRestPrefix.size()));
    LintFinding at;
    at.http = true;
    at.seq = e.ordinal;
    at.offset_ns = e.request_ns;
    at.event = e.method + " " + e.path + " -> " +
               (e.status ? std::to_string(*e.status) : std::string("no response"));
    const thenvoi::RestEndpoint* ep = thenvoi::FindRestEndpoint(e.method, relative);
    if (!ep) {
      auto methods = thenvoi::RestMethodsOf(relative);
      at.error = false;
      at.message =
          methods.empty()
              ? "not in the REST spec table (thenvoi-rest.md sections 4 and 7)"
              : e.method + " is not documented for this path (documented: " + Join(methods) + ")";
      r.findings.push_back(at);
      continue;
    }
    CheckEnvelope(e, *ep, at, &r.findings);
    CheckCausedPush(e, *ep, relative, index, at, &r.findings);
  }
  return r;
}

}  // namespace wsr::tools
