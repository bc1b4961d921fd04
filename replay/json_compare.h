// Compares client JSON against recorded JSON, ignoring chosen fields (--ignore-json POINTER).
// Object key order never matters. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::replay {

// nullopt when equal; else a one-line explanation of the first difference, e.g.
// "/body/text: recorded \"hi\", got \"ho\"". Texts that are not JSON are compared as bytes.
std::optional<std::string> JsonDifference(std::string_view recorded, std::string_view live,
                                          const std::vector<std::string>& ignore);

// Short printable excerpt of a frame for logs and reports (binary shown as hex).
std::string Excerpt(std::string_view bytes, bool binary, size_t max = 120);

// Byte comparison explanation: nullopt when equal.
std::optional<std::string> BytesDifference(std::string_view recorded, std::string_view live);

}  // namespace wsr::replay
