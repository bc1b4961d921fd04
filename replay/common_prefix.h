// CommonPrefixLength: how many leading bytes two strings share. The replayers use it to name
// the nearest recorded topic or path when they explain a mismatch. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace wsr::replay {

inline size_t CommonPrefixLength(std::string_view a, std::string_view b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

}  // namespace wsr::replay
