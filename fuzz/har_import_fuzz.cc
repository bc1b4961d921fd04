// fuzz-libs: wsr_tools
// fuzz-options: -max_len=8192 -dict=fuzz/dict/har.dict
//
// Fuzzes the HAR import (tools/har.h LooksLikeHar and ImportHar), which reads HAR files saved
// by browsers and other tools. Each input is imported into the process's in-memory scratch
// cassette inside a transaction that is rolled back (see scratch_cassette.h). Checks, beyond
// "no crash and no sanitizer report" (UBSan includes float-to-integer overflow, which HAR
// times can cause):
//  - bad input is refused with wsr::Error (the documented contract: any other exception
//    escaping, e.g. from nlohmann::json, is a finding);
//  - an accepted HAR gives exactly one session, and the connection and frame counts
//    ImportHar returns are the rows in the cassette.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "fuzz/scratch_cassette.h"
#include "recorder/redactor.h"
#include "tools/har.h"

namespace {

[[noreturn]] void Fail(const char* what, long long reported, long long stored) {
  std::fprintf(stderr, "har_import_fuzz: %s: import reported %lld, cassette holds %lld\n", what,
               reported, stored);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const wsr::Redactor* redactor = new wsr::Redactor();
  auto& scratch = wsr::fuzz::ScratchCassette::Get();
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)wsr::tools::LooksLikeHar(text);
  auto& cassette = scratch.Begin();
  try {
    wsr::tools::HarImport result =
        wsr::tools::ImportHar(text, cassette, *redactor, "fuzz", "fuzz-0.0");
    if (scratch.Sessions() != 1) Fail("sessions", 1, scratch.Sessions());
    if (result.connections != scratch.Connections()) {
      Fail("connections", result.connections, scratch.Connections());
    }
    if (result.frames != scratch.Frames()) Fail("frames", result.frames, scratch.Frames());
  } catch (const wsr::Error&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  scratch.Rollback();
  return 0;
}
