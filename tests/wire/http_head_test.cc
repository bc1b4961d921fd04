#include "wire/http_head.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using wsr::wire::HttpHead;
using wsr::wire::HttpHeader;
using wsr::wire::HttpHeadParser;
using wsr::wire::HttpLimits;
using wsr::wire::MakeSimpleResponse;
using wsr::wire::RewriteRequestHead;
using Kind = HttpHeadParser::Kind;
using Status = HttpHeadParser::Status;

// RFC 6455 section 1.2 (the opening handshake, client side).
constexpr std::string_view kRfc6455Request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// RFC 6455 section 1.2 (the server's answer).
constexpr std::string_view kRfc6455Response =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n";

struct Result {
  Status status;
  size_t consumed;
  HttpHead head;
  std::string error;
};

// Feeds `data` whole (one call).
Result ParseWhole(Kind kind, std::string_view data, HttpLimits limits = {}) {
  HttpHeadParser p(kind, limits);
  size_t consumed = 0;
  Status s = p.Feed(data, &consumed);
  return {s, consumed, p.head(), p.error()};
}

// Feeds `data` in pieces ending at each of `cuts` (and the rest), stopping at the first status
// other than kNeedMore; `consumed` is the total over all calls.
Result ParsePieces(Kind kind, std::string_view data, const std::vector<size_t>& cuts,
                   HttpLimits limits = {}) {
  HttpHeadParser p(kind, limits);
  size_t total = 0, from = 0;
  Status s = Status::kNeedMore;
  std::vector<size_t> ends = cuts;
  ends.push_back(data.size());
  for (size_t end : ends) {
    size_t consumed = 0;
    s = p.Feed(data.substr(from, end - from), &consumed);
    total += consumed;
    from = end;
    if (s != Status::kNeedMore) break;
  }
  return {s, total, p.head(), p.error()};
}

Result ParseByteByByte(Kind kind, std::string_view data, HttpLimits limits = {}) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < data.size(); ++i) cuts.push_back(i);
  return ParsePieces(kind, data, cuts, limits);
}

void ExpectSameHead(const HttpHead& a, const HttpHead& b) {
  EXPECT_EQ(a.is_request, b.is_request);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.raw, b.raw);
  EXPECT_EQ(a.target_offset, b.target_offset);
  EXPECT_EQ(a.headers_offset, b.headers_offset);
  ASSERT_EQ(a.headers.size(), b.headers.size());
  for (size_t i = 0; i < a.headers.size(); ++i) {
    EXPECT_EQ(a.headers[i].name, b.headers[i].name);
    EXPECT_EQ(a.headers[i].value, b.headers[i].value);
    EXPECT_EQ(a.headers[i].value_offset, b.headers[i].value_offset);
    EXPECT_EQ(a.headers[i].value_size, b.headers[i].value_size);
  }
}

// Every header's offsets point at its value inside raw, and the target's at the target.
void ExpectOffsetsConsistent(const HttpHead& h) {
  if (h.is_request) {
    EXPECT_EQ(h.raw.substr(h.target_offset, h.target.size()), h.target);
  }
  for (const HttpHeader& hd : h.headers) {
    EXPECT_EQ(hd.value.size(), hd.value_size);
    EXPECT_EQ(h.raw.substr(hd.value_offset, hd.value_size), hd.value) << hd.name;
  }
}

TEST(HttpHead, Rfc6455ClientHandshake) {
  Result r = ParseWhole(Kind::kRequest, kRfc6455Request);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.consumed, kRfc6455Request.size());
  EXPECT_TRUE(r.head.is_request);
  EXPECT_EQ(r.head.method, "GET");
  EXPECT_EQ(r.head.target, "/chat");
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  EXPECT_EQ(r.head.raw, kRfc6455Request);
  ASSERT_EQ(r.head.headers.size(), 7u);
  EXPECT_EQ(r.head.headers[0].name, "Host");
  EXPECT_EQ(r.head.headers[0].value, "server.example.com");
  EXPECT_EQ(r.head.headers[3].name, "Sec-WebSocket-Key");
  EXPECT_EQ(r.head.headers[3].value, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.head.headers[6].value, "13");
  EXPECT_TRUE(r.head.HasToken("upgrade", "WebSocket"));
  EXPECT_TRUE(r.head.HasToken("Connection", "upgrade"));
  EXPECT_TRUE(r.head.HasToken("Sec-WebSocket-Protocol", "superchat"));
  EXPECT_FALSE(r.head.HasToken("Sec-WebSocket-Protocol", "super"));
  ExpectOffsetsConsistent(r.head);
}

