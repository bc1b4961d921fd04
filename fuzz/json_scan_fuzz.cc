// fuzz-libs: wsr_phoenix
// fuzz-options: -max_len=2048 -dict=fuzz/dict/json.dict
//
// Fuzzes the JSON scanner under the Phoenix codec (phoenix/json_scan.h). Checks, beyond "no
// crash and no sanitizer report":
//  - SkipWs and SkipValue never move backwards or past the end, from any start position;
//  - SkipValue finds the end of every document a real JSON parser (nlohmann::json) accepts:
//    the value starting at the first non-blank byte ends where only blanks remain.
//  - FindPointer finds, in every such document, the value nlohmann::json finds at each leaf's
//    JSON pointer (up to 32 leaves): the bytes it returns parse to the same value.
// (The scanner is deliberately not a validator, so it may accept more than nlohmann.)
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "phoenix/json_scan.h"

namespace {

constexpr size_t kNpos = std::string_view::npos;

[[noreturn]] void Fail(const char* what, size_t pos) {
  std::fprintf(stderr, "json_scan_fuzz: %s (start %zu)\n", what, pos);
  std::abort();
}

// Inputs on which nlohmann::json's verdict is comparable: no NUL byte (nlohmann takes one
// as the end of the input) and no deep nesting (the scanner stops at 512 levels).
bool Comparable(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return false;
  int depth = 0;
  for (char c : s) {
    if (c == '[' || c == '{') {
      if (++depth >= 400) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

void CheckFrom(std::string_view s, size_t pos) {
  size_t ws = wsr::phoenix::SkipWs(s, pos);
  if (ws < pos || ws > s.size()) Fail("SkipWs out of range", pos);
  size_t end = wsr::phoenix::SkipValue(s, pos);
  if (end != kNpos && (end <= pos || end > s.size())) Fail("SkipValue out of range", pos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  // Every start position for small inputs (values inside values), a few for large ones.
  size_t step = size <= 256 ? 1 : size / 64;
  for (size_t pos = 0; pos <= size; pos += step) CheckFrom(s, pos);

  size_t start = wsr::phoenix::SkipWs(s, 0);
  if (Comparable(s)) {
    auto j = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      size_t end = wsr::phoenix::SkipValue(s, start);
      if (end == kNpos) Fail("valid JSON refused", start);
      if (wsr::phoenix::SkipWs(s, end) != size) Fail("valid JSON: wrong end", start);
      int leaves = 0;
      nlohmann::json flat = j.flatten();  // items() of a temporary would dangle
      for (const auto& [pointer, leaf] : flat.items()) {
        if (++leaves > 32) break;
        (void)leaf;
        auto range = wsr::phoenix::FindPointer(s, pointer);
        if (!range) Fail("FindPointer missed a leaf", start);
        auto found = nlohmann::json::parse(s.substr(range->first, range->second - range->first),
                                           nullptr, false);
        if (found != j.at(nlohmann::json::json_pointer(pointer))) {
          Fail("FindPointer found another value", range->first);
        }
      }
    }
  }
  return 0;
}
