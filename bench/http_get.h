// HttpGet: one blocking HTTP/1.1 GET on 127.0.0.1 (the replayer's /__wsreplay/ control
// endpoint). Returns the body of a 200 answer, nullopt on any failure or timeout.
// Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>

namespace wsr::bench {

std::optional<std::string> HttpGet(int port, const std::string& target, int timeout_ms = 5000);

}  // namespace wsr::bench
