// Parses and prints durations such as "2s", "150ms", "1.5s", "2m", "500us".
// Pure functions; thread-safe. ParseDurationNs throws wsr::Error on bad input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsr {

// The longest duration ParseDurationNs accepts: 2^60 ns (about 36 years), as long as the
// longest span a cassette holds (cassette::kMaxOffsetNs), so durations and recorded times
// add without overflow.
inline constexpr int64_t kMaxDurationNs = int64_t{1} << 60;
// The same in whole milliseconds, for inputs given in ms (POST advance?ms=N, a scenario's at_ms).
inline constexpr int64_t kMaxDurationMs = kMaxDurationNs / 1'000'000;

int64_t ParseDurationNs(std::string_view text);
// ParseDurationNs for a command-line flag: the error starts with the flag's name
// ("--max-gap: bad duration '2 parsecs': ...").
int64_t ParseDurationFlag(std::string_view flag, std::string_view text);
// "1.234s", "12.5ms", "830us": short, for listings.
std::string FormatDurationNs(int64_t ns);

}  // namespace wsr