TEST(HttpHead, Rfc6455ServerSwitchingProtocols) {
  Result r = ParseWhole(Kind::kResponse, kRfc6455Response);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.consumed, kRfc6455Response.size());
  EXPECT_FALSE(r.head.is_request);
  EXPECT_EQ(r.head.status, 101);
  EXPECT_EQ(r.head.reason, "Switching Protocols");
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  ASSERT_EQ(r.head.headers.size(), 4u);
  ASSERT_NE(r.head.Find("sec-websocket-accept"), nullptr);
  EXPECT_EQ(r.head.Find("sec-websocket-accept")->value, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(r.head.raw, kRfc6455Response);
  ExpectOffsetsConsistent(r.head);
}

TEST(HttpHead, Rfc7230ExamplesWithOwsAndHttp10) {
  // RFC 7230 2.1 / 3.2 style: absolute-form target, OWS around values, HTTP/1.0.
  std::string req =
      "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.0\r\n"
      "User-Agent: curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3\r\n"
      "Accept-Language:en, mi\r\n"
      "X-Spaces: \t  padded value \t \r\n"
      "Empty:\r\n"
      "\r\n";
  Result r = ParseWhole(Kind::kRequest, req);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.head.target, "http://www.example.org/pub/WWW/TheProject.html");
  EXPECT_EQ(r.head.version, "HTTP/1.0");
  ASSERT_EQ(r.head.headers.size(), 4u);
  EXPECT_EQ(r.head.headers[1].value, "en, mi");
  EXPECT_EQ(r.head.headers[2].value, "padded value");
  EXPECT_EQ(r.head.headers[3].value, "");
  EXPECT_EQ(r.head.Find("Host"), nullptr);
  ExpectOffsetsConsistent(r.head);

  std::string resp =
      "HTTP/1.1 200 OK\r\n"
      "Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n"
      "Server: Apache\r\n"
      "Content-Length: 51\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "Hello World! My payload includes a trailing CRLF.\r\n";
  Result s = ParseWhole(Kind::kResponse, resp);
  ASSERT_EQ(s.status, Status::kDone) << s.error;
  EXPECT_EQ(s.head.status, 200);
  EXPECT_EQ(s.head.reason, "OK");
  EXPECT_EQ(resp.substr(s.consumed), "Hello World! My payload includes a trailing CRLF.\r\n");
  EXPECT_EQ(s.head.Find("content-length")->value, "51");
}

TEST(HttpHead, RequestTargetForms) {
  for (std::string_view line :
       {"OPTIONS * HTTP/1.1", "CONNECT example.com:443 HTTP/1.1",
        "M-SEARCH /a?b=c&d=%20#f HTTP/1.1", "PATCH /caf\xc3\xa9 HTTP/1.1"}) {
    std::string req = std::string(line) + "\r\n\r\n";
    Result r = ParseWhole(Kind::kRequest, req);
    EXPECT_EQ(r.status, Status::kDone) << line << ": " << r.error;
    EXPECT_EQ(r.head.method + " " + r.head.target + " " + r.head.version, line);
  }
}

TEST(HttpHead, RefusalWithHeadersAndBodyLeavesBodyToCaller) {
  std::string head =
      "HTTP/1.1 403 Forbidden\r\n"
      "Content-Type: application/json\r\n"
      "Content-Length: 27\r\n"
      "X-Request-Id: abc123\r\n"
      "\r\n";
  std::string body = "{\"error\":\"bad credentials\"}";
  Result r = ParseWhole(Kind::kResponse, head + body);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.head.status, 403);
  EXPECT_EQ(r.head.reason, "Forbidden");
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(r.head.raw, head);
  EXPECT_EQ(r.head.Find("X-REQUEST-ID")->value, "abc123");
}

