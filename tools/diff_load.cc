#include "tools/diff_load.h"

#include <map>

#include "phoenix/frame.h"

namespace wsr::tools {

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
  return s;
}

}  // namespace wsr::tools
