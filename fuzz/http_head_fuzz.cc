// fuzz-libs: wsr_wire
// fuzz-options: -max_len=1024 -dict=fuzz/dict/http.dict
// Fuzzes wire/http_head: the input is fed to a request parser and a response parser, whole and
// split in two at a point taken from the first byte; both ways must give the same status, the same
// consumed count and the same head. On a parsed request, RewriteRequestHead's output must parse
// again to the new target and host with everything else (headers, version) unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/http_head.h"

namespace {

using wsr::wire::HttpHead;
using wsr::wire::HttpHeadParser;
using wsr::wire::HttpLimits;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  HttpHeadParser::Status status;
  size_t consumed;
};

Outcome FeedPieces(HttpHeadParser& p, std::string_view data, size_t cut) {
  size_t consumed = 0;
  HttpHeadParser::Status s = p.Feed(data.substr(0, cut), &consumed);
  Check(consumed <= cut);
  if (s != HttpHeadParser::Status::kNeedMore) return {s, consumed};
  Check(consumed == cut);
  size_t more = 0;
  s = p.Feed(data.substr(cut), &more);
  Check(more <= data.size() - cut);
  return {s, consumed + more};
}

bool SameHead(const HttpHead& a, const HttpHead& b) {
  if (a.is_request != b.is_request || a.method != b.method || a.target != b.target ||
      a.status != b.status || a.reason != b.reason || a.version != b.version || a.raw != b.raw ||
      a.target_offset != b.target_offset || a.headers_offset != b.headers_offset ||
      a.headers.size() != b.headers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.headers.size(); ++i) {
    const auto& x = a.headers[i];
    const auto& y = b.headers[i];
    if (x.name != y.name || x.value != y.value || x.value_offset != y.value_offset ||
        x.value_size != y.value_size) {
      return false;
    }
  }
  return true;
}

void CheckRewrite(const HttpHead& head, const HttpLimits& limits) {
  static constexpr std::string_view kTarget = "/fuzz/prefix?x=1";
  static constexpr std::string_view kHost = "upstream.example:8443";
  std::string out = RewriteRequestHead(head, kTarget, kHost);
  HttpLimits roomy = limits;
  roomy.max_head_bytes += kTarget.size() + kHost.size() + 8;
  roomy.max_headers += 1;
  HttpHeadParser p(HttpHeadParser::Kind::kRequest, roomy);
  size_t consumed = 0;
  Check(p.Feed(out, &consumed) == HttpHeadParser::Status::kDone);
  Check(consumed == out.size());
  const HttpHead& again = p.head();
  Check(again.target == kTarget);
  Check(again.method == head.method && again.version == head.version);
  const auto* host = again.Find("Host");
  Check(host != nullptr && host->value == kHost);
  bool had_host = head.Find("Host") != nullptr;
  Check(again.headers.size() == head.headers.size() + (had_host ? 0 : 1));
  // Every header other than the first Host is unchanged, in order.
  size_t host_index = static_cast<size_t>(host - again.headers.data());
  size_t j = 0;
  for (size_t i = 0; i < again.headers.size(); ++i) {
    if (i == host_index) {
      if (had_host) Check(again.headers[i].name == head.headers[j++].name);
      continue;
    }
    Check(again.headers[i].name == head.headers[j].name);
    Check(again.headers[i].value == head.headers[j].value);
    ++j;
  }
}

void Run(HttpHeadParser::Kind kind, std::string_view data, size_t cut, const HttpLimits& limits) {
  HttpHeadParser whole(kind, limits);
  size_t consumed = 0;
  HttpHeadParser::Status s = whole.Feed(data, &consumed);
  Check(consumed <= data.size());
  Check(s != HttpHeadParser::Status::kNeedMore || consumed == data.size());
  Check((s == HttpHeadParser::Status::kError) == !whole.error().empty());

  HttpHeadParser split(kind, limits);
  Outcome o = FeedPieces(split, data, cut);
  Check(o.status == s);
  Check(split.error() == whole.error());
  if (s == HttpHeadParser::Status::kDone) {
    Check(o.consumed == consumed);
    Check(SameHead(whole.head(), split.head()));
    const HttpHead& h = whole.head();
    Check(h.raw.size() <= limits.max_head_bytes);
    Check(h.headers.size() <= limits.max_headers);
    for (const auto& hd : h.headers) {
      Check(h.raw.compare(hd.value_offset, hd.value_size, hd.value) == 0);
    }
    if (kind == HttpHeadParser::Kind::kRequest) {
      Check(h.raw.compare(h.target_offset, h.target.size(), h.target) == 0);
      CheckRewrite(h, limits);
    }
    // Sticky: more input is not consumed.
    size_t extra = 1;
    Check(whole.Feed("x", &extra) == HttpHeadParser::Status::kDone && extra == 0);
  }
  // Reset gives a parser that behaves like a new one.
  whole.Reset();
  size_t again = 0;
  Check(whole.Feed(data, &again) == s && again == consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = size == 0 ? 0 : static_cast<size_t>(data[0]) % (size + 1);
  // Small limits so that the fuzzer reaches them; the first byte also varies the header count.
  HttpLimits limits{512, size == 0 ? 8 : static_cast<size_t>(data[0] % 16)};
  Run(HttpHeadParser::Kind::kRequest, in, cut, limits);
  Run(HttpHeadParser::Kind::kResponse, in, cut, limits);
  return 0;
}
