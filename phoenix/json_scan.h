// A minimal JSON scanner that finds where a value ends without building it.
//
// Used by the Phoenix codec to slice a frame into raw element texts. It checks structure
// (balanced containers, terminated strings, literal and number characters) but is not a full
// validator. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace wsr::phoenix {

// Skips whitespace from pos; returns the new position.
size_t SkipWs(std::string_view s, size_t pos);

// Returns the position just past the JSON value starting at pos, or npos on malformed input.
size_t SkipValue(std::string_view s, size_t pos);

// The byte range [first, second) of the value an RFC 6901 JSON pointer ("/a/0/b", "~1" for
// '/', "~0" for '~') designates in the JSON text `doc`, found by scanning, without building
// the document; nullopt when the path does not exist or the text on the way is malformed.
// Object keys are compared after JSON unescaping; the last of duplicate keys wins (as
// nlohmann::json parses them). "" designates the whole document.
std::optional<std::pair<size_t, size_t>> FindPointer(std::string_view doc,
                                                     std::string_view pointer);

}  // namespace wsr::phoenix