TEST(HttpHead, StatusLineWithoutReason) {
  Result no_space = ParseWhole(Kind::kResponse, "HTTP/1.1 200\r\nA: b\r\n\r\n");
  ASSERT_EQ(no_space.status, Status::kDone) << no_space.error;
  EXPECT_EQ(no_space.head.status, 200);
  EXPECT_EQ(no_space.head.reason, "");
  Result empty = ParseWhole(Kind::kResponse, "HTTP/1.0 404 \r\n\r\n");
  ASSERT_EQ(empty.status, Status::kDone) << empty.error;
  EXPECT_EQ(empty.head.status, 404);
  EXPECT_EQ(empty.head.reason, "");
  EXPECT_EQ(empty.head.version, "HTTP/1.0");
  Result spaced = ParseWhole(Kind::kResponse, "HTTP/1.1 599 Not  So\tGood \r\n\r\n");
  ASSERT_EQ(spaced.status, Status::kDone) << spaced.error;
  EXPECT_EQ(spaced.head.reason, "Not  So\tGood ");
}

TEST(HttpHead, DuplicatesAndCaseKeptFindReturnsFirst) {
  std::string req =
      "GET / HTTP/1.1\r\n"
      "x-Custom: one\r\n"
      "Set-Thing: a\r\n"
      "X-CUSTOM: two\r\n"
      "Connection: keep-alive\r\n"
      "connection: Upgrade\r\n"
      "\r\n";
  Result r = ParseWhole(Kind::kRequest, req);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  ASSERT_EQ(r.head.headers.size(), 5u);
  EXPECT_EQ(r.head.headers[0].name, "x-Custom");
  EXPECT_EQ(r.head.headers[2].name, "X-CUSTOM");
  EXPECT_EQ(r.head.headers[2].value, "two");
  ASSERT_NE(r.head.Find("X-Custom"), nullptr);
  EXPECT_EQ(r.head.Find("X-Custom")->value, "one");
  EXPECT_EQ(r.head.Find("X-Custo"), nullptr);
  EXPECT_EQ(r.head.Find("X-Custom2"), nullptr);
  // HasToken reads every header of the name, not just the first.
  EXPECT_TRUE(r.head.HasToken("CONNECTION", "upgrade"));
  EXPECT_TRUE(r.head.HasToken("connection", "Keep-Alive"));
  EXPECT_FALSE(r.head.HasToken("Connection", "close"));
  EXPECT_FALSE(r.head.HasToken("Upgrade", "websocket"));
}

TEST(HttpHead, HasTokenListForms) {
  Result r = ParseWhole(Kind::kRequest,
                        "GET / HTTP/1.1\r\nConnection: keep-alive ,\t Upgrade,,close\r\n\r\n");
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_TRUE(r.head.HasToken("Connection", "keep-alive"));
  EXPECT_TRUE(r.head.HasToken("Connection", "upgrade"));
  EXPECT_TRUE(r.head.HasToken("Connection", "CLOSE"));
  EXPECT_FALSE(r.head.HasToken("Connection", "keep"));
  EXPECT_FALSE(r.head.HasToken("Connection", "Upgrade,close"));
}

TEST(HttpHead, EverySplitPointGivesTheSameHead) {
  std::string input = std::string(kRfc6455Request) + "\x81\x05Hello";
  Result whole = ParseWhole(Kind::kRequest, input);
  ASSERT_EQ(whole.status, Status::kDone);
  ASSERT_EQ(whole.consumed, kRfc6455Request.size());
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    Result split = ParsePieces(Kind::kRequest, input, {cut});
    ASSERT_EQ(split.status, Status::kDone);
    EXPECT_EQ(split.consumed, whole.consumed);
    ExpectSameHead(split.head, whole.head);
  }
  Result bytes = ParseByteByByte(Kind::kRequest, input);
  ASSERT_EQ(bytes.status, Status::kDone);
  EXPECT_EQ(bytes.consumed, whole.consumed);
  ExpectSameHead(bytes.head, whole.head);
}

TEST(HttpHead, EverySplitPointOfAResponseWithBareLfs) {
  std::string input = "HTTP/1.1 426 Upgrade Required\nSec-WebSocket-Version: 13\r\nA:b\n\nbody";
  Result whole = ParseWhole(Kind::kResponse, input);
  ASSERT_EQ(whole.status, Status::kDone) << whole.error;
  EXPECT_EQ(input.substr(whole.consumed), "body");
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    Result split = ParsePieces(Kind::kResponse, input, {cut});
    ASSERT_EQ(split.status, Status::kDone) << "cut at " << cut;
    EXPECT_EQ(split.consumed, whole.consumed) << "cut at " << cut;
    ExpectSameHead(split.head, whole.head);
  }
  Result bytes = ParseByteByByte(Kind::kResponse, input);
  ExpectSameHead(bytes.head, whole.head);
}

