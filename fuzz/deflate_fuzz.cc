// fuzz-libs: wsr_wire
// ParseDeflateResponse on a prefix of the input (its length from the first byte), then the rest
// through MessageInflater (as one message and as two, 64 KiB cap: bounded output, *out untouched
// on failure), then a deflate -> inflate round trip of the rest with the negotiated parameters,
// which must give the input back. Aborts on any broken invariant.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "wire/deflate.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// The cap is a parameter: 64 KiB reaches the same "too big" paths as the recorder's 16 MiB, and
// an input of a few hundred zero bytes compressed reaches it. (With 1 MiB, inputs that inflate
// to the cap dominated the corpus and each cost ASan a series of mmap'd, zero-filled, copied
// buffers: the rate fell from ~14,000 to ~300 exec/s within minutes.)
constexpr size_t kCap = 1 << 16;

void InflateChecked(wsr::wire::MessageInflater& inf, std::string_view z) {
  std::string out = "x", error;
  const bool ok = inf.Inflate(z, kCap, &out, &error);
  Check(out.size() <= kCap + 1, "output over the cap");
  Check(out[0] == 'x', "Inflate did not append");
  if (!ok) Check(out == "x" && !error.empty(), "failure must leave *out and explain");
}

}  // namespace

// Every input builds a deflater and two inflaters (about 300 KiB of zlib state) and frees them:
// with ASan's default 256 MiB quarantine and 4 KiB fill of each new block, the page faults of
// cycling that much memory cost more than zlib itself. A 16 MiB quarantine still holds the
// memory freed by the last ~50 inputs (a use after free within an input is still caught), and
// the fill only sets the bytes of new blocks, which ASan does not check. About 1.8x faster.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=16:max_malloc_fill_size=0";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t n = std::min<size_t>(data[0] % 128, size - 1);
  const std::string_view header(reinterpret_cast<const char*>(data + 1), n);
  const std::string_view rest(reinterpret_cast<const char*>(data + 1 + n), size - 1 - n);

  std::string error;
  auto params = wsr::wire::ParseDeflateResponse(header, &error);
  if (params) {
    Check(error.empty(), "error set on success");
    Check(params->server_max_window_bits >= 8 && params->server_max_window_bits <= 15, "bits");
    Check(params->client_max_window_bits >= 8 && params->client_max_window_bits <= 15, "bits");
  }
  const wsr::wire::DeflateParams p = params.value_or(wsr::wire::DeflateParams{});
  const int bits = p.server_max_window_bits;
  const bool no_takeover = p.server_no_context_takeover;

  {
    wsr::wire::MessageInflater inf(bits, no_takeover);
    InflateChecked(inf, rest);
    InflateChecked(inf, rest.substr(0, rest.size() / 2));
    InflateChecked(inf, rest.substr(rest.size() / 2));
  }

  wsr::wire::MessageDeflater def(bits, no_takeover);
  wsr::wire::MessageInflater inf(bits, no_takeover);
  for (std::string_view msg : {rest, rest.substr(rest.size() / 3), std::string_view()}) {
    const std::string z = def.Deflate(msg);
    std::string out;
    Check(inf.Inflate(z, msg.size(), &out, &error), "round trip failed");
    Check(out == msg, "round trip changed the message");
  }
  return 0;
}
