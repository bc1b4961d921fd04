// A simulator scenario: server pushes at fixed times, from a JSON Lines file
// `{"at_ms":N,"topic":"...","event":"...","payload":{...}}` (format in sim/README.md) or the
// built-in default (sim/default_scenario.jsonl).
//
// Immutable after loading; thread-safe to read.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::sim {

struct ScenarioPush {
  int64_t at_ms = 0;  // offset from the connection's open time
  std::string topic;
  std::string event;
  nlohmann::json payload;    // parsed, for delivery rules
  std::string payload_text;  // serialized once, sent as is
  int line = 0;              // source line, for messages
};

class Scenario {
 public:
  // Parses JSON Lines (blank lines and lines starting with '#' are skipped). Throws
  // wsr::Error "FILE:LINE: what is wrong". Pushes are stably sorted by at_ms. Payloads that
  // break the Thenvoi spec table are accepted (to simulate a misbehaving server) but reported
  // through `warnings`.
  static Scenario Parse(std::string_view text, const std::string& source,
                        std::vector<std::string>* warnings = nullptr);
  static Scenario Load(const std::string& path, std::vector<std::string>* warnings = nullptr);
  static Scenario Default();
  static std::string_view DefaultText();

  const std::vector<ScenarioPush>& pushes() const { return pushes_; }

 private:
  std::vector<ScenarioPush> pushes_;
};

}  // namespace wsr::sim
