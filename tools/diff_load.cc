#include "tools/diff_load.h"

#include <cctype>
#include <map>

#include "phoenix/frame.h"
#include "tools/text_util.h"

namespace wsr::tools {
namespace {

bool IsIdSegment(const std::string& s) {
  if (s.empty()) return false;
  if (s.find_first_not_of("0123456789") == std::string::npos) return true;
  // 8-4-4-4-12 hex digits
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// A body as compared: JSON stripped of ignored fields, other text as a string, bytes that are
// not UTF-8 as base64 (compared exactly).
nlohmann::json BodyForDiff(const std::string& body, const IgnoreRules& rules) {
  if (body.empty()) return nullptr;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) return StripIgnored(j, rules);
  if (IsValidUtf8(body)) return body;
  return nlohmann::json{{"base64", Base64Encode(body)}};
}

}  // namespace

std::string PathShape(const std::string& path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string seg =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    out += IsIdSegment(seg) ? "{id}" : seg;
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

DiffEvent ExchangeDiffEvent(const cassette::Exchange& x, const IgnoreRules& rules) {
  DiffEvent e;
  e.http = true;
  e.seq = x.ordinal;
  e.offset_ns = x.request_ns;
  e.event = x.method + " " + PathShape(x.path);
  e.payload = nlohmann::json::object();
  if (!x.request_body.empty()) e.payload["request"] = BodyForDiff(x.request_body, rules);
  e.payload["status"] = x.status ? nlohmann::json(*x.status) : nlohmann::json("no response");
  if (!x.response_body.empty()) e.payload["response"] = BodyForDiff(x.response_body, rules);
  e.kind_key = "http " + e.event;
  e.key =
      e.kind_key + " " + e.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return e;
}

DiffSession LoadDiffSession(cassette::Cassette& cassette, const std::optional<std::string>& name,
                            const IgnoreRules& rules) {
  DiffSession s;
  s.session = cassette.ResolveSession(name);
  std::map<int64_t, size_t> index_of;  // connection id -> index in s.connections
  for (auto& c : cassette.Connections(s.session.id)) {
    index_of[c.id] = s.connections.size();
    s.connections.push_back(DiffConnection{std::move(c), {}});
  }
  std::map<std::pair<size_t, std::string>, size_t> topic_index;
  auto cur = cassette.Frames({.session_id = s.session.id});
  cassette::Frame f;
  while (cur.Next(&f)) {
    auto ci = index_of.find(f.connection_id);
    if (ci == index_of.end()) continue;
    DiffEvent e;
    e.direction = f.direction;
    e.seq = f.seq;
    e.offset_ns = f.offset_ns;
    std::string topic = kRawStream;
    std::optional<phoenix::Frame> px;
    if (f.is_text()) px = phoenix::Parse(f.payload);
    if (px) {
      if (px->topic == phoenix::kPhoenixTopic) {
        ++s.skipped_heartbeats;
        continue;
      }
      topic = px->topic;
      e.event = px->event;
      auto j = nlohmann::json::parse(px->payload, nullptr, false);
      e.payload =
          j.is_discarded() ? nlohmann::json(std::string(px->payload)) : StripIgnored(j, rules);
    } else if (f.is_text()) {
      e.event = "text";
      auto j = nlohmann::json::parse(f.payload, nullptr, false);
      e.payload = j.is_discarded() ? nlohmann::json(f.payload) : StripIgnored(j, rules);
    } else {
      e.event = "binary";
      // Bytes are compared exactly; shown as a byte array.
      e.payload = nlohmann::json::array();
      for (unsigned char c : f.payload) e.payload.push_back(static_cast<int>(c));
    }
    e.kind_key = std::string(cassette::DirectionName(e.direction)) + " " + e.event;
    e.key =
        e.kind_key + " " + e.payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto& conn = s.connections[ci->second];
    auto [it, fresh] = topic_index.try_emplace({ci->second, topic}, conn.topics.size());
    if (fresh) conn.topics.push_back(DiffTopic{topic, {}});
    conn.topics[it->second].events.push_back(std::move(e));
    f = cassette::Frame{};
  }
  for (const auto& x : cassette.Exchanges(s.session.id))
    s.http.push_back(ExchangeDiffEvent(x, rules));
  return s;
}

}  // namespace wsr::tools
