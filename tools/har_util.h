// Small pieces of HAR 1.2 shared by the WebSocket entries (har.cc) and the HTTP exchange
// entries (har_exchange.cc): header lists, query strings, status texts, times.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cassettes/model.h"

namespace wsr::tools {

// [{"name": ..., "value": ...}, ...] in order.
nlohmann::ordered_json HarHeaders(const cassette::Headers& h);
// `obj.headers` as a header list; entries without a string name are skipped, a missing
// value is "". Empty when obj is not an object or has no headers array.
cassette::Headers ReadHarHeaders(const nlohmann::json& obj);
// The first value of header `lower_name` (compared case-insensitively), "" when absent.
std::string HeaderValue(const cassette::Headers& h, const std::string& lower_name);
// "a=1&b" -> [{"name":"a","value":"1"},{"name":"b","value":""}] (encoding kept).
nlohmann::ordered_json HarQueryString(const std::string& query);
// A body as HAR's `content` (or `postData`): {"size", "mimeType" (the Content-Type of
// `headers`, else "x-unknown"), "text"}: the bytes when they are valid UTF-8, otherwise their
// base64 with "encoding": "base64" (HAR 1.2, section 4.16).
nlohmann::ordered_json HarContent(std::string_view body, const cassette::Headers& headers);
// The bytes of a `content` or `postData` object: its "text", base64-decoded when "encoding" is
// "base64"; nullopt when it has no text. Throws wsr::Error("<what> is not base64").
std::optional<std::string> ReadHarText(const nlohmann::json& obj, const std::string& what);
// The path (at least "/") and query of an absolute URL (or a bare target); a fragment is
// dropped.
void SplitUrlTarget(const std::string& url, std::string* path, std::string* query);
// The usual reason phrase of a status, "" for one this table does not know.
const char* StatusText(int status);
// Epoch seconds -> ns, rounded to the microsecond (a double near 1.7e9 s carries no more);
// NaN and out-of-range times are clamped to what int64 ns can hold.
int64_t EpochSecondsToNs(double seconds);

}  // namespace wsr::tools
