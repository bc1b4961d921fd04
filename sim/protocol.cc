#include "sim/protocol.h"

#include <nlohmann/json.hpp>

#include "phoenix/frame.h"

namespace wsr::sim {
namespace {

bool IsRefToken(const nlohmann::json& v) { return v.is_null() || v.is_string() || v.is_number(); }

std::string V1(std::string_view join_ref, std::string_view ref, std::string_view topic,
               std::string_view event, std::string_view payload_raw) {
  std::string out = "{\"topic\":" + phoenix::Quote(topic) + ",\"event\":" + phoenix::Quote(event) +
                    ",\"payload\":" + std::string(payload_raw) + ",\"ref\":" + std::string(ref);
  if (join_ref != "null") out += ",\"join_ref\":" + std::string(join_ref);
  return out + "}";
}

}  // namespace

std::optional<Serializer> SerializerFor(std::string_view vsn) {
  if (vsn.substr(0, 2) == "2.") return Serializer::kV2;
  if (vsn.substr(0, 2) == "1.") return Serializer::kV1;
  return std::nullopt;
}

std::optional<Inbound> Decode(Serializer s, std::string_view text) {
  Inbound in;
  if (s == Serializer::kV2) {
    auto f = phoenix::Parse(text);
    if (!f) return std::nullopt;
    size_t first = f->payload.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || f->payload[first] != '{') return std::nullopt;
    // The payload must be valid JSON (Parse only locates it).
    if (!nlohmann::json::accept(f->payload)) return std::nullopt;
    in.join_ref = std::string(f->join_ref);
    in.ref = std::string(f->ref);
    in.topic = f->topic;
    in.event = f->event;
    in.payload = std::string(f->payload);
    return in;
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;  // "expected a map"
  auto topic = j.find("topic");
  auto event = j.find("event");
  auto payload = j.find("payload");
  auto ref = j.find("ref");
  if (topic == j.end() || !topic->is_string() || event == j.end() || !event->is_string() ||
      payload == j.end() || !payload->is_object() || ref == j.end() || !IsRefToken(*ref)) {
    return std::nullopt;
  }
  in.topic = topic->get<std::string>();
  in.event = event->get<std::string>();
  in.payload = payload->dump();
  in.ref = ref->dump();
  if (auto jr = j.find("join_ref"); jr != j.end()) {
    if (!IsRefToken(*jr)) return std::nullopt;
    in.join_ref = jr->dump();
  }
  return in;
}

std::string EncodeReply(Serializer s, std::string_view join_ref, std::string_view ref,
                        std::string_view topic, bool ok, std::string_view response_raw) {
  std::string payload = std::string("{\"status\":\"") + (ok ? "ok" : "error") +
                        "\",\"response\":" + std::string(response_raw) + "}";
  if (s == Serializer::kV1) return V1(join_ref, ref, topic, "phx_reply", payload);
  return phoenix::Encode(join_ref, ref, topic, "phx_reply", payload);
}

std::string EncodePush(Serializer s, std::string_view join_ref, std::string_view topic,
                       std::string_view event, std::string_view payload_raw) {
  if (s == Serializer::kV1) return V1("null", "null", topic, event, payload_raw);
  return phoenix::Encode(join_ref, "null", topic, event, payload_raw);
}

std::string EncodeSystem(Serializer s, std::string_view join_ref, std::string_view topic,
                         std::string_view event) {
  if (s == Serializer::kV1) return V1(join_ref, join_ref, topic, event, "{}");
  return phoenix::Encode(join_ref, join_ref, topic, event, "{}");
}

}  // namespace wsr::sim
