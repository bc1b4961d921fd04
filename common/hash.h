// SHA-256 helpers (OpenSSL). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wsr {

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace wsr
