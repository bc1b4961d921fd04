#include "phoenix/frame.h"

#include <nlohmann/json.hpp>

#include "phoenix/json_scan.h"

namespace wsr::phoenix {
namespace {
constexpr size_t kNpos = std::string_view::npos;

bool IsRefToken(std::string_view t) {
  if (t.empty()) return false;
  char c = t[0];
  return t == "null" || c == '"' || c == '-' || (c >= '0' && c <= '9');
}

// Decodes a JSON string token; fast path for tokens without escapes.
std::optional<std::string> DecodeString(std::string_view token) {
  if (token.size() < 2 || token.front() != '"') return std::nullopt;
  std::string_view inner = token.substr(1, token.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  auto j = nlohmann::json::parse(token, nullptr, /*allow_exceptions=*/false);
  if (!j.is_string()) return std::nullopt;
  return j.get<std::string>();
}
}  // namespace

std::optional<Frame> Parse(std::string_view text) {
  size_t i = SkipWs(text, 0);
  if (i >= text.size() || text[i] != '[') return std::nullopt;
  std::string_view elems[5];
  i = SkipWs(text, i + 1);
  for (int k = 0; k < 5; ++k) {
    size_t end = SkipValue(text, i);
    if (end == kNpos) return std::nullopt;
    elems[k] = text.substr(i, end - i);
    i = SkipWs(text, end);
    if (i >= text.size()) return std::nullopt;
    char want = k == 4 ? ']' : ',';
    if (text[i] != want) return std::nullopt;
    i = SkipWs(text, i + 1);
  }
  if (i != text.size()) return std::nullopt;
  if (!IsRefToken(elems[0]) || !IsRefToken(elems[1])) return std::nullopt;
  auto topic = DecodeString(elems[2]);
  auto event = DecodeString(elems[3]);
  if (!topic || !event) return std::nullopt;
  return Frame{elems[0], elems[1], std::move(*topic), std::move(*event), elems[4]};
}

std::string Quote(std::string_view s) {
  bool plain = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
  }
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Encode(std::string_view join_ref_raw, std::string_view ref_raw, std::string_view topic,
                   std::string_view event, std::string_view payload_raw) {
  std::string out;
  out.reserve(join_ref_raw.size() + ref_raw.size() + topic.size() + event.size() +
              payload_raw.size() + 16);
  out += '[';
  out += join_ref_raw;
  out += ',';
  out += ref_raw;
  out += ',';
  out += Quote(topic);
  out += ',';
  out += Quote(event);
  out += ',';
  out += payload_raw;
  out += ']';
  return out;
}

std::optional<std::string> RefText(std::string_view raw) {
  if (raw.empty() || raw == "null") return std::nullopt;
  if (raw.front() == '"') return DecodeString(raw);
  return std::string(raw);
}

}  // namespace wsr::phoenix
