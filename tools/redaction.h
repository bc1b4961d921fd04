// Applies a Redactor to whole cassette rows: the one place where `import` and `redact` decide
// which columns carry secrets (session upstream; connection query, headers, request and
// response heads, upstream URL, subprotocol; frame payloads via the JSON-pointer rules).
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

}  // namespace wsr::tools
