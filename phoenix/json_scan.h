// A minimal JSON scanner that finds where a value ends without building it.
//
// Used by the Phoenix codec to slice a frame into raw element texts. It checks structure
// (balanced containers, terminated strings, literal and number characters) but is not a full
// validator. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace wsr::phoenix {

// Skips whitespace from pos; returns the new position.
size_t SkipWs(std::string_view s, size_t pos);

// Returns the position just past the JSON value starting at pos, or npos on malformed input.
size_t SkipValue(std::string_view s, size_t pos);

}  // namespace wsr::phoenix
