// Reading the simulator's JSON Lines files (keys, scenario): one JSON object per line,
// blank lines and lines starting with '#' skipped, every error prefixed "SOURCE:LINE: ".
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace wsr::sim {

// Calls `each` with every object line of `text` (key order kept), its 1-based line number
// and "SOURCE:LINE" for error messages. Throws wsr::Error for a line that is not valid JSON
// or not an object, and lets `each`'s own wsr::Error through.
void ForEachJsonLine(std::string_view text, const std::string& source,
                     const std::function<void(const nlohmann::ordered_json& obj, int lineno,
                                              const std::string& where)>& each);

// The whole file; throws wsr::Error "cannot read WHAT PATH".
std::string ReadTextFile(const std::string& path, const std::string& what);

}  // namespace wsr::sim