TEST(HttpHead, ErrorsAreTheSameWhenFedByteByByte) {
  std::string bad = "GET / HTTP/1.1\r\nGood: yes\r\nBad : no\r\n\r\n";
  Result whole = ParseWhole(Kind::kRequest, bad);
  ASSERT_EQ(whole.status, Status::kError);
  Result bytes = ParseByteByByte(Kind::kRequest, bad);
  ASSERT_EQ(bytes.status, Status::kError);
  EXPECT_EQ(bytes.error, whole.error);
}

TEST(HttpHead, FramesAfterThe101AreNotConsumed) {
  // A server may send its first frames in the same TCP segment as the 101.
  std::string frames = "\x81\x05Hello\x89\x00";
  std::string input = std::string(kRfc6455Response) + frames;
  HttpHeadParser p(Kind::kResponse);
  size_t consumed = 0;
  ASSERT_EQ(p.Feed(input, &consumed), Status::kDone) << p.error();
  EXPECT_EQ(consumed, kRfc6455Response.size());
  EXPECT_EQ(input.substr(consumed), frames);
  EXPECT_EQ(p.head().raw, kRfc6455Response);
  // Further calls consume nothing and keep the status.
  EXPECT_EQ(p.Feed(frames, &consumed), Status::kDone);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(p.head().raw, kRfc6455Response);
}

TEST(HttpHead, BareLfAndMixedLineEndings) {
  std::string req = "GET /x HTTP/1.1\nHost: a\r\nUpgrade: websocket\n\n";
  Result r = ParseWhole(Kind::kRequest, req);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.head.target, "/x");
  ASSERT_EQ(r.head.headers.size(), 2u);
  EXPECT_EQ(r.head.headers[0].value, "a");
  EXPECT_EQ(r.head.headers[1].value, "websocket");
  EXPECT_EQ(r.head.raw, req);
}

TEST(HttpHead, OneLeadingEmptyLineIgnoredBeforeARequest) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  for (std::string_view lead : {"\r\n", "\n"}) {
    std::string input = std::string(lead) + head;
    Result r = ParseWhole(Kind::kRequest, input);
    ASSERT_EQ(r.status, Status::kDone) << r.error;
    EXPECT_EQ(r.consumed, input.size());
    EXPECT_EQ(r.head.raw, head);  // the skipped line is not part of the head
    EXPECT_EQ(r.head.target_offset, 4u);
    ExpectOffsetsConsistent(r.head);
    ExpectSameHead(ParseByteByByte(Kind::kRequest, input).head, r.head);
  }
  Result two = ParseWhole(Kind::kRequest, "\r\n\r\n" + head);
  EXPECT_EQ(two.status, Status::kError);
  EXPECT_EQ(two.error, "request head more than one empty line before the request line");
  EXPECT_EQ(ParseWhole(Kind::kResponse, "\r\nHTTP/1.1 200 OK\r\n\r\n").status, Status::kError);
}

TEST(HttpHead, HeadSizeLimitExactlyAtPassesOneOverFails) {
  std::string head = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
  HttpLimits at{head.size(), 100};
  Result ok = ParseWhole(Kind::kRequest, head + "extra", at);
  EXPECT_EQ(ok.status, Status::kDone) << ok.error;
  EXPECT_EQ(ok.consumed, head.size());
  EXPECT_EQ(ParseByteByByte(Kind::kRequest, head, at).status, Status::kDone);

  HttpLimits under{head.size() - 1, 100};
  Result bad = ParseWhole(Kind::kRequest, head, under);
  EXPECT_EQ(bad.status, Status::kError);
  EXPECT_EQ(bad.error, "request head larger than " + std::to_string(head.size() - 1) + " bytes");
  EXPECT_LE(bad.head.raw.size(), head.size() - 1);
  EXPECT_EQ(ParseByteByByte(Kind::kRequest, head, under).status, Status::kError);
}

TEST(HttpHead, HeadSizeLimitFailsAsSoonAsExceededWithoutATerminator) {
  HttpHeadParser p(Kind::kResponse);  // default 16 KiB
  size_t consumed = 0;
  std::string line = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(16 * 1024 - 30, 'a');
  ASSERT_EQ(p.Feed(line, &consumed), Status::kNeedMore);
  EXPECT_EQ(consumed, line.size());
  // Bytes that would take the head past the limit fail at once, whatever follows.
  EXPECT_EQ(p.Feed(std::string(100, 'a'), &consumed), Status::kError);
  EXPECT_EQ(p.error(), "response head larger than 16384 bytes");
  EXPECT_LE(p.head().raw.size(), 16u * 1024);
  EXPECT_EQ(p.Feed("\r\n\r\n", &consumed), Status::kError);
  EXPECT_EQ(consumed, 0u);
}

