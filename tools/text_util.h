// Small text helpers shared by the cassette tools: base64, hex, UTF-8 validation, ISO 8601
// times.
// Pure functions; thread-safe. Parse functions throw wsr::Error naming the bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsr::tools {

std::string Base64Encode(std::string_view bytes);
// Standard alphabet; also accepts base64url, missing padding and embedded whitespace.
// nullopt when the text is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

// Lower-case hex, two digits per byte ("03e8" for "\x03\xe8").
std::string HexEncode(std::string_view bytes);
// Either case, even length, no separators; nullopt otherwise.
std::optional<std::string> HexDecode(std::string_view text);

bool IsValidUtf8(std::string_view s);

// "2026-11-28T21:43:23.123Z" (UTC) with `digits` fractional digits (0..9).
std::string FormatIso8601(int64_t epoch_ns, int digits = 3);
// Accepts "YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm|+hhmm)"; nullopt otherwise.
std::optional<int64_t> ParseIso8601(std::string_view text);

}  // namespace wsr::tools
