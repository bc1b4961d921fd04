// fuzz-libs: wsr_phoenix
// fuzz-options: -max_len=2048 -dict=fuzz/dict/json.dict
//
// Fuzzes phoenix::Parse, the codec every client and upstream text frame goes through when
// recording and replaying. Checks, beyond "no crash and no sanitizer report":
//  - the raw tokens Parse returns are views into the input;
//  - Parse agrees with a real JSON parser: whenever nlohmann::json accepts the input as
//    [null|string|number, null|string|number, string, string, any], Parse accepts it with the
//    same topic and event;
//  - Encode(Parse(x)) parses back to the same frame (topic/event valid UTF-8);
//  - RefText and Quote do not fail on what Parse returns.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "phoenix/frame.h"

namespace {

using wsr::phoenix::Frame;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "phoenix_frame_fuzz: %s\n", what);
  std::abort();
}

bool Within(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool IsValidUtf8(std::string_view s) {
  // Only needs to match nlohmann's notion for the round-trip check; it is strict RFC 3629.
  auto json = nlohmann::json(std::string(s));
  std::string dumped = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore);
  std::string strict = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return dumped == strict;
}

// Inputs on which nlohmann::json's verdict is comparable: no NUL byte (nlohmann takes one
// as the end of the input) and no deep nesting (the scanner refuses 512 levels, nlohmann
// does not).
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

bool IsRefValue(const nlohmann::json& v) { return v.is_null() || v.is_string() || v.is_number(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<Frame> frame = wsr::phoenix::Parse(text);

  if (Comparable(text)) {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_array() && j.size() == 5 && IsRefValue(j[0]) &&
        IsRefValue(j[1]) && j[2].is_string() && j[3].is_string()) {
      if (!frame) Fail("valid Phoenix frame refused by Parse");
      if (frame->topic != j[2].get<std::string>()) Fail("topic differs from the JSON parser's");
      if (frame->event != j[3].get<std::string>()) Fail("event differs from the JSON parser's");
    }
  }
  if (!frame) return 0;

  if (!Within(frame->join_ref, text) || !Within(frame->ref, text) ||
      !Within(frame->payload, text)) {
    Fail("a raw token points outside the input");
  }
  (void)wsr::phoenix::RefText(frame->join_ref);
  (void)wsr::phoenix::RefText(frame->ref);

  if (IsValidUtf8(frame->topic) && IsValidUtf8(frame->event)) {
    std::string encoded = wsr::phoenix::Encode(frame->join_ref, frame->ref, frame->topic,
                                               frame->event, frame->payload);
    std::optional<Frame> again = wsr::phoenix::Parse(encoded);
    if (!again) Fail("Encode(Parse(x)) does not parse");
    if (again->join_ref != frame->join_ref || again->ref != frame->ref ||
        again->topic != frame->topic || again->event != frame->event ||
        again->payload != frame->payload) {
      Fail("Encode(Parse(x)) parses to a different frame");
    }
  }
  return 0;
}
