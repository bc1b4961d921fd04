// Handshake helpers: read what a client sent in its upgrade request from a libwebsockets
// wsi, and build what the relay sends upstream. Edge code (lws), used on the service thread
// only, while the request headers are still attached to the wsi (up to ESTABLISHED).
//
// lws decodes the request target as it parses it (%XX, '+' -> ' ', "//" and "/./" folded) and
// splits the query at '&' and ';'. RequestTarget() re-encodes it: the result is equivalent
// to what the client sent (same decoded names and values, same order), and byte-identical
// for the usual cases (unreserved characters, e.g. Thenvoi's api_key/agent_id/vsn).
#pragma once

#include <libwebsockets.h>

#include <string>
#include <utility>
#include <vector>

#include "cassettes/model.h"

namespace wsr::proxy {

struct RequestTarget {
  std::string path;   // "/api/v1/socket/websocket"
  std::string query;  // "api_key=...&vsn=2.0.0", no '?'; "" when none
};
RequestTarget ReadRequestTarget(lws* wsi);

// Every header lws recognises plus the given custom (unrecognised) ones, in token order.
// Names are lower-case without the colon, e.g. {"user-agent", "curl/8"}.
cassette::Headers ReadHeaders(lws* wsi, const std::vector<std::string>& custom_names);

// Percent-encodes for a path (keeps '/') or for a query name/value (encodes & = + ; #).
std::string EncodePathPart(const std::string& decoded);
std::string EncodeQueryPart(const std::string& decoded);

}  // namespace wsr::proxy
