// The simulator's wire encoding: Phoenix serializer v2 (arrays) and v1 (objects, chosen when
// vsn is missing or 1.x). Decode returns nullopt where Phoenix's serializer would raise, which
// crashes the socket (close 1011). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsr::sim {

enum class Serializer { kV1, kV2 };

// "2.0.0" -> v2, "1.x" -> v1, anything else -> nullopt (Phoenix refuses the upgrade).
std::optional<Serializer> SerializerFor(std::string_view vsn);

struct Inbound {
  std::string join_ref = "null";  // raw JSON token, echoed verbatim
  std::string ref = "null";       // raw JSON token
  std::string topic;
  std::string event;
  std::string payload;  // raw JSON object text
};

std::optional<Inbound> Decode(Serializer s, std::string_view text);

// [jr, ref, topic, "phx_reply", {"status":ok|error,"response":response_raw}]
std::string EncodeReply(Serializer s, std::string_view join_ref, std::string_view ref,
                        std::string_view topic, bool ok, std::string_view response_raw);
// [jr, null, topic, event, payload]
std::string EncodePush(Serializer s, std::string_view join_ref, std::string_view topic,
                       std::string_view event, std::string_view payload_raw);
// [jr, jr, topic, event, {}]: phx_close and phx_error
std::string EncodeSystem(Serializer s, std::string_view join_ref, std::string_view topic,
                         std::string_view event);

}  // namespace wsr::sim
