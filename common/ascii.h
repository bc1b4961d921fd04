// ASCII case folding for protocol tokens (header names, file extensions, HAR names):
// locale-independent, unlike std::tolower on a string. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wsr {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace wsr
