// HAR 1.2 entries <-> HTTP exchanges (the REST half of a session).
//
// Export: an exchange is an ordinary HAR entry, next to the WebSocket entries of its session:
// request (method, URL = the session's upstream with ws -> http and wss -> https, else
// http://<Host>, + path + query; headers; queryString; postData with the request body),
// response (status, 0 when there was none, with `_error`; headers; content with the body, as
// base64 with "encoding": "base64" when it is not UTF-8), startedDateTime and time from the
// offsets (timings.wait is the whole time), `_resourceType: "fetch"`, and what HAR cannot say
// in a `_wsreplay` object: the client connection, the initiator and the decoded-body flags.
//
// Import: an entry that is neither a WebSocket nor a page resource a browser loaded (Chrome's
// `_resourceType` document, script, stylesheet, image, font, media, ...) is an API call and
// becomes an exchange. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cassettes/model.h"

namespace wsr::tools {

nlohmann::ordered_json HarEntryFromExchange(const cassette::Session& s,
                                            const cassette::Exchange& e);

// True for an entry to import as an exchange: `_resourceType` absent (mitmproxy, Playwright)
// or xhr, fetch, preflight, eventsource or other.
bool IsHarApiEntry(const nlohmann::json& entry);

struct HarExchange {
  // request_ns/response_ns are epoch ns here (the caller rebases them on the session start);
  // ordinal and session_id are left for the caller; http_connection from `_wsreplay`, else 0.
  cassette::Exchange exchange;
  std::string connection;  // Chrome's "connection" id ("" when absent), to number connections
  std::string url;         // request.url
};
// Throws wsr::Error naming entry `index` (from 0) when startedDateTime is missing or bad, a
// body is not valid base64, or a body is over `max_body` bytes.
HarExchange ExchangeFromHarEntry(const nlohmann::json& entry, size_t index, uint64_t max_body);

}  // namespace wsr::tools
