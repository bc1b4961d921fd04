// Applies a Redactor to whole cassette rows: the one place where `import` and `redact` decide
// which columns carry secrets (session upstream; connection query, headers, request and
// response heads, upstream URL, subprotocol; frame payloads via the JSON-pointer rules;
// exchange query, headers and JSON bodies).
// Pure functions over value types; thread-safe (the Redactor is immutable).
#pragma once

#include "cassettes/model.h"
#include "recorder/redactor.h"

namespace wsr::tools {

// Each returns true when it changed something.
bool RedactSessionRow(const Redactor& r, cassette::Session* s);
bool RedactConnectionRow(const Redactor& r, cassette::Connection* c);
// Rewrites the payload when a JSON rule matches and refreshes the Phoenix columns.
bool RedactFrameRow(const Redactor& r, cassette::Frame* f);
// An HTTP exchange as `record` redacts it: the query, the request and response headers (and
// the query inside URL-valued headers), and JSON bodies (every "api_key" member and the JSON
// pointers). A body stored decoded is redacted as stored.
bool RedactExchangeRow(const Redactor& r, cassette::Exchange* e);

}  // namespace wsr::tools