TEST(HttpHead, HeaderCountLimitExactlyAtPassesOneOverFails) {
  auto make = [](int n) {
    std::string s = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < n; ++i) s += "H" + std::to_string(i) + ": v\r\n";
    return s + "\r\n";
  };
  HttpLimits limits{16 * 1024, 5};
  Result ok = ParseWhole(Kind::kResponse, make(5), limits);
  EXPECT_EQ(ok.status, Status::kDone) << ok.error;
  EXPECT_EQ(ok.head.headers.size(), 5u);
  Result bad = ParseWhole(Kind::kResponse, make(6), limits);
  EXPECT_EQ(bad.status, Status::kError);
  EXPECT_EQ(bad.error, "response head more than 5 header fields");
  // The default is 100.
  EXPECT_EQ(ParseWhole(Kind::kResponse, make(100)).status, Status::kDone);
  EXPECT_EQ(ParseWhole(Kind::kResponse, make(101)).status, Status::kError);
}

struct Malformed {
  const char* what;
  Kind kind;
  std::string input;
  std::string error;  // expected error(), or "" to check only the status
};

TEST(HttpHead, MalformedHeadsAreRejected) {
  using namespace std::string_literals;
  const std::vector<Malformed> cases = {
      {"space before colon", Kind::kRequest, "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
       "request head header line 1: whitespace before the colon"},
      {"tab before colon", Kind::kResponse, "HTTP/1.1 200 OK\r\nA\t: a\r\n\r\n",
       "response head header line 1: whitespace before the colon"},
      {"obs-fold", Kind::kRequest, "GET / HTTP/1.1\r\nA: b\r\n  c\r\n\r\n",
       "request head header line 2: starts with whitespace (obs-fold)"},
      {"obs-fold tab", Kind::kResponse, "HTTP/1.1 200 OK\r\nA: b\r\n\tc\r\n\r\n", ""},
      {"whitespace before first header", Kind::kRequest, "GET / HTTP/1.1\r\n A: b\r\n\r\n", ""},
      {"NUL in value", Kind::kRequest, "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n"s,
       "request head header line 1: control character in field value"},
      {"bare CR in value", Kind::kRequest, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", ""},
      {"CR CR LF", Kind::kRequest, "GET / HTTP/1.1\r\nA: b\r\r\n\r\n", ""},
      {"CR CR LF blank line", Kind::kRequest, "GET / HTTP/1.1\r\nA: b\r\n\r\r\n", ""},
      {"no colon", Kind::kRequest, "GET / HTTP/1.1\r\nJustAName\r\n\r\n",
       "request head header line 1: no colon"},
      {"empty name", Kind::kRequest, "GET / HTTP/1.1\r\n: v\r\n\r\n",
       "request head header line 1: empty field name"},
      {"bad name char", Kind::kRequest, "GET / HTTP/1.1\r\nA(b): v\r\n\r\n",
       "request head header line 1: invalid character in field name"},
      {"empty method", Kind::kRequest, " / HTTP/1.1\r\n\r\n", "request head empty method"},
      {"bad method char", Kind::kRequest, "GE\"T / HTTP/1.1\r\n\r\n",
       "request head invalid character in method"},
      {"empty target", Kind::kRequest, "GET  HTTP/1.1\r\n\r\n",
       "request head empty request target"},
      {"double space", Kind::kRequest, "GET  / HTTP/1.1\r\n\r\n", ""},
      {"space in target", Kind::kRequest, "GET /a b HTTP/1.1\r\n\r\n", ""},
      {"control in target", Kind::kRequest, "GET /a\x01 HTTP/1.1\r\n\r\n",
       "request head invalid character in request target"},
      {"no version", Kind::kRequest, "GET /\r\n\r\n",
       "request head request line without an HTTP version"},
      {"HTTP/0.9-style line", Kind::kRequest, "GET\r\n\r\n",
       "request head request line without spaces"},
      {"HTTP/2.0", Kind::kRequest, "GET / HTTP/2.0\r\n\r\n",
       "request head unsupported HTTP version (want HTTP/1.0 or 1.1)"},
      {"lower-case version", Kind::kRequest, "GET / http/1.1\r\n\r\n", ""},
      {"trailing space after version", Kind::kRequest, "GET / HTTP/1.1 \r\n\r\n", ""},
      {"response HTTP/1.2", Kind::kResponse, "HTTP/1.2 200 OK\r\n\r\n", ""},
      {"response garbage", Kind::kResponse, "SSH-2.0-OpenSSH\r\n\r\n", ""},
      {"non-digit status", Kind::kResponse, "HTTP/1.1 2x0 OK\r\n\r\n",
       "response head status code is not 3 digits"},
      {"two-digit status", Kind::kResponse, "HTTP/1.1 20 OK\r\n\r\n", ""},
      {"four-digit status", Kind::kResponse, "HTTP/1.1 2000 OK\r\n\r\n", ""},
      {"status below 100", Kind::kResponse, "HTTP/1.1 099 OK\r\n\r\n",
       "response head status code below 100"},
      {"no status", Kind::kResponse, "HTTP/1.1\r\n\r\n",
       "response head status line without a status code"},
      {"control in reason", Kind::kResponse, "HTTP/1.1 200 O\x01K\r\n\r\n",
       "response head control character in reason phrase"},
      {"request fed to a response parser", Kind::kResponse, std::string(kRfc6455Request), ""},
      {"response fed to a request parser", Kind::kRequest, std::string(kRfc6455Response), ""},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.what);
    Result whole = ParseWhole(c.kind, c.input);
    EXPECT_EQ(whole.status, Status::kError);
    EXPECT_FALSE(whole.error.empty());
    EXPECT_EQ(whole.error.find('\n'), std::string::npos);
    if (!c.error.empty()) {
      EXPECT_EQ(whole.error, c.error);
    }
    Result bytes = ParseByteByByte(c.kind, c.input);
    EXPECT_EQ(bytes.status, Status::kError);
    EXPECT_EQ(bytes.error, whole.error);
  }
}

