// tests/js/phoenix_client.mjs — the official `phoenix` npm client on Node 20 with `ws` —
// as the integration tests use it: where the script is, and its output read back.
//
// The script prints one JSON object per line: {"kind":"join",...}, {"kind":"event","topic",
// "event","payload"}, ... and a final {"kind":"done",...}. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace wsr::testing {

// Absolute path of tests/js/phoenix_client.mjs (run it with "node").
std::string PhoenixJsClient();

struct PhoenixJsOutput {
  std::vector<nlohmann::json> lines;  // every JSON object line, in order
  std::vector<std::string> unparsed;  // lines that were not a JSON object
  std::vector<std::string> events;    // "topic event payload-json" per event, arrival order
  int joins_ok = 0;                   // joins answered "ok"

  // The events, one per line, each ending in "\n".
  std::string EventLines() const;
};

PhoenixJsOutput ReadPhoenixJsOutput(const std::string& stdout_text);

}  // namespace wsr::testing
