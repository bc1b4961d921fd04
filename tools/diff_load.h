// The comparable content of one cassette session for `wsreplay diff`: per connection (by
// ordinal), per topic in order of first appearance, the events with their payloads stripped
// of ignored fields. Heartbeats and their replies (topic "phoenix") are left out; refs and
// join_refs never take part. Frames that are not Phoenix v2 go to a "(raw)" stream.
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

struct DiffEvent {
  cassette::Direction direction = cassette::Direction::kClientToServer;
  std::string event;       // Phoenix event; "text"/"binary" in the raw stream
  nlohmann::json payload;  // stripped (raw stream: the text, or base64-free byte count)
  int64_t seq = 0;
  int64_t offset_ns = 0;
  std::string key;       // direction + event + canonical payload: equal = same event
  std::string kind_key;  // direction + event
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
  size_t skipped_heartbeats = 0;
};

DiffSession LoadDiffSession(cassette::Cassette& cassette, const std::optional<std::string>& name,
                            const IgnoreRules& rules);

}  // namespace wsr::tools
