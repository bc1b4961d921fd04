// Sequence alignment for `wsreplay diff`: the longest common subsequence of two key
// sequences (keys are small ints standing for an event's identity).
//
// Common prefix and suffix are matched first; the rest uses the O(n*m) dynamic programme when
// n*m <= kMaxCells, otherwise a greedy forward match (still monotonic, maybe not longest).
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace wsr::tools {

inline constexpr size_t kMaxLcsCells = 16u * 1024u * 1024u;

// Matched index pairs (i into a, j into b), strictly increasing in both.
std::vector<std::pair<size_t, size_t>> LongestCommonSubsequence(const std::vector<int>& a,
                                                                const std::vector<int>& b);

}  // namespace wsr::tools
