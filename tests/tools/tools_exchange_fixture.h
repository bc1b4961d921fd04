// Helpers for the tests of the cassette tools on HTTP exchanges (the REST half of a session):
// a sample set of exchanges added to a session of a cassette, and a field-by-field comparison.
// Not thread-safe; header-only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tools/tools_fixture.h"

namespace wsr::tools_test {

using cassette::Exchange;

// Four exchanges on the sample session's clock (see WriteSample): a GET at 500 ms, a POST of a
// message at 1.5 s (201), a GET answered 404 at 3.1 s whose response ends at 3.4 s, and a POST
// at 4 s that got no response (the client went away). The POST's request body is JSON, the
// 404's response body is not valid UTF-8, and the second POST's request body is gzip-decoded.
inline std::vector<Exchange> SampleExchanges() {
  std::vector<Exchange> out(4);
  Exchange& me = out[0];
  me.http_connection = 1;
  me.method = "GET";
  me.path = "/api/v1/agent/me";
  me.request_headers = {{"Host", "127.0.0.1:8765"}, {"X-API-Key", "redacted:x-api-key:0a1b2c3d"}};
  me.status = 200;
  me.response_headers = {{"content-type", "application/json"}};
  me.response_body = R"({"data":{"id":"a1","name":"Bot"}})";
  me.initiator = "upstream";
  me.request_ns = 500 * kMs;
  me.response_ns = 512 * kMs;

  Exchange& post = out[1];
  post.http_connection = 1;
  post.method = "POST";
  post.path = "/api/v1/agent/chats/r1/messages";
  post.query = "trace=1";
  post.request_headers = {{"Content-Type", "application/json"}};
  post.request_body = R"({"message":{"content":"hi @Ann","mentions":[{"id":"u1"}]}})";
  post.status = 201;
  post.response_headers = {{"content-type", "application/json; charset=utf-8"}};
  post.response_body = R"({"data":{"id":"m9","content":"hi @Ann"}})";
  post.initiator = "upstream";
  post.request_ns = 1500 * kMs;
  post.response_ns = 1512 * kMs + 300000;

  Exchange& missing = out[2];
  missing.http_connection = 2;
  missing.method = "GET";
  missing.path = "/api/v1/agent/chats/nope";
  missing.status = 404;
  missing.response_headers = {{"content-type", "application/octet-stream"}};
  missing.response_body = std::string("\x00\xff\xfe raw", 7);
  missing.initiator = "upstream";
  missing.request_ns = 3100 * kMs;
  missing.response_ns = 3400 * kMs;

  Exchange& gone = out[3];
  gone.http_connection = 2;
  gone.method = "POST";
  gone.path = "/api/v1/agent/chats/r1/events";
  gone.request_headers = {{"Content-Encoding", "gzip"}};
  gone.request_body = R"({"event":{"type":"thought"}})";
  gone.initiator = "client";
  gone.error = "the client closed the connection before the response";
  gone.request_ns = 4000 * kMs;
  gone.flags = cassette::kRequestBodyDecoded;
  return out;
}

// Adds `exchanges` to session `session` of the cassette at `path` (ordinals 1, 2, ...).
inline void AddExchanges(const std::string& path, const std::string& session,
                         std::vector<Exchange> exchanges) {
  auto c = Cassette::Open(path, Cassette::Mode::kReadWrite);
  auto s = c->ResolveSession(session);
  c->Begin();
  int ordinal = 0;
  for (auto& e : exchanges) {
    e.session_id = s.id;
    e.ordinal = ++ordinal;
    c->InsertExchange(e);
  }
  c->Commit();
  c->Seal();
}

inline std::vector<Exchange> ReadExchanges(const std::string& path,
                                           const std::string& session = "") {
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  auto s = c->ResolveSession(session.empty() ? std::nullopt : std::optional<std::string>(session));
  return c->Exchanges(s.id);
}

// Every field but the row ids, with `shift_ns` subtracted from the expected offsets.
inline void ExpectSameExchange(const Exchange& want, const Exchange& got, int64_t shift_ns = 0) {
  SCOPED_TRACE(want.method + " " + want.path);
  EXPECT_EQ(got.http_connection, want.http_connection);
  EXPECT_EQ(got.method, want.method);
  EXPECT_EQ(got.path, want.path);
  EXPECT_EQ(got.query, want.query);
  EXPECT_EQ(got.request_headers, want.request_headers);
  EXPECT_EQ(got.request_body, want.request_body);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.response_headers, want.response_headers);
  EXPECT_EQ(got.response_body, want.response_body);
  EXPECT_EQ(got.initiator, want.initiator);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.request_ns, want.request_ns - shift_ns);
  if (want.response_ns) {
    EXPECT_EQ(got.response_ns, *want.response_ns - shift_ns);
  } else {
    EXPECT_EQ(got.response_ns, std::nullopt);
  }
  EXPECT_EQ(got.flags, want.flags);
}

}  // namespace wsr::tools_test
