// wire/http_body: where an HTTP/1.1 body ends (Content-Length, chunked with extensions and
// trailers, until close), fed whole and split at every byte, and its limits.
#include "wire/http_body.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using wsr::wire::HttpBodyReader;
using wsr::wire::HttpHead;
using wsr::wire::HttpHeadParser;
using Framing = HttpBodyReader::Framing;
using Status = HttpBodyReader::Status;

HttpHead Parse(HttpHeadParser::Kind kind, std::string_view text) {
  HttpHeadParser p(kind);
  size_t used = 0;
  EXPECT_EQ(p.Feed(text, &used), HttpHeadParser::Status::kDone) << text;
  return p.head();
}

struct Result {
  Status status;
  size_t consumed;  // bytes of the input that belong to the body
  std::string content;
  std::string error;
};

// Feeds `data` in pieces cut at `cuts` (sorted offsets), stopping at the end of the body.
Result FeedAt(Framing f, uint64_t len, std::string_view data, std::vector<size_t> cuts,
              size_t keep = 1 << 20) {
  HttpBodyReader r(f, len, keep);
  cuts.push_back(data.size());
  size_t at = 0, total = 0;
  Status s = Status::kNeedMore;
  for (size_t cut : cuts) {
    if (cut < at) continue;
    size_t used = 0;
    s = r.Feed(data.substr(at, cut - at), &used);
    total += used;
    if (s != Status::kNeedMore) break;
    EXPECT_EQ(used, cut - at) << "kNeedMore consumes everything";
    at = cut;
  }
  return {s, total, r.content(), r.error()};
}

Result Whole(Framing f, uint64_t len, std::string_view data) { return FeedAt(f, len, data, {}); }