TEST(HttpHead, ErrorIsStickyAndResetStartsOver) {
  HttpHeadParser p(Kind::kRequest);
  size_t consumed = 0;
  ASSERT_EQ(p.Feed("BAD LINE\r\n", &consumed), Status::kError);
  EXPECT_EQ(p.Feed(kRfc6455Request, &consumed), Status::kError);
  EXPECT_EQ(consumed, 0u);
  p.Reset();
  EXPECT_TRUE(p.error().empty());
  ASSERT_EQ(p.Feed(kRfc6455Request, &consumed), Status::kDone) << p.error();
  EXPECT_EQ(p.head().target, "/chat");
}

TEST(HttpHead, ResetForASecondMessageOnKeepAlive) {
  std::string first = "GET /one HTTP/1.1\r\nHost: a\r\nX-First: 1\r\n\r\n";
  std::string second = "POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n";
  std::string stream = first + second;
  HttpHeadParser p(Kind::kRequest);
  size_t consumed = 0;
  ASSERT_EQ(p.Feed(stream, &consumed), Status::kDone);
  EXPECT_EQ(p.head().target, "/one");
  EXPECT_EQ(consumed, first.size());
  p.Reset();
  size_t consumed2 = 0;
  ASSERT_EQ(p.Feed(std::string_view(stream).substr(consumed), &consumed2), Status::kDone)
      << p.error();
  EXPECT_EQ(consumed2, second.size());
  EXPECT_EQ(p.head().method, "POST");
  EXPECT_EQ(p.head().target, "/two");
  EXPECT_EQ(p.head().raw, second);
  EXPECT_EQ(p.head().Find("X-First"), nullptr);
  ASSERT_EQ(p.head().headers.size(), 2u);
}

