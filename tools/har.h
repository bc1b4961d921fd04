// HAR 1.2 with Chrome's WebSocket extension (`_resourceType: "websocket"`, `_webSocketMessages`
// of {type: send|receive, time: epoch seconds, opcode, data}), in both directions.
//
// Export writes one entry per connection of a session: request/response headers from the
// recorded heads (every header, in order, case kept; the header lists of older cassettes
// otherwise), a refused upgrade's body as response.content, data and control frames (close,
// ping, pong) as messages, compressed/violation marks in `_wsreplay` (see har_message.h), the
// close code in `_webSocketClose`; and one ordinary entry per HTTP exchange (har_exchange.h),
// all in start order. Import reads HARs written by Chrome, Playwright, mitmproxy or wsreplay:
// every entry with WebSocket messages becomes a connection of one new session, control frames
// and marks kept, and every API call (an HTTP entry that is not a page resource) an exchange of
// it; what HAR cannot carry (fragment sizes, monotonic timing,
// the heads byte for byte) is listed in the result's notes. Not thread-safe (works on a
// Cassette).
#pragma once

#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "common/progress.h"
#include "recorder/redactor.h"
#include "tools/import_limits.h"

namespace wsr::tools {

// `progress` (may be null) is given the number of frames and told how many are read.
void ExportHar(cassette::Cassette& c, const cassette::Session& session,
               const std::string& tool_version, std::ostream& out, Progress* progress = nullptr);

struct HarImport {
  std::string session_name;
  int connections = 0;
  int64_t frames = 0, exchanges = 0;
  std::vector<std::string> notes;  // what the HAR lacked or what was skipped, one line each
};

// Parses `text` as a HAR and inserts one session named `session_name` into `out` (inside the
// caller's transaction), applying `redactor`. Throws wsr::Error on a bad file, and on input
// over `limits`: more than limits.max_har_values JSON values outside the messages (that part
// of the document is held whole, at up to ~100 bytes a value), more than
// limits.max_har_messages messages (each is converted as soon as it is parsed and dropped from
// the document), a message payload over limits.max_message_size (the error names the entry
// and message index, from 0).
HarImport ImportHar(const std::string& text, cassette::Cassette& out, const Redactor& redactor,
                    const std::string& session_name, const std::string& tool_version,
                    const ImportLimits& limits = {});
// The same, reading the HAR from `file` (not held as text besides its parsed form; the caller
// checks the file size against limits.max_har_bytes). limits.progress is told the bytes read.
HarImport ImportHarFile(std::FILE* file, cassette::Cassette& out, const Redactor& redactor,
                        const std::string& session_name, const std::string& tool_version,
                        const ImportLimits& limits = {});

// True when `text` looks like a HAR (a JSON object with log.entries).
bool LooksLikeHar(const std::string& text);

}  // namespace wsr::tools
