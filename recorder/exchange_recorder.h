// ExchangeRecorder: turns one HTTP request relayed by `wsreplay record` and its response into
// a cassette::Exchange row (the REST half of a session, issue 9).
//
// The relay's connection state machine (proxy/relay_connection.h) feeds it, with time passed
// in: the request head when it is complete (Begin: the exchange is numbered then, so
// ordinals follow request start), the request body as read (chunked decoded), then how the
// exchange ended: the upstream's response complete (Responded), the proxy's own answer
// (ProxyAnswered: 502/503/504) or no answer (Failed). The row is built and handed to the
// RowSink then: secrets redacted first (the Redactor's query parameters and headers, and in
// JSON bodies every "api_key" member and the --redact-json pointers), bodies with a gzip or
// deflate Content-Encoding stored decoded and flagged (kRequestBodyDecoded,
// kResponseBodyDecoded). Nothing here changes what is relayed.
//
// Not thread-safe: one per client connection, used on the relay's service thread. The
// RecordingContext must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cassettes/model.h"
#include "recorder/connection_recorder.h"
#include "wire/http_head.h"

namespace wsr::recorder {

// The body of a message with these headers, decoded when its Content-Encoding is gzip, x-gzip
// or deflate (zlib-wrapped or raw), at most `limit` bytes decoded. Returns false (and leaves
// *out untouched) when there is no such encoding, the data does not decode, or it decodes to
// more than `limit` bytes.
bool DecodeContentEncoding(const cassette::Headers& headers, std::string_view body, size_t limit,
                           std::string* out);

class ExchangeRecorder {
 public:
  explicit ExchangeRecorder(const RecordingContext& ctx) : ctx_(ctx) {}

  // A request head on client connection `http_connection` is complete: a new exchange begins.
  void Begin(int http_connection, const wire::HttpHead& request, std::string_view path,
             std::string_view query, int64_t now_ns);
  bool active() const { return active_; }
  const RecordingContext& context() const { return ctx_; }
  // The request body's content as read; `truncated` when only its start was kept.
  void RequestBody(std::string_view body, bool truncated);
  // The upstream's response is complete. Returns what the sink's AddExchange returned (false:
  // over its high mark, pause reading).
  bool Responded(const wire::HttpHead& response, std::string_view body, bool truncated,
                 int64_t now_ns);
  // The proxy answered the request itself (502, 503, 504); `error` says why.
  bool ProxyAnswered(int status, const cassette::Headers& headers, std::string_view body,
                     std::string error, int64_t now_ns);
  // The exchange ended without a complete response: `initiator` is the side that went away
  // ("client" | "upstream"); a response head already relayed is kept.
  bool Failed(const char* initiator, std::string error, int64_t now_ns);
  // A response head was relayed (before its body): kept in case the exchange then fails.
  void ResponseHead(const wire::HttpHead& response);

 private:
  bool Emit(int64_t now_ns);
  std::string Body(const cassette::Headers& raw_headers, std::string_view body, int flag);
  int64_t Offset(int64_t now_ns) const { return now_ns - ctx_.session_start_ns; }

  const RecordingContext& ctx_;
  bool active_ = false;
  cassette::Headers raw_request_headers_;
  // The response head's headers as received (for its body's Content-Encoding), set by
  // ResponseHead; `response_head_seen_` until the next Begin.
  cassette::Headers raw_response_headers_;
  bool response_head_seen_ = false;
  cassette::Exchange row_;
};

}  // namespace wsr::recorder
