// RFC 6455 masking (section 5.3): XOR with a 4-byte key, continuing at any offset of a frame's
// payload so that a payload delivered in pieces can be unmasked piece by piece.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsr::wire {

// XORs data[0..len) in place with key, as if data started `offset` bytes into the payload.
void ApplyMask(uint8_t* data, size_t len, const uint8_t key[4], uint64_t offset);

}  // namespace wsr::wire
