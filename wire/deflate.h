// permessage-deflate (RFC 7692): parsing the server's negotiation answer, and inflating and
// deflating whole messages with zlib's raw DEFLATE.
//
// The recorder negotiates nothing itself: it reads the Sec-WebSocket-Extensions value the
// server answered in its 101 (ParseDeflateResponse) and keeps one MessageInflater per
// direction (client->server messages use the client_* parameters, server->client the
// server_* ones) to store plaintext next to the bytes relayed unchanged. MessageDeflater is the
// sending side, for tests and tools.
//
// Ownership: each inflater/deflater owns its zlib stream (and, with context takeover, the
// sliding window shared by consecutive messages). Not thread-safe: one object per direction,
// used from one thread at a time. ParseDeflateResponse is pure and thread-safe. No exceptions.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace wsr::wire {

struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
};

// Parses the Sec-WebSocket-Extensions value the SERVER answered in its 101. nullopt (and *error
// left empty) when permessage-deflate is not in it; nullopt with *error set when it is there but
// malformed: an unknown parameter, a window-bits value missing or outside 8..15 (leading zeros
// refused, quoted values accepted), a no_context_takeover parameter with a value, a parameter
// given twice, or permessage-deflate answered twice. error may be null.
std::optional<DeflateParams> ParseDeflateResponse(std::string_view extensions_header,
                                                  std::string* error);

// Inflates whole messages of one direction.
class MessageInflater {
 public:
  // window_bits 8..15 as negotiated. A window of 8 is inflated as 9: zlib-based senders
  // (libwebsockets among them) cannot deflate with 8 and use 9, as RFC 7692 notes.
  MessageInflater(int window_bits, bool no_context_takeover);
  ~MessageInflater();
  MessageInflater(const MessageInflater&) = delete;
  MessageInflater& operator=(const MessageInflater&) = delete;

  // Inflates one message (its payload, all frames concatenated, as sent) and appends the
  // plaintext to *out; 00 00 ff ff is appended to the input as RFC 7692 7.2.2 says. false with
  // *error (when not null) on corrupt input or when this message's plaintext would exceed
  // max_out bytes (at most max_out + 1 bytes are produced before stopping); *out is then left
  // as it was, and the window is reset, so with context takeover the following messages of
  // this direction will most likely fail too.
  bool Inflate(std::string_view compressed, size_t max_out, std::string* out, std::string* error);

 private:
  struct Stream;
  std::unique_ptr<Stream> z_;
  bool no_context_takeover_;
};

// The sending side, for tests and tools: compresses one message and strips the trailing
// 00 00 ff ff (RFC 7692 7.2.1).
class MessageDeflater {
 public:
  // window_bits 8..15; 8 deflates with 9 (zlib cannot do 8).
  MessageDeflater(int window_bits, bool no_context_takeover);
  ~MessageDeflater();
  MessageDeflater(const MessageDeflater&) = delete;
  MessageDeflater& operator=(const MessageDeflater&) = delete;

  std::string Deflate(std::string_view plain);

 private:
  struct Stream;
  std::unique_ptr<Stream> z_;
  bool no_context_takeover_;
};

}  // namespace wsr::wire
