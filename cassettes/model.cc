#include "cassettes/model.h"

#include <nlohmann/json.hpp>

#include "phoenix/frame.h"

namespace wsr::cassette {

const char* DirectionName(Direction d) { return d == Direction::kClientToServer ? "c2s" : "s2c"; }

void Frame::FillPhoenixColumns() {
  topic.reset(), event.reset(), join_ref.reset(), ref.reset();
  if (opcode != 1) return;
  auto f = phoenix::Parse(payload);
  if (!f) return;
  topic = f->topic;
  event = f->event;
  join_ref = phoenix::RefText(f->join_ref);
  ref = phoenix::RefText(f->ref);
}

std::string HeadersToJson(const Headers& h) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& [k, v] : h) arr.push_back({k, v});
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Headers HeadersFromJson(const std::string& json) {
  Headers out;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      out.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    }
  }
  return out;
}

}  // namespace wsr::cassette
