#include "tools/har_message.h"

#include "tools/text_util.h"

namespace wsr::tools {
namespace {
using nlohmann::json;
using ojson = nlohmann::ordered_json;

enum class Encoding { kText, kBase64, kHex };

Encoding DefaultEncoding(int opcode) {
  if (opcode == 2) return Encoding::kBase64;
  if (opcode == 8) return Encoding::kHex;
  return Encoding::kText;
}

bool KnownOpcode(int opcode) { return opcode == 1 || opcode == 2 || (opcode >= 8 && opcode <= 10); }

}  // namespace

ojson HarMessageFromFrame(const cassette::Frame& f, int64_t epoch_ns) {
  ojson m;
  m["type"] = f.direction == cassette::Direction::kClientToServer ? "send" : "receive";
  m["time"] = static_cast<double>(epoch_ns) / 1e9;
  m["opcode"] = f.opcode;
  Encoding enc = DefaultEncoding(f.opcode);
  if (enc == Encoding::kText && (!KnownOpcode(f.opcode) || !IsValidUtf8(f.payload))) {
    enc = Encoding::kBase64;
  }
  switch (enc) {
    case Encoding::kText:
      m["data"] = f.payload;
      break;
    case Encoding::kBase64:
      m["data"] = Base64Encode(f.payload);
      break;
    case Encoding::kHex:
      m["data"] = HexEncode(f.payload);
      break;
  }
  ojson ext = ojson::object();
  if (f.flags & cassette::kFrameCompressed) ext["compressed"] = true;
  if (f.flags & cassette::kFrameViolation) ext["violation"] = true;
  if (!f.note.empty()) ext["note"] = f.note;
  if (enc != DefaultEncoding(f.opcode)) ext["encoding"] = "base64";
  if (!ext.empty()) m["_wsreplay"] = std::move(ext);
  return m;
}

HarMessageStatus ParseHarMessage(const json& m, HarMessage* out, std::string* error) {
  if (!m.is_object()) return HarMessageStatus::kMalformed;
  std::string type =
      m.contains("type") && m["type"].is_string() ? m["type"].get<std::string>() : "";
  int opcode = m.contains("opcode") && m["opcode"].is_number_integer() ? m["opcode"].get<int>() : 1;
  const json empty = json::object();
  const json& ext = m.contains("_wsreplay") && m["_wsreplay"].is_object() ? m["_wsreplay"] : empty;
  auto flag = [&ext](const char* name) {
    return ext.contains(name) && ext[name].is_boolean() && ext[name].get<bool>();
  };
  int flags = (flag("compressed") ? cassette::kFrameCompressed : 0) |
              (flag("violation") ? cassette::kFrameViolation : 0);
  if ((type != "send" && type != "receive") || !m.contains("time") || !m["time"].is_number() ||
      (!KnownOpcode(opcode) && !(flags & cassette::kFrameViolation))) {
    return HarMessageStatus::kMalformed;
  }
  HarMessage msg;
  msg.time = m["time"].get<double>();
  if (msg.time > 1e11) msg.time /= 1000.0;  // some tools write milliseconds
  msg.frame.direction =
      type == "send" ? cassette::Direction::kClientToServer : cassette::Direction::kServerToClient;
  msg.frame.opcode = opcode;
  msg.frame.flags = flags;
  if (ext.contains("note") && ext["note"].is_string())
    msg.frame.note = ext["note"].get<std::string>();

  Encoding enc = KnownOpcode(opcode) ? DefaultEncoding(opcode) : Encoding::kBase64;
  if (ext.contains("encoding") && ext["encoding"].is_string()) {
    const std::string& e = ext["encoding"].get_ref<const std::string&>();
    if (e == "base64")
      enc = Encoding::kBase64;
    else if (e == "hex")
      enc = Encoding::kHex;
    else if (e == "text")
      enc = Encoding::kText;
  }
  std::string data =
      m.contains("data") && m["data"].is_string() ? m["data"].get<std::string>() : "";
  const char* what = opcode == 2 ? "a binary message's" : "a message's";
  if (enc == Encoding::kBase64) {
    auto bytes = Base64Decode(data);
    if (!bytes) {
      *error = std::string(what) + " data is not base64";
      return HarMessageStatus::kBadData;
    }
    data = std::move(*bytes);
  } else if (enc == Encoding::kHex) {
    auto bytes = HexDecode(data);
    if (!bytes) {
      *error = "a close message's data is not hex (2-byte code + reason)";
      return HarMessageStatus::kBadData;
    }
    data = std::move(*bytes);
  }
  msg.frame.payload = std::move(data);
  *out = std::move(msg);
  return HarMessageStatus::kOk;
}

}  // namespace wsr::tools
