// The live page of the replay server (GET /__wsreplay/): one self-contained HTML document (no
// outside assets) that shows the session as it is replayed and drives it.
//
// It draws like `wsreplay timeline` (tools/timeline_html.h): a lane per connection and per
// Phoenix topic, marks coloured by the same frame kinds (tools/timeline_model.h), client
// frames above the lane line and server frames below, x = recorded time since the
// connection opened. It reads GET /__wsreplay/events (Server-Sent Events, see live_feed.h)
// and lights every frame as it goes out, draws the pending frames from GET
// /__wsreplay/status (the next one of each connection marked, with what it waits for), shows
// client frames the cassette does not have in red with their explanation, and has buttons
// for pause, resume, step, advance and speed, plus forms for faults and breakpoints
// (POST /__wsreplay/fault?spec=, /__wsreplay/break?spec=) and the faults, breakpoints and hits
// of status.faults, hits marked on their connection's lane. Its requests are same-origin, so
// they pass request_guard.h. Pure function; thread-safe.
#pragma once

#include <string>

namespace wsr::replay {

std::string LivePageHtml(const std::string& session_name);

}  // namespace wsr::replay
