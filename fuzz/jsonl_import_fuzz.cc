// fuzz-libs: wsr_tools
// fuzz-options: -max_len=4096 -dict=fuzz/dict/jsonl.dict
//
// Fuzzes the JSON Lines import (tools/jsonl.h ImportJsonl), which reads files users bring
// from elsewhere. Each input is imported into the process's in-memory scratch cassette
// inside a transaction that is rolled back (see scratch_cassette.h), with the default
// redaction rules plus a JSON-pointer rule. Checks, beyond "no crash and no sanitizer
// report":
//  - bad input is refused with wsr::Error (the documented contract: any other exception
//    escaping, e.g. from nlohmann::json, is a finding);
//  - the counts ImportJsonl returns are the rows that are in the cassette afterwards.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "common/error.h"
#include "fuzz/scratch_cassette.h"
#include "recorder/redactor.h"
#include "tools/jsonl.h"

namespace {

const wsr::Redactor& FuzzRedactor() {
  static const wsr::Redactor* redactor = [] {
    wsr::RedactionRules rules;
    rules.AddJsonPointer("/token");
    return new wsr::Redactor(rules);
  }();
  return *redactor;
}

[[noreturn]] void Fail(const char* what, long long reported, long long stored) {
  std::fprintf(stderr, "jsonl_import_fuzz: %s: import reported %lld, cassette holds %lld\n", what,
               reported, stored);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& scratch = wsr::fuzz::ScratchCassette::Get();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto& cassette = scratch.Begin();
  try {
    wsr::tools::ImportCounts counts =
        wsr::tools::ImportJsonl(in, cassette, FuzzRedactor(), std::nullopt);
    if (counts.sessions != scratch.Sessions())
      Fail("sessions", counts.sessions, scratch.Sessions());
    if (counts.connections != scratch.Connections()) {
      Fail("connections", counts.connections, scratch.Connections());
    }
    if (counts.frames != scratch.Frames()) Fail("frames", counts.frames, scratch.Frames());
    if (static_cast<int>(counts.session_names.size()) != counts.sessions) {
      Fail("session names", static_cast<long long>(counts.session_names.size()), counts.sessions);
    }
  } catch (const wsr::Error&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  scratch.Rollback();
  return 0;
}
