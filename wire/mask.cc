#include "wire/mask.h"

#include <cstring>

namespace wsr::wire {

void ApplyMask(uint8_t* data, size_t len, const uint8_t key[4], uint64_t offset) {
  uint8_t k[8];
  for (int i = 0; i < 8; ++i) k[i] = key[(offset + i) & 3];
  size_t i = 0;
  // Byte by byte until data is 8-aligned, then 8 bytes at a time with the rotated key.
  while (i < len && (reinterpret_cast<uintptr_t>(data + i) & 7) != 0) {
    data[i] ^= k[i & 3];
    ++i;
  }
  if (i + 8 <= len) {
    uint8_t r[8];
    for (int j = 0; j < 8; ++j) r[j] = k[(i + j) & 3];
    uint64_t kw;
    std::memcpy(&kw, r, 8);
    for (; i + 8 <= len; i += 8) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      w ^= kw;
      std::memcpy(data + i, &w, 8);
    }
  }
  for (; i < len; ++i) data[i] ^= k[i & 3];
}

}  // namespace wsr::wire