TEST(HttpHead, NeedMoreUntilTheBlankLine) {
  HttpHeadParser p(Kind::kRequest);
  size_t consumed = 99;
  EXPECT_EQ(p.Feed("", &consumed), Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: a\r\n", &consumed), Status::kNeedMore);
  EXPECT_EQ(p.Feed("\r", &consumed), Status::kNeedMore);
  EXPECT_EQ(p.Feed("\nrest", &consumed), Status::kDone);
  EXPECT_EQ(consumed, 1u);
}

TEST(HttpHead, OneByteAtATimeIsLinearNotQuadratic) {
  // 16 KiB head fed one byte at a time, 200 times: quadratic rescanning would take ~minutes.
  std::string head = "GET / HTTP/1.1\r\n";
  while (head.size() < 16 * 1024 - 200) head += "X-Filler: " + std::string(60, 'f') + "\r\n";
  head += "\r\n";
  HttpLimits limits{16 * 1024, 1000};
  for (int round = 0; round < 200; ++round) {
    HttpHeadParser p(Kind::kRequest, limits);
    size_t consumed = 0;
    Status s = Status::kNeedMore;
    for (size_t i = 0; i < head.size() && s == Status::kNeedMore; ++i) {
      s = p.Feed(std::string_view(head).substr(i, 1), &consumed);
    }
    ASSERT_EQ(s, Status::kDone) << p.error();
  }
}

TEST(RewriteRequestHead, ChangesOnlyTargetAndHostValue) {
  std::string req =
      "GET /socket/websocket?vsn=2.0.0&token=abc HTTP/1.1\r\n"
      "user-agent:   Odd/1.0  \r\n"
      "HOST:\tlocalhost:8765 \r\n"
      "X-Unknown-Thing: keep me\n"
      "host: second.example\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "\r\n";
  Result r = ParseWhole(Kind::kRequest, req);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  std::string out =
      RewriteRequestHead(r.head, "/prefix/socket/websocket?vsn=2.0.0&token=abc", "api.example.com");
  EXPECT_EQ(out,
            "GET /prefix/socket/websocket?vsn=2.0.0&token=abc HTTP/1.1\r\n"
            "user-agent:   Odd/1.0  \r\n"
            "HOST:\tapi.example.com \r\n"
            "X-Unknown-Thing: keep me\n"
            "host: second.example\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "\r\n");
  Result again = ParseWhole(Kind::kRequest, out);
  ASSERT_EQ(again.status, Status::kDone) << again.error;
  EXPECT_EQ(again.consumed, out.size());
  EXPECT_EQ(again.head.Find("host")->value, "api.example.com");
}

TEST(RewriteRequestHead, InsertsHostAfterTheRequestLineWhenAbsent) {
  std::string req = "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n";
  Result r = ParseWhole(Kind::kRequest, req);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(RewriteRequestHead(r.head, "/up/", "h:1"),
            "GET /up/ HTTP/1.0\r\nHost: h:1\r\nAccept: */*\r\n\r\n");

  Result no_headers = ParseWhole(Kind::kRequest, "GET / HTTP/1.1\n\n");
  ASSERT_EQ(no_headers.status, Status::kDone) << no_headers.error;
  EXPECT_EQ(RewriteRequestHead(no_headers.head, "/x", "h"), "GET /x HTTP/1.1\nHost: h\n\n");
}

TEST(RewriteRequestHead, EmptyHostValueAndUnchangedInputsRoundTrip) {
  Result r = ParseWhole(Kind::kRequest, "GET /a HTTP/1.1\r\nHost:\r\nB: c\r\n\r\n");
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(RewriteRequestHead(r.head, "/a", "new"), "GET /a HTTP/1.1\r\nHost:new\r\nB: c\r\n\r\n");
  Result ws = ParseWhole(Kind::kRequest, kRfc6455Request);
  EXPECT_EQ(RewriteRequestHead(ws.head, "/chat", "server.example.com"), kRfc6455Request);
}

TEST(MakeSimpleResponse, ParsesBackWithBodyAfterTheHead) {
  std::string body = "upstream did not answer within 10 s\n";
  std::string out = MakeSimpleResponse(504, "Gateway Timeout", body);
  Result r = ParseWhole(Kind::kResponse, out);
  ASSERT_EQ(r.status, Status::kDone) << r.error;
  EXPECT_EQ(r.head.status, 504);
  EXPECT_EQ(r.head.reason, "Gateway Timeout");
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  EXPECT_EQ(r.head.Find("Content-Type")->value, "text/plain; charset=utf-8");
  EXPECT_EQ(r.head.Find("Content-Length")->value, std::to_string(body.size()));
  EXPECT_TRUE(r.head.HasToken("Connection", "close"));
  EXPECT_EQ(out.substr(r.consumed), body);

  Result empty = ParseWhole(Kind::kResponse, MakeSimpleResponse(502, "Bad Gateway", ""));
  ASSERT_EQ(empty.status, Status::kDone) << empty.error;
  EXPECT_EQ(empty.head.status, 502);
  EXPECT_EQ(empty.head.Find("Content-Length")->value, "0");
}

}  // namespace
