#include "tools/diff_align.h"

#include <algorithm>
#include <cstdint>

namespace wsr::tools {

std::vector<std::pair<size_t, size_t>> LongestCommonSubsequence(const std::vector<int>& a,
                                                                const std::vector<int>& b) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) {
    out.emplace_back(pre, pre);
    ++pre;
  }
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  if (n > 0 && m > 0) {
    if (n * m <= kMaxLcsCells) {
      // len[i][j] = LCS of a[pre+i..pre+n) and b[pre+j..pre+m).
      std::vector<uint32_t> len((n + 1) * (m + 1), 0);
      auto at = [&](size_t i, size_t j) -> uint32_t& { return len[i * (m + 1) + j]; };
      for (size_t i = n; i-- > 0;) {
        for (size_t j = m; j-- > 0;) {
          at(i, j) = a[pre + i] == b[pre + j] ? at(i + 1, j + 1) + 1
                                              : std::max(at(i + 1, j), at(i, j + 1));
        }
      }
      size_t i = 0, j = 0;
      while (i < n && j < m) {
        if (a[pre + i] == b[pre + j]) {
          out.emplace_back(pre + i, pre + j);
          ++i;
          ++j;
        } else if (at(i + 1, j) >= at(i, j + 1)) {
          ++i;
        } else {
          ++j;
        }
      }
    } else {
      size_t j = 0;
      for (size_t i = 0; i < n && j < m; ++i) {
        for (size_t k = j; k < m && k < j + 256; ++k) {
          if (a[pre + i] == b[pre + k]) {
            out.emplace_back(pre + i, pre + k);
            j = k + 1;
            break;
          }
        }
      }
    }
  }
  for (size_t k = suf; k > 0; --k) out.emplace_back(a.size() - k, b.size() - k);
  return out;
}

}  // namespace wsr::tools
