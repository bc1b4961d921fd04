// The comparable content of one cassette session for `wsreplay diff`: per connection (by
// ordinal), per topic in order of first appearance, the events with their payloads stripped
// of ignored fields. Heartbeats and their replies (topic "phoenix") are left out; refs and
// join_refs never take part. Frames that are not Phoenix v2 go to a "(raw)" stream. HTTP
// exchanges form one more stream, in request order: each is an event "METHOD /path" (path
// segments that are UUIDs or numbers read "{id}", so fixture ids do not count) whose payload is
// {"request": body, "status": N, "response": body}, JSON bodies stripped like frame payloads.
// Value types; LoadDiffSession reads a Cassette (not thread-safe, like Cassette).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "tools/diff_json.h"

namespace wsr::tools {

inline constexpr const char* kRawStream = "(raw)";
inline constexpr const char* kHttpStream = "HTTP";

struct DiffEvent {
  cassette::Direction direction = cassette::Direction::kClientToServer;
  std::string event;       // Phoenix event; "text"/"binary" in the raw stream
  nlohmann::json payload;  // stripped (raw stream: the text, or base64-free byte count)
  int64_t seq = 0;
  int64_t offset_ns = 0;
  std::string key;       // direction + event + canonical payload: equal = same event
  std::string kind_key;  // direction + event
  bool http = false;     // an HTTP exchange (event = "METHOD /path"; seq = its ordinal)
};

struct DiffTopic {
  std::string topic;
  std::vector<DiffEvent> events;
};

struct DiffConnection {
  cassette::Connection info;
  std::vector<DiffTopic> topics;  // in order of first appearance
};

struct DiffSession {
  cassette::Session session;
  std::vector<DiffConnection> connections;  // by ordinal
  std::vector<DiffEvent> http;              // the HTTP exchanges, by ordinal
  size_t skipped_heartbeats = 0;
};

// "/api/v1/agent/chats/{id}/messages" for ".../chats/3f2c...-.../messages".
std::string PathShape(const std::string& path);
// The comparable form of one exchange.
DiffEvent ExchangeDiffEvent(const cassette::Exchange& x, const IgnoreRules& rules);

DiffSession LoadDiffSession(cassette::Cassette& cassette, const std::optional<std::string>& name,
                            const IgnoreRules& rules);

}  // namespace wsr::tools
