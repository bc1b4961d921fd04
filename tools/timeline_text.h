// Text escaping for the timeline renderers: XML text/attributes (SVG), JSON embedded in an HTML
// <script> element, and a printable preview of frame payloads (text or binary).
//
// Cassette payloads are arbitrary bytes: every function here first repairs invalid UTF-8
// (each bad byte becomes U+FFFD) so the output is always well-formed. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wsr::tools {

// Valid UTF-8 copy of s: invalid sequences become U+FFFD.
std::string RepairUtf8(std::string_view s);

// Escapes &, <, >, " and ' for XML text and attribute values; drops control characters
// that XML 1.0 forbids (all below 0x20 except tab, LF, CR).
std::string XmlEscape(std::string_view s);

// Makes serialized JSON safe inside <script type="application/json">: '<', '>' and '&' become
// \u003c, \u003e and \u0026 (JSON only has these inside strings, so the value is unchanged),
// so "</script>" or "<!--" in a payload cannot end or alter the script element.
std::string ScriptSafeJson(std::string_view json);

// Payload shown to a human: text frames as (repaired) text, binary frames as
// "binary N bytes: hex...". Truncated to max_bytes (UTF-8 safe), *truncated set if so.
std::string PayloadPreview(std::string_view payload, bool is_text, size_t max_bytes,
                           bool* truncated);

}  // namespace wsr::tools
