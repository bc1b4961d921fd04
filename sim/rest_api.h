// RestApi: the simulator's Thenvoi REST API (Agent API `/api/v1/agent/...` and a few Human
// API `/api/v1/me/...` routes; spec ../shared/spec/thenvoi-rest.md, behaviour and the choices
// made where the spec is open: sim/README.md "REST API").
//
// Sans-I/O: a RestRequest (method, target, headers, body) and the time go in; a RestResponse
// (status, headers, body) and the WebSocket pushes the call causes (topic, event, payload) come
// out. Ids of created things come from a counter in the state and timestamps from `now_ms`, so
// the same requests at the same times give the same answers byte for byte. The caller (the
// lws server) delivers each push to the connections that joined its topic, applying the
// per-connection delivery rules (thenvoi::AgentReceives): a push here is "what the platform
// broadcasts", not "who ends up receiving it".
//
// The state (chats, participants, messages, processing attempts, contacts, contact requests)
// starts from the keys file: every room an identity lists is a chat whose participants are the
// identities listing it. WebSocket joins of chat_room/room_participants consult IsParticipant(),
// so a participant added over REST may join the room's topics.
//
// RestApi owns its state and holds a reference to `keys` (which must outlive it). Not
// thread-safe: the simulator calls it from its one service thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/keys.h"

namespace wsr::sim {

inline constexpr std::string_view kRestAgentBase = "/api/v1/agent";
inline constexpr std::string_view kRestHumanBase = "/api/v1/me";

struct RestRequest {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string target;  // path and optional "?query" (percent-encoded or not)
  // Header names in lower case ("x-api-key"), values as sent.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct RestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length
  std::string body;                                          // JSON text; empty for 204
};

struct RestPush {
  std::string topic;  // "chat_room:<id>", "agent_rooms:<id>", ...
  std::string event;  // "message_created", ...
  nlohmann::ordered_json payload;
};

struct RestResult {
  RestResponse response;
  std::vector<RestPush> pushes;  // in the order the platform would broadcast them
};

// True when `path` (no query) is served by RestApi: it starts with one of the two bases.
bool IsRestPath(std::string_view path);

class RestApi {
 public:
  // REQUIRES: `keys` outlives this object.
  explicit RestApi(const Keys& keys);
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  // Handles one request at `now_ms` (milliseconds since the Unix epoch; used for
  // inserted_at/updated_at/started_at of what the call creates or changes).
  RestResult Handle(const RestRequest& request, int64_t now_ms);

  // A scenario push came due: a `message_created` on `chat_room:{id}` of a known chat adds
  // that message to the state (once per message id), so an agent can mark it processing and
  // find it in /messages and /context as on the platform. Other pushes change nothing.
  void NoteScenarioPush(std::string_view topic, std::string_view event,
                        const nlohmann::json& payload);

  // Whether identity `id` (user or agent) currently participates in chat `room`.
  bool IsParticipant(std::string_view room, std::string_view id) const;

  struct State;

 private:
  const Keys& keys_;
  std::unique_ptr<State> state_;
};

// "2026-03-10T09:15:02.481000Z" for milliseconds since the epoch (microsecond digits, as
// Phoenix writes them).
std::string IsoTime(int64_t ms);

}  // namespace wsr::sim
