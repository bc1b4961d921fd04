// The demo's agent: what "Weather Agent" does over the Agent REST API when a push mentions it,
// the way the official SDKs do it (../shared/spec/thenvoi-rest.md, "agent loop"): mark the
// message processing, post a reply that mentions the sender, mark the message processed.
//
// Sans-I/O: a received WebSocket frame in, the REST calls to make (in order) out. Pure and
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/http_client.h"

namespace wsr::sim {

struct AgentIdentity {
  std::string id;       // the agent's uuid (as mentions name it)
  std::string api_key;  // sent as X-API-Key
};

// The calls that answer `frame_text` when it is a `message_created` push on `chat_room:{id}`
// that mentions `me` and was not sent by `me`; none otherwise (other events, malformed text).
std::vector<HttpCallRequest> AnswerMention(std::string_view frame_text, const AgentIdentity& me);

}  // namespace wsr::sim
