#include "replay/json_compare.h"

#include <nlohmann/json.hpp>

namespace wsr::replay {
namespace {

using nlohmann::json;

void Erase(json* doc, const std::string& pointer) {
  try {
    json::json_pointer p(pointer);
    if (p.empty()) {
      *doc = nullptr;
      return;
    }
    if (!doc->contains(p)) return;
    json& parent = doc->at(p.parent_pointer());
    if (parent.is_object()) {
      parent.erase(p.back());
    } else if (parent.is_array()) {
      parent.at(std::stoul(p.back())) = nullptr;
    }
  } catch (const std::exception&) {
    // A pointer that does not apply to this document ignores nothing.
  }
}

std::string Short(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

}  // namespace

std::optional<std::string> JsonDifference(std::string_view recorded, std::string_view live,
                                          const std::vector<std::string>& ignore) {
  json a = json::parse(recorded, nullptr, false);
  json b = json::parse(live, nullptr, false);
  if (a.is_discarded() || b.is_discarded()) return BytesDifference(recorded, live);
  for (const auto& p : ignore) {
    Erase(&a, p);
    Erase(&b, p);
  }
  if (a == b) return std::nullopt;
  json patch = json::diff(a, b);
  if (patch.empty()) return "values differ";
  const json& op = patch[0];
  std::string path = op.value("path", "");
  if (path.empty()) path = "/";
  std::string kind = op.value("op", "");
  json::json_pointer ptr(op.value("path", ""));
  if (kind == "add") return path + ": not recorded, got " + Short(op["value"]);
  if (kind == "remove") return path + ": recorded " + Short(a.at(ptr)) + ", missing";
  return path + ": recorded " + Short(a.at(ptr)) + ", got " + Short(b.at(ptr));
}

std::string Excerpt(std::string_view bytes, bool binary, size_t max) {
  std::string out;
  if (binary) {
    static const char* hex = "0123456789abcdef";
    out = "0x";
    for (size_t i = 0; i < bytes.size() && out.size() < max; ++i) {
      auto c = static_cast<unsigned char>(bytes[i]);
      out += hex[c >> 4];
      out += hex[c & 15];
    }
    if (out.size() >= max && bytes.size() * 2 + 2 > out.size()) out += "...";
    return out;
  }
  for (char c : bytes) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out += (static_cast<unsigned char>(c) < 0x20) ? '.' : c;
  }
  return out;
}

std::optional<std::string> BytesDifference(std::string_view recorded, std::string_view live) {
  if (recorded == live) return std::nullopt;
  size_t i = 0;
  while (i < recorded.size() && i < live.size() && recorded[i] == live[i]) ++i;
  return "bytes differ at offset " + std::to_string(i) + " (recorded " +
         std::to_string(recorded.size()) + " bytes, got " + std::to_string(live.size()) + ")";
}

}  // namespace wsr::replay
