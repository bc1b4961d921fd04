// Lint of the REST half of a session: checks recorded HTTP exchanges against the REST table
// of thenvoi/rest_spec.h and against the pushes a call should cause.
//
// Checked, for exchanges under /api/v1 (others are counted and left alone):
//   - the method and path are documented (warning otherwise: the table may lag the API);
//   - a 2xx answer with a body is JSON with the envelope: an object with "data" (error; a
//     warning where the spec leaves the envelope open, GET /agent/me), and for list endpoints
//     "data" an array and "metadata" (or the older "meta") present (warning);
//   - a call that causes a push (spec 6.2, thenvoi::CausedPush) answered 2xx is followed by
//     that push on one of the connections sure to receive it: a `POST .../chats/{cid}/messages`
//     by a message_created on chat_room:{cid} of a user connection, a `POST
//     .../chats/{cid}/participants` by a participant_added on room_participants:{cid} of any
//     connection. Only connections whose join of the topic was answered ok by the response's
//     end and that neither left it nor closed until after it count; when there are none,
//     nothing is expected. Warning otherwise.
// Pure functions over value types; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cassettes/model.h"
#include "tools/lint_rules.h"

namespace wsr::tools {

// What the WebSocket side of the session showed, for the push checks.
struct LintSocket {  // one WebSocket connection
  int conn = 0;
  bool agent = false;      // an agent's (agent_id in its query, or an agent_* topic joined)
  std::string credential;  // RedactedCredential of its query, "" when none
};
struct LintSubscription {  // one topic joined on one connection
  int conn = 0;
  std::string topic;
  int64_t joined_ns = 0;  // the ok reply to the join
  // The leave, phx_close/phx_error, or the connection's close; nullopt: joined to the end.
  std::optional<int64_t> left_ns;
};
struct LintPush {  // a server-to-client event other than a reply
  int conn = 0;
  int64_t offset_ns = 0;
  std::string topic, event;
};
struct LintWebSocketSide {
  std::vector<LintSocket> sockets;
  std::vector<LintSubscription> subscriptions;
  std::vector<LintPush> pushes;
};

// Builds a LintWebSocketSide from a session's connections and Phoenix frames (in recorded
// order). Not thread-safe; one per lint run.
class LintWebSocketCollector {
 public:
  void AddConnection(int conn, const std::string& query, std::optional<int64_t> closed_ns);
  void AddFrame(int conn, const cassette::Frame& frame);  // needs its Phoenix columns
  LintWebSocketSide Finish();

 private:
  LintWebSocketSide side_;
  std::map<int, size_t> socket_of_;                          // conn -> index in sockets
  std::map<int, std::optional<int64_t>> closed_ns_;          // conn -> its close
  std::map<std::pair<int, std::string>, std::string> join_;  // (conn, ref) -> topic awaiting ok
  std::map<std::pair<int, std::string>, size_t> open_;       // (conn, topic) -> subscription
};

struct RestLintResult {
  std::vector<LintFinding> findings;
  size_t checked = 0;  // exchanges under /api/v1
  size_t skipped = 0;  // other exchanges
};

// The hash part of the first "redacted:<what>:<hash>" placeholder in `text` (a query string or
// a header value), "" when there is none. The recorder redacts equal secrets to equal hashes on
// both halves, so an agent's REST key and its socket's api_key give the same value: the
// connection of an /api/v1/agent caller's key is an agent's.
std::string RedactedCredential(std::string_view text);

RestLintResult LintExchanges(const std::vector<cassette::Exchange>& exchanges,
                             const LintWebSocketSide& ws);

}  // namespace wsr::tools
