// ScratchCassette: one in-memory cassette per fuzzing process, into which each input is
// imported inside a transaction that is rolled back afterwards, so every input starts from
// the same empty cassette without paying for a new file and schema per input.
//
// Ownership: owns its Cassette (SQLite ":memory:" database). Not thread-safe; libFuzzer
// calls a target from one thread.
#pragma once

#include <memory>

#include "cassettes/cassette.h"

namespace wsr::fuzz {

class ScratchCassette {
 public:
  // The process-wide instance (created on first use).
  static ScratchCassette& Get() {
    static ScratchCassette* instance = new ScratchCassette();
    return *instance;
  }

  // Begins the transaction an import runs in.
  cassette::Cassette& Begin() {
    cassette_->Begin();
    return *cassette_;
  }
  // Undoes everything since Begin() (also after an import that threw).
  void Rollback() { cassette_->Rollback(); }

  // Rows now in the cassette (inside the transaction), for checking an import's counts.
  int64_t Sessions() { return static_cast<int64_t>(cassette_->Sessions().size()); }
  int64_t Connections() {
    int64_t n = 0;
    for (const auto& s : cassette_->Sessions()) n += cassette_->Connections(s.id).size();
    return n;
  }
  // Every frame, control frames (close/ping/pong) included, as the importers count them.
  int64_t Frames() { return cassette_->CountFrames({.include_control = true}); }

 private:
  ScratchCassette()
      : cassette_(cassette::Cassette::Open(":memory:", cassette::Cassette::Mode::kCreate)) {}

  std::unique_ptr<cassette::Cassette> cassette_;
};

}  // namespace wsr::fuzz

// An accepted input fills the scratch cassette's 16 KiB pages and the rollback frees them:
// with ASan's default 256 MiB quarantine and 4 KiB fill of each new block, the page faults of
// cycling that memory cost more than the import (a valid HAR took ~5 ms). A 16 MiB quarantine
// still holds what the last inputs freed (a use after free within an input is still caught),
// and the fill only sets the bytes of new blocks, which ASan does not check. Defined here, so
// include this header from one source file per target (each importer target has one).
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16:max_malloc_fill_size=0";
}
