// Parses and prints durations such as "2s", "150ms", "1.5s", "2m", "500us".
// Pure functions; thread-safe. ParseDurationNs throws wsr::Error on bad input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsr {

int64_t ParseDurationNs(std::string_view text);
// "1.234s", "12.5ms", "830us": short, for listings.
std::string FormatDurationNs(int64_t ns);

}  // namespace wsr