// Every split in two pieces, and byte by byte, give what feeding it whole gives.
void ExpectSplitsAgree(Framing f, uint64_t len, std::string_view data) {
  Result whole = Whole(f, len, data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Result r = FeedAt(f, len, data, {cut});
    EXPECT_EQ(r.status, whole.status) << "cut at " << cut;
    EXPECT_EQ(r.consumed, whole.consumed) << "cut at " << cut;
    EXPECT_EQ(r.content, whole.content) << "cut at " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
  Result bytewise = FeedAt(f, len, data, every);
  EXPECT_EQ(bytewise.status, whole.status);
  EXPECT_EQ(bytewise.consumed, whole.consumed);
  EXPECT_EQ(bytewise.content, whole.content);
}

TEST(HttpBody, FramingOfRequestsAndResponses) {
  uint64_t len = 0;
  std::string err;
  using K = HttpHeadParser::Kind;
  EXPECT_EQ(HttpBodyReader::FramingOf(Parse(K::kRequest, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &len,
                                      &err),
            Framing::kNone)
      << "a request without a length has no body";
  EXPECT_EQ(HttpBodyReader::FramingOf(
                Parse(K::kRequest, "POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"), &len, &err),
            Framing::kLength);
  EXPECT_EQ(len, 12u);
  EXPECT_EQ(HttpBodyReader::FramingOf(
                Parse(K::kRequest,
                      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
                &len, &err),
            Framing::kChunked)
      << "chunked wins over Content-Length";
  for (const char* status : {"204 No Content", "304 Not Modified", "100 Continue"}) {
    std::string head = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 5\r\n\r\n";
    EXPECT_EQ(HttpBodyReader::FramingOf(Parse(K::kResponse, head), &len, &err), Framing::kNone)
        << status;
  }
  EXPECT_EQ(HttpBodyReader::FramingOf(Parse(K::kResponse, "HTTP/1.1 200 OK\r\n\r\n"), &len, &err),
            Framing::kUntilClose);
  EXPECT_TRUE(err.empty());
  EXPECT_EQ(HttpBodyReader::FramingOf(
                Parse(K::kRequest, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), &len, &err),
            Framing::kNone);
  EXPECT_EQ(err, "invalid Content-Length '1x'");
  err.clear();
  HttpBodyReader::FramingOf(
      Parse(K::kRequest, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), &len, &err);
  EXPECT_EQ(err, "unsupported Transfer-Encoding 'gzip'");
}

TEST(HttpBody, ContentLengthStopsAtItsLength) {
  std::string data = "{\"a\":1}GET /next HTTP/1.1\r\n";
  Result r = Whole(Framing::kLength, 7, data);
  EXPECT_EQ(r.status, Status::kDone);
  EXPECT_EQ(r.consumed, 7u) << "the pipelined next request is not body";
  EXPECT_EQ(r.content, "{\"a\":1}");
  ExpectSplitsAgree(Framing::kLength, 7, data);
  EXPECT_EQ(Whole(Framing::kLength, 100, "short").status, Status::kNeedMore);
}

TEST(HttpBody, ChunkedWithExtensionsAndTrailers) {
  const std::string data =
      "4;name=value;q=\"x\"\r\nWiki\r\n"
      "5 ; ext\r\npedia\r\n"
      "E\r\n in\r\n\r\nchunks.\r\n"
      "0;last\r\n"
      "Expires: never\r\n"
      "X-Trailer: 1\r\n"
      "\r\n"
      "NEXT";
  Result r = Whole(Framing::kChunked, 0, data);
  EXPECT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.content, "Wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(r.consumed, data.size() - 4) << "stops after the trailer's blank line";
  ExpectSplitsAgree(Framing::kChunked, 0, data);
  // Bare LF line ends are read too; upper- and lower-case hex.
  Result lf = Whole(Framing::kChunked, 0, "a\nabcdefghij\nA\nABCDEFGHIJ\n0\n\n");
  EXPECT_EQ(lf.status, Status::kDone);
  EXPECT_EQ(lf.content, "abcdefghijABCDEFGHIJ");
}

TEST(HttpBody, ChunkedErrorsAndLimits) {
  EXPECT_EQ(Whole(Framing::kChunked, 0, "zz\r\n").status, Status::kError);
  EXPECT_EQ(Whole(Framing::kChunked, 0, "3\r\nabcX").error, "chunk data not followed by CRLF");
  Result big = Whole(Framing::kChunked, 0, "1000000000000000\r\n");
  EXPECT_EQ(big.status, Status::kError);
  EXPECT_EQ(big.error, "chunk size too large");
  std::string ext = "1;" + std::string(HttpBodyReader::kMaxChunkExtension + 1, 'e') + "\r\n";
  Result long_ext = Whole(Framing::kChunked, 0, ext);
  EXPECT_EQ(long_ext.status, Status::kError);
  EXPECT_EQ(long_ext.error, "chunk extension longer than 4096 bytes");
  std::string trailer = "0\r\n";
  for (int i = 0; i < 2000; ++i) trailer += "X-T: 123456\r\n";  // no line too long, many lines
  Result long_trailer = Whole(Framing::kChunked, 0, trailer);
  EXPECT_EQ(long_trailer.status, Status::kError);
  EXPECT_EQ(long_trailer.error, "chunked trailer longer than 16384 bytes");
}

TEST(HttpBody, KeepsOnlyUpToItsLimitButConsumesAll) {
  HttpBodyReader r(Framing::kLength, 10, 4);
  size_t used = 0;
  EXPECT_EQ(r.Feed("0123456789", &used), Status::kDone);
  EXPECT_EQ(used, 10u);
  EXPECT_EQ(r.content(), "0123");
  EXPECT_TRUE(r.truncated());
}

TEST(HttpBody, UntilCloseEndsOnlyWithTheConnection) {
  HttpBodyReader r(Framing::kUntilClose, 0, 100);
  size_t used = 0;
  EXPECT_EQ(r.Feed("abc", &used), Status::kNeedMore);
  EXPECT_EQ(r.OnClose(), Status::kDone);
  EXPECT_EQ(r.content(), "abc");
  HttpBodyReader cut(Framing::kLength, 10, 100);
  EXPECT_EQ(cut.Feed("abc", &used), Status::kNeedMore);
  EXPECT_EQ(cut.OnClose(), Status::kError);
  EXPECT_EQ(cut.error(), "the connection closed before the end of the body");
}

}  // namespace
