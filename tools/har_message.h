// One item of a HAR entry's `_webSocketMessages` (Chrome's format: {type: send|receive, time:
// epoch seconds, opcode, data}) <-> one cassette frame, data and control frames alike.
//
// `data` by opcode: 1 text, 2 base64 (as Chrome writes it), 8 the close payload as hex
// (2-byte code + reason), 9/10 the ping/pong text. What Chrome's format cannot say goes into
// an extra `_wsreplay` object that other viewers ignore: {"compressed": true} (sent with
// permessage-deflate), {"violation": true, "note": "..."} (broke RFC 6455), and
// {"encoding": "base64"} when a text/ping/pong payload is not valid UTF-8 (or the opcode is
// not one of the above), so every frame survives export -> import byte for byte.
// Pure functions; thread-safe. Parsing never throws: it returns a status.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cassettes/model.h"

namespace wsr::tools {

// `epoch_ns` is when the frame was received (session start + offset).
nlohmann::ordered_json HarMessageFromFrame(const cassette::Frame& f, int64_t epoch_ns);

enum class HarMessageStatus {
  kOk,
  kMalformed,  // not an object, no send/receive type or time, or an unknown opcode
  kBadData,    // `data` does not decode in its encoding (base64 or hex); see *error
};

struct HarMessage {
  cassette::Frame frame;  // direction, opcode, payload, flags, note set
  double time = 0;        // epoch seconds (milliseconds in the file are converted)
};

HarMessageStatus ParseHarMessage(const nlohmann::json& m, HarMessage* out, std::string* error);

}  // namespace wsr::tools
