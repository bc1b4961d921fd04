// Reading an HTTP request's head from libwebsockets (lws's parsed header tokens), for the
// servers that answer HTTP on an lws listener (replay, sim). Stateless; call on the service
// thread inside the callback that owns `wsi`.
#pragma once

#include <libwebsockets.h>

#include <string>

namespace wsr::lwshttp {

// The header (or URI token) as lws parsed it; "" when absent.
std::string HeaderCopy(lws* wsi, lws_token_indexes token);
// The query string (its '&'-separated fragments joined again), "" when none.
std::string QueryOf(lws* wsi);
// "GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS" or "HEAD", from the URI token lws set.
std::string MethodOf(lws* wsi);

}  // namespace wsr::lwshttp
