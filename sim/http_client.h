// HttpCall: one blocking HTTP/1.1 request over plain TCP, for the demo's agent (and tests).
//
// Opens a connection to the host and port of `base` (ws://, http://; no TLS), sends one
// request with `Connection: close` and a Content-Length body, and reads the response head and
// body (Content-Length, chunked or until close; parsed by wire::HttpHeadParser and
// HttpBodyReader). Never throws for network outcomes: a refused connection, a timeout or a
// malformed response is HttpCallResult::error. Thread-safe (no shared state).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace wsr::sim {

struct HttpCallRequest {
  std::string method = "GET";
  std::string target;  // "/api/v1/agent/me" (appended to the base URL's path prefix)
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host/Content-Length
  std::string body;
};

struct HttpCallResult {
  int status = 0;  // 0 when no response head arrived
  std::string body;
  std::string error;  // empty on success (any status)
};

// `base`: "http://127.0.0.1:8080" or "ws://127.0.0.1:8080/prefix".
HttpCallResult HttpCall(const std::string& base, const HttpCallRequest& request,
                        int timeout_ms = 5000);

}  // namespace wsr::sim
