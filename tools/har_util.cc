#include "tools/har_util.h"

#include <cmath>

#include "common/ascii.h"
#include "common/error.h"
#include "tools/text_util.h"

namespace wsr::tools {

nlohmann::ordered_json HarHeaders(const cassette::Headers& h) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& [k, v] : h) a.push_back({{"name", k}, {"value", v}});
  return a;
}

cassette::Headers ReadHarHeaders(const nlohmann::json& obj) {
  cassette::Headers out;
  if (!obj.is_object()) return out;
  auto it = obj.find("headers");
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& h : *it) {
    if (h.is_object() && h.contains("name") && h["name"].is_string()) {
      std::string v =
          h.contains("value") && h["value"].is_string() ? h["value"].get<std::string>() : "";
      out.emplace_back(h["name"].get<std::string>(), v);
    }
  }
  return out;
}

std::string HeaderValue(const cassette::Headers& h, const std::string& lower_name) {
  for (const auto& [k, v] : h) {
    if (AsciiLower(k) == lower_name) return v;
  }
  return "";
}

nlohmann::ordered_json HarQueryString(const std::string& query) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    std::string part =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      a.push_back({{"name", part.substr(0, eq)},
                   {"value", eq == std::string::npos ? "" : part.substr(eq + 1)}});
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return a;
}

nlohmann::ordered_json HarContent(std::string_view body, const cassette::Headers& headers) {
  nlohmann::ordered_json content = {{"size", body.size()}, {"mimeType", "x-unknown"}};
  std::string type = HeaderValue(headers, "content-type");
  if (!type.empty()) content["mimeType"] = type;
  if (IsValidUtf8(body)) {
    content["text"] = body;
  } else {
    content["text"] = Base64Encode(body);
    content["encoding"] = "base64";
  }
  return content;
}

std::optional<std::string> ReadHarText(const nlohmann::json& obj, const std::string& what) {
  if (!obj.is_object()) return std::nullopt;
  auto text = obj.find("text");
  if (text == obj.end() || !text->is_string()) return std::nullopt;
  auto enc = obj.find("encoding");
  if (enc == obj.end() || *enc != "base64") return text->get<std::string>();
  auto bytes = Base64Decode(text->get<std::string>());
  if (!bytes) throw Error(what + " is not base64");
  return bytes;
}

void SplitUrlTarget(const std::string& url, std::string* path, std::string* query) {
  std::string target = url;
  if (size_t scheme = target.find("://"); scheme != std::string::npos) {
    size_t slash = target.find_first_of("/?", scheme + 3);
    target = slash == std::string::npos ? "/" : target.substr(slash);
  }
  if (size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  size_t q = target.find('?');
  *path = target.substr(0, q);
  if (path->empty()) *path = "/";
  *query = q == std::string::npos ? "" : target.substr(q + 1);
}

const char* StatusText(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

int64_t EpochSecondsToNs(double seconds) {
  if (!(seconds > -9.2e9)) seconds = -9.2e9;
  if (seconds > 9.2e9) seconds = 9.2e9;
  double whole = std::floor(seconds);
  return static_cast<int64_t>(whole) * 1000000000 +
         static_cast<int64_t>(std::llround((seconds - whole) * 1e6)) * 1000;
}

}  // namespace wsr::tools
