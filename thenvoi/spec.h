// The Thenvoi WebSocket protocol as data: the one place in code that knows the 7 channels, who
// may join them, the events each carries and each event's payload fields
// (../shared/spec/thenvoi-websocket.md sections 2.2, 3 and 7). The simulator, the linter and
// the tests read this table; nothing else restates it.
//
// Everything here is immutable static data plus pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::thenvoi {

// JSON type a field must have. `nullable` on FieldSpec additionally allows null.
enum class FieldType { kString, kBool, kNumber, kObject, kArray, kAny };

enum class Presence {
  kRequired,    // documented as always present: missing -> error
  kOptional,    // documented as optional/omitted-if-nil: missing -> fine
  kUnverified,  // the docs and SDKs disagree or never show it: missing -> fine,
                // wrong type -> warning only
};

struct FieldSpec {
  std::string_view name;
  FieldType type = FieldType::kString;
  Presence presence = Presence::kRequired;
  bool nullable = false;
  std::vector<std::string_view> allowed;  // allowed string values; empty = any
  std::vector<FieldSpec> children;        // for kObject (checked) or kArray of objects
  std::string_view note;
};

// One accepted payload shape. Most events have one; room_removed has two (docs vs SDK models)
// and participant_added has a User and an Agent form.
struct ShapeSpec {
  std::string_view name;
  std::vector<FieldSpec> fields;
  // Emitted as a warning when a payload matches only this shape.
  std::string_view warning;
};

struct EventSpec {
  std::string_view name;
  std::vector<ShapeSpec> shapes;
  bool to_users = true;   // may a user connection receive it
  bool to_agents = true;  // may an agent connection receive it (see AgentReceives)
  std::string_view note;
};

enum class Identity { kUser, kAgent };

enum class JoinRule {
  kRoomParticipant,  // {id} is a room the identity participates in
  kOwnUserId,        // {id} must be the connection's user id
  kOwnAgentId,       // {id} must be the connection's agent id
};

struct ChannelSpec {
  std::string_view prefix;  // "chat_room"; topics are "<prefix>:<id>"
  JoinRule rule;
  bool users_may_join;
  bool agents_may_join;
  std::vector<EventSpec> events;
  std::string_view note;
};

// System (Phoenix) events, spec section 2.2.
struct SystemEventSpec {
  std::string_view name;
  bool client_to_server;
  std::string_view frame;  // the frame shape, for documentation and lint messages
};

const std::vector<ChannelSpec>& Channels();
const std::vector<SystemEventSpec>& SystemEvents();

// Topic "chat_room:<id>" (or a bare prefix "chat_room") -> channel; nullptr when unrouted.
const ChannelSpec* FindChannel(std::string_view topic);
// The "<id>" part of a topic, "" when there is no ':'.
std::string_view TopicId(std::string_view topic);
const EventSpec* FindEvent(const ChannelSpec& channel, std::string_view event);
const EventSpec* FindEvent(std::string_view topic, std::string_view event);
const SystemEventSpec* FindSystemEvent(std::string_view event);

struct Finding {
  enum class Severity { kError, kWarning };
  Severity severity;
  std::string path;     // JSON pointer into the payload ("" = the payload itself)
  std::string message;  // one line
  bool is_error() const { return severity == Severity::kError; }
};

// The official SDKs validate the events they know and silently drop a payload that fails
// (spec 3.5), so a payload the docs allow can still be lost. SdkRequirements() lists, per SDK
// and event, the top-level fields that SDK requires (present and a string): the TypeScript
// SDK's zod schemas (packages/sdk/src/platform/streaming/payloadSchemas.ts) and the Python
// SDK's pydantic models (src/thenvoi/client/streaming/client.py, current release). They apply
// on the channels agents join (both SDKs are agent SDKs); user_rooms/user_contacts pushes go
// to Human API clients, which these SDKs do not serve.
enum class Sdk { kPython, kTypeScript };
std::string_view SdkName(Sdk sdk);  // "the Python SDK (pydantic)", "the TypeScript SDK (zod)"

struct SdkRequirement {
  Sdk sdk;
  std::string_view event;
  std::vector<std::string_view> fields;
};
const std::vector<SdkRequirement>& SdkRequirements();

// The required fields `sdk` finds missing or not a string in this push (empty: it accepts
// the push, or does not validate this event). Only for channels agents may join.
std::vector<std::string> SdkRejects(Sdk sdk, const ChannelSpec& channel, std::string_view event,
                                    const nlohmann::json& payload);

// Checks a server push's payload against the table. Unknown channel or event -> one error.
// Unknown extra fields are allowed (the SDKs allow them). For multi-shape events the best
// matching shape is reported. A payload that passes but that an SDK would drop (SdkRejects)
// gets one warning per SDK naming it and the fields.
std::vector<Finding> CheckPayload(const ChannelSpec& channel, std::string_view event,
                                  const nlohmann::json& payload);
std::vector<Finding> CheckPayload(std::string_view topic, std::string_view event,
                                  const nlohmann::json& payload);

// Delivery rule of section 3.2 for agents: message_created only when the message is text,
// the agent is in metadata.mentions[].id and is not the sender; never message_updated or
// message_deleted. For other channels: EventSpec::to_agents.
bool AgentReceives(const ChannelSpec& channel, const EventSpec& event,
                   const nlohmann::json& payload, std::string_view agent_id);

// Join decision for an identity (section 3.1). `own_id` is the user id for users and the
// agent id for agents; `is_participant` answers "is this identity in room <id>".
enum class JoinVerdict { kOk, kUnauthorized, kUnmatchedTopic };
template <typename IsParticipant>
JoinVerdict DecideJoin(std::string_view topic, Identity who, std::string_view own_id,
                       IsParticipant&& is_participant) {
  // Phoenix routes "prefix:*", so an empty id is routed (and then refused).
  const ChannelSpec* ch = FindChannel(topic);
  if (!ch || topic.find(':') == std::string_view::npos) return JoinVerdict::kUnmatchedTopic;
  std::string_view id = TopicId(topic);
  if (id.empty()) return JoinVerdict::kUnauthorized;
  if (who == Identity::kUser ? !ch->users_may_join : !ch->agents_may_join) {
    return JoinVerdict::kUnauthorized;
  }
  switch (ch->rule) {
    case JoinRule::kRoomParticipant:
      return is_participant(id) ? JoinVerdict::kOk : JoinVerdict::kUnauthorized;
    case JoinRule::kOwnUserId:
    case JoinRule::kOwnAgentId:
      return id == own_id ? JoinVerdict::kOk : JoinVerdict::kUnauthorized;
  }
  return JoinVerdict::kUnauthorized;
}

std::string_view FieldTypeName(FieldType t);

}  // namespace wsr::thenvoi
