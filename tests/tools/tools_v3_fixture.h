// A schema-3 cassette for the tools tests: recorded heads, refusals with bodies, control
// frames (close, ping, pong), compressed and violation frames. Test-only; header-only; not
// thread-safe.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "tests/tools/tools_fixture.h"

namespace wsr::tools_test {

inline constexpr const char* kV3RequestHead =
    "GET /socket?vsn=2.0.0 HTTP/1.1\r\n"
    "Host: upstream.test\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "x-Trace-ID:   abc  \r\n"
    "\r\n";
inline constexpr const char* kV3ResponseHead =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    "\r\n";

inline Frame ControlFrame(int64_t offset, Direction d, int opcode, std::string payload) {
  return MakeFrame(offset, d, std::move(payload), opcode);
}

// Session "v3": connection 1 accepted (heads, permessage-deflate; a compressed join and
// reply, a ping/pong, a text frame with a violation, a ping whose payload is not UTF-8, a
// compressed text frame, a close each way: 1000 "bye"), connection 2 refused 403 with a text
// body, connection 3 refused 400 with a body that is not UTF-8, connection 4 unreachable (no
// status). 4 data frames (3 compressed, 1 violation), 5 control frames (2 pings, 1 pong,
// 2 closes).
inline void WriteV3Sample(const std::string& path) {
  auto c = Cassette::Open(path, Cassette::Mode::kCreate);
  Session s;
  s.name = "v3";
  s.started_at_ns = kStart;
  s.duration_ns = 3 * kSec;
  s.upstream = "ws://upstream.test";
  s.tool_version = "0.3.0";

  Connection c1;
  c1.ordinal = 1;
  c1.path = "/socket";
  c1.query = "vsn=2.0.0";
  c1.request_headers = {{"host", "upstream.test"}};  // the head, not this, is exported
  c1.upstream_url = "ws://upstream.test/socket?vsn=2.0.0";
  c1.http_status = 101;
  c1.response_headers = {{"upgrade", "websocket"}};
  c1.opened_ns = 0;
  c1.closed_ns = 2010 * kMs;
  c1.close_code = 1000;
  c1.close_reason = "bye";
  c1.close_initiator = "client";
  c1.request_head = kV3RequestHead;
  c1.response_head = kV3ResponseHead;
  c1.extensions = "permessage-deflate";

  Connection c2;
  c2.ordinal = 2;
  c2.path = "/socket";
  c2.query = "vsn=2.0.0";
  c2.upstream_url = "ws://upstream.test/socket?vsn=2.0.0";
  c2.http_status = 403;
  c2.error = "upstream refused the handshake: HTTP 403";
  c2.opened_ns = 300 * kMs;
  c2.closed_ns = 310 * kMs;
  c2.request_head = "GET /socket?vsn=2.0.0 HTTP/1.1\r\nHost: upstream.test\r\n\r\n";
  c2.response_head =
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n";
  c2.response_body = "forbidden";

  Connection c3 = c2;
  c3.ordinal = 3;
  c3.http_status = 400;
  c3.error = "upstream refused the handshake: HTTP 400";
  c3.opened_ns = 400 * kMs;
  c3.closed_ns = 405 * kMs;
  c3.response_head = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/octet-stream\r\n\r\n";
  c3.response_body = std::string("\xff\xfe\x00 bad", 7);

  Connection c4;
  c4.ordinal = 4;
  c4.path = "/socket";
  c4.upstream_url = "ws://upstream.test/socket";
  c4.error = "upstream unreachable: connection refused";
  c4.opened_ns = 500 * kMs;
  c4.closed_ns = 501 * kMs;

  std::vector<Frame> fr = {
      MakeFrame(100 * kMs, kC2S, R"(["1","1","room:a","phx_join",{}])"),
      MakeFrame(150 * kMs, kS2C, R"(["1","1","room:a","phx_reply",{"status":"ok","response":{}}])"),
      ControlFrame(500 * kMs, kC2S, 9, "hb-1"),
      ControlFrame(510 * kMs, kS2C, 10, "hb-1"),
      MakeFrame(800 * kMs, kS2C, R"({"x":1})"),
      ControlFrame(900 * kMs, kS2C, 9, std::string("\x01\xff", 2)),
      ControlFrame(2000 * kMs, kC2S, 8,
                   "\x03\xe8"
                   "bye"),
      ControlFrame(2010 * kMs, kS2C, 8,
                   "\x03\xe8"
                   "bye"),
  };
  fr[0].flags = fr[1].flags = cassette::kFrameCompressed;
  fr[4].flags = cassette::kFrameViolation;
  fr[4].note = "RSV2 set without a negotiated extension";
  fr.push_back(fr[4]);  // a second data frame, compressed, at 1.2 s
  fr.back().offset_ns = 1200 * kMs;
  fr.back().flags = cassette::kFrameCompressed;
  fr.back().note.clear();
  std::stable_sort(fr.begin(), fr.end(),
                   [](const Frame& a, const Frame& b) { return a.offset_ns < b.offset_ns; });
  for (auto& f : fr) f.connection_id = 0;
  AddSession(*c, s, {c1, c2, c3, c4}, fr);
}

}  // namespace wsr::tools_test
