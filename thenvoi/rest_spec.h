// The Thenvoi REST API as data: the Agent API and Human API endpoints (method and path
// pattern), and which ones answer with a list envelope
// (../shared/spec/thenvoi-rest.md sections 3, 4 and 7), and the pushes some of them cause
// (section 6.2). `wsreplay lint` checks recorded HTTP exchanges against it.
//
// Immutable static data plus pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wsr::thenvoi {

inline constexpr std::string_view kRestPrefix = "/api/v1";

struct RestEndpoint {
  std::string_view method;  // "GET", "POST", "DELETE"
  // Relative to kRestPrefix; "{id}" stands for one path segment (a UUID, a handle, ...).
  std::string_view path;
  // The success body is {"data": [...], "metadata" (or "meta"): {...}}; otherwise {"data": ...}.
  bool list = false;
  // The spec leaves open whether the success body is wrapped in "data" (section 11, question
  // 6: the Go SDK decodes a bare object from GET /agent/me).
  bool envelope_open = false;
};

// A push that a successful call causes (spec section 6.2), on the topic
// "<channel>:<first {id} of the path>", and who is sure to receive it.
struct RestCausedPush {
  std::string_view channel;  // "chat_room"
  std::string_view event;    // "message_created"
  // Only user subscribers are sure to get it: an agent subscriber gets it only when
  // mentioned, and the sending agent never does.
  bool users_only = false;
};

const std::vector<RestEndpoint>& RestEndpoints();

// The endpoint for `method` and `path` (relative to kRestPrefix, no query; a trailing slash is
// ignored); literal segments win over "{id}". nullptr when none matches.
const RestEndpoint* FindRestEndpoint(std::string_view method, std::string_view path);
// The documented methods of `path`, e.g. {"GET", "POST"}; empty when the path is unknown.
std::vector<std::string> RestMethodsOf(std::string_view path);

// The push of section 6.2 that `endpoint` causes and that a recording can show: a posted
// message's message_created on chat_room:{cid}, an added participant's participant_added on
// room_participants:{cid}. nullptr for the others (no push, or one whose topic the path does not
// name, such as the contacts pushes).
const RestCausedPush* CausedPush(const RestEndpoint& endpoint);
// The segment of `path` at the first "{id}" of `pattern` ("" when there is none or they do
// not match): the chat id of /agent/chats/{id}/messages.
std::string FirstPathId(std::string_view pattern, std::string_view path);

}  // namespace wsr::thenvoi
