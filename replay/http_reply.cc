#include "replay/http_reply.h"

#include <nlohmann/json.hpp>

#include "common/ascii.h"

namespace wsr::replay {
namespace {

bool NoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

HttpReply RecordedAnswer(const cassette::Exchange& e, bool head_request) {
  HttpReply a;
  a.status = e.status.value_or(502);
  if (a.status < 100 || a.status > 599) a.status = 502;
  std::string recorded_length;
  for (const auto& [name, value] : e.response_headers) {
    std::string n = AsciiLower(name);
    if (n == "content-length") {
      recorded_length = value;
      continue;
    }
    if (n == "connection" || n == "keep-alive" || n == "transfer-encoding" || n == "upgrade" ||
        n == "trailer") {
      continue;
    }
    if (n == "content-encoding" && (e.flags & cassette::kResponseBodyDecoded)) continue;
    a.headers.emplace_back(name, value);
  }
  if (head_request) {
    if (!recorded_length.empty()) a.headers.emplace_back("Content-Length", recorded_length);
    return a;
  }
  if (NoBody(a.status)) return a;
  a.body = e.response_body;
  a.headers.emplace_back("Content-Length", std::to_string(a.body.size()));
  return a;
}

HttpReply MismatchAnswer(const HttpMatch& m) {
  nlohmann::json j = {
      {"error", "not_in_cassette"},
      {"request", m.request},
      {"nearest", m.nearest.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.nearest)},
      {"difference", m.difference},
      {"message", "wsreplay: " + m.explanation},
  };
  HttpReply a;
  a.status = 501;
  a.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  a.headers = {{"Content-Type", "application/json"},
               {"Cache-Control", "no-store"},
               {"Content-Length", std::to_string(a.body.size())}};
  return a;
}

}  // namespace wsr::replay
