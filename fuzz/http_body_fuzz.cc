// fuzz-libs: wsr_wire
// fuzz-options: -max_len=5000 -dict=fuzz/dict/http.dict
// Fuzzes wire/http_body: the input (after a first byte choosing framing, length and keep limit)
// is fed to an HttpBodyReader whole and split at a point taken from the first byte; both ways
// must give the same status, consumed count, content and error; consumed never exceeds the
// input; a Content-Length body consumes exactly min(length, input); content is never longer
// than the keep limit.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire/http_body.h"

namespace {

using wsr::wire::HttpBodyReader;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  HttpBodyReader::Status status;
  size_t consumed;
  std::string content, error;
};

Outcome Feed(HttpBodyReader::Framing f, uint64_t len, size_t keep, std::string_view data,
             size_t cut) {
  HttpBodyReader r(f, len, keep);
  size_t a = 0;
  auto s = r.Feed(data.substr(0, cut), &a);
  Check(a <= cut);
  size_t b = 0;
  if (s == HttpBodyReader::Status::kNeedMore) {
    Check(a == cut);
    s = r.Feed(data.substr(cut), &b);
    Check(b <= data.size() - cut);
  }
  Check(r.content().size() <= keep);
  Check((s == HttpBodyReader::Status::kError) == !r.error().empty());
  return {s, a + b, r.content(), r.error()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  const HttpBodyReader::Framing framings[] = {
      HttpBodyReader::Framing::kChunked, HttpBodyReader::Framing::kLength,
      HttpBodyReader::Framing::kUntilClose, HttpBodyReader::Framing::kNone};
  const auto f = framings[sel & 3];
  const uint64_t len = (sel >> 2) & 15;
  const size_t keep = (sel & 0x40) ? 8 : 4096;
  const size_t cut = in.empty() ? 0 : sel % (in.size() + 1);
  Outcome whole = Feed(f, len, keep, in, in.size());
  Outcome split = Feed(f, len, keep, in, cut);
  Check(whole.status == split.status);
  Check(whole.consumed == split.consumed);
  Check(whole.content == split.content);
  Check(whole.error == split.error);
  if (f == HttpBodyReader::Framing::kLength) {
    Check(whole.consumed == std::min<uint64_t>(len, in.size()));
  }
  return 0;
}
