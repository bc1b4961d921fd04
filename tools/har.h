// HAR 1.2 with Chrome's WebSocket extension (`_resourceType: "websocket"`, `_webSocketMessages`
// of {type: send|receive, time: epoch seconds, opcode, data}), in both directions.
//
// Export writes one entry per connection of a session: request/response headers from the
// recorded heads (every header, in order, case kept; the header lists of older cassettes
// otherwise), a refused upgrade's body as response.content, data and control frames (close,
// ping, pong) as messages, compressed/violation marks in `_wsreplay` (see har_message.h), the
// close code in `_webSocketClose`. Import reads HARs written by Chrome, Playwright, mitmproxy
// or wsreplay: every entry with WebSocket messages becomes a connection of one new session,
// control frames and marks kept; what HAR cannot carry (fragment sizes, monotonic timing,
// the heads byte for byte) is listed in the result's notes. Not thread-safe (works on a
// Cassette).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "recorder/redactor.h"

namespace wsr::tools {

void ExportHar(cassette::Cassette& c, const cassette::Session& session,
               const std::string& tool_version, std::ostream& out);

struct HarImport {
  std::string session_name;
  int connections = 0;
  int64_t frames = 0;
  std::vector<std::string> notes;  // what the HAR lacked or what was skipped, one line each
};

// Parses `text` as a HAR and inserts one session named `session_name` into `out` (inside the
// caller's transaction), applying `redactor`. Throws wsr::Error on a bad file.
HarImport ImportHar(const std::string& text, cassette::Cassette& out, const Redactor& redactor,
                    const std::string& session_name, const std::string& tool_version);

// True when `text` looks like a HAR (a JSON object with log.entries).
bool LooksLikeHar(const std::string& text);

}  // namespace wsr::tools
