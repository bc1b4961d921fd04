// fuzz-libs: wsr_replay
// fuzz-options: -max_len=256 -dict=fuzz/dict/fault.dict
//
// Fuzzes the fault and breakpoint grammar (replay/fault_spec.h): the first byte picks
// ParseFaultSpec (even) or ParseBreakSpec (odd), the rest is the spec text. Checks, beyond
// "no crash, no exception, no sanitizer report": an error is one non-empty line ending with
// the grammar; an accepted spec has its values in range and its canonical text parses back
// to the same canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "replay/fault_spec.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fault_spec_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool fault = (data[0] & 1) == 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  using wsr::replay::FaultSpec;
  auto parse = [&](std::string_view t) {
    return fault ? wsr::replay::ParseFaultSpec(t) : wsr::replay::ParseBreakSpec(t);
  };
  auto r = parse(text);
  if (auto* err = std::get_if<std::string>(&r)) {
    const char* grammar = fault ? wsr::replay::kFaultGrammar : wsr::replay::kBreakGrammar;
    if (err->empty()) Fail("empty error", "");
    if (err->find('\n') != std::string::npos) Fail("multi-line error", *err);
    if (err->size() < std::string_view(grammar).size() ||
        err->compare(err->size() - std::string_view(grammar).size(), std::string::npos, grammar) !=
            0) {
      Fail("error does not end with the grammar", *err);
    }
    return 0;
  }
  const FaultSpec& s = std::get<FaultSpec>(r);
  if (s.is_break() == fault) Fail("wrong kind", s.ToString());
  if (s.action == FaultSpec::Action::kClose && (s.close_code < 1000 || s.close_code > 4999)) {
    Fail("close code out of range", s.ToString());
  }
  if (s.close_reason.size() > 123) Fail("close reason too long", s.ToString());
  if (s.action == FaultSpec::Action::kRefuse && (s.refuse_status < 400 || s.refuse_status > 599 ||
                                                 s.trigger != FaultSpec::Trigger::kConnect)) {
    Fail("bad refuse", s.ToString());
  }
  if (s.delay_ns < 0 || s.time_ns < 0 || s.conn < 0 || s.frame_n < 0 || s.connect_n < 0) {
    Fail("negative value", s.ToString());
  }
  std::string canonical = s.ToString();
  auto again = parse(canonical);
  if (auto* err = std::get_if<std::string>(&again)) Fail("canonical text refused", *err);
  if (std::get<FaultSpec>(again).ToString() != canonical) Fail("round trip differs", canonical);
  return 0;
}
