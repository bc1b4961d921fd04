// A sans-I/O HTTP/1.1 message head parser (RFC 9112): the request line or status line and the
// header fields, through the blank line, fed in pieces of any size. It keeps the exact bytes it
// was given (HttpHead::raw) with the offsets of the request target and of every header value, so
// a proxy can forward the head byte for byte, changing only what it must (RewriteRequestHead).
// It does not read bodies: Feed stops at the end of the head and says how many bytes it took.
//
// Ownership: HttpHeadParser owns the HttpHead it fills; head() is a reference into the parser,
// valid until the next Feed or Reset. No exceptions are thrown for any input (failures are
// Status::kError with a one-line error()); only std::bad_alloc can escape.
// Thread-safety: a parser is not thread-safe (one per connection); the free functions are pure
// and thread-safe; a const HttpHead may be read from several threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::wire {

struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;  // start line through the blank line, line endings included
  size_t max_headers = 100;           // header field lines
};

struct HttpHeader {
  std::string name;   // as received (case kept)
  std::string value;  // leading/trailing OWS stripped
  // Where the value sits in HttpHead::raw (for splicing). For an empty value, value_size is 0 and
  // value_offset is where a value would start (after the colon and any whitespace).
  size_t value_offset = 0;
  size_t value_size = 0;
};

struct HttpHead {
  bool is_request = true;
  std::string method;               // requests: "GET", ... (a token, case kept)
  std::string target;               // requests: the request-target as received
  int status = 0;                   // responses: 100..999
  std::string reason;               // responses: may be empty
  std::string version;              // "HTTP/1.1" or "HTTP/1.0"
  std::vector<HttpHeader> headers;  // in order, duplicates kept
  // The exact bytes of the head, from the request/status line through the blank line (a skipped
  // empty line before a request line is not part of it).
  std::string raw;
  size_t target_offset = 0;   // where the target sits in raw (requests)
  size_t headers_offset = 0;  // where the first header line (or the blank line) starts in raw

  // First header with this name (ASCII case-insensitive); nullptr when absent.
  const HttpHeader* Find(std::string_view name) const;
  // True when any header of this name, read as a comma-separated list (Connection, Upgrade, ...),
  // holds `token` (ASCII case-insensitive, surrounding whitespace ignored).
  bool HasToken(std::string_view name, std::string_view token) const;
};

class HttpHeadParser {
 public:
  enum class Kind { kRequest, kResponse };
  enum class Status { kNeedMore, kDone, kError };

  explicit HttpHeadParser(Kind kind, HttpLimits limits = {});

  // Feeds bytes. Consumes at most up to the end of the head: *consumed says how many bytes of
  // `data` belong to the head (the rest is body / WebSocket frames and belongs to the caller).
  // On kNeedMore all of `data` was consumed. On kError *consumed counts the bytes read before the
  // error was found (the connection should be dropped). After kDone or kError, further calls
  // return the same status and consume nothing. Each byte is scanned once: feeding a head one
  // byte at a time costs O(size), and never more than max_head_bytes are buffered.
  Status Feed(std::string_view data, size_t* consumed);

  Status status() const { return status_; }
  // The parsed head. REQUIRES: the last Feed returned kDone (before that it is partial).
  const HttpHead& head() const { return head_; }
  // One line saying what was wrong, after kError (e.g. "request head larger than 16384 bytes");
  // empty otherwise.
  const std::string& error() const { return error_; }
  // Ready for the next message on a keep-alive connection (same kind and limits).
  void Reset();

 private:
  bool OnLine();  // a complete line (ending in LF) was appended to head_.raw
  bool ParseRequestLine(std::string_view line, size_t begin);
  bool ParseStatusLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line, size_t begin);
  bool Fail(std::string what);  // sets kError and error_ = "<kind> head: <what>"; returns false

  Kind kind_;
  HttpLimits limits_;
  Status status_ = Status::kNeedMore;
  HttpHead head_;
  std::string error_;
  size_t line_start_ = 0;  // offset in head_.raw of the line being received
  bool start_line_done_ = false;
  bool skipped_empty_line_ = false;
};

// The request head to send upstream: `head.raw` byte for byte, except the request target replaced
// by `new_target` and the value of the (first) Host header replaced by `new_host` (a Host header
// is inserted after the request line, with the request line's line ending, if there was none).
// Everything else (header order, case, spacing, duplicates, unknown headers, line endings) is
// kept. REQUIRES: head is a parsed request; new_target has no whitespace or control characters,
// new_host no CR, LF or NUL (they are written as given).
std::string RewriteRequestHead(const HttpHead& head, std::string_view new_target,
                               std::string_view new_host);

// A minimal response for the proxy's own answers (502, 504, ...): the status line, Content-Type:
// text/plain; charset=utf-8, Content-Length, Connection: close, the blank line, then `body`.
// REQUIRES: status in 100..999; reason has no CR or LF.
std::string MakeSimpleResponse(int status, std::string_view reason, std::string_view body);

}  // namespace wsr::wire
