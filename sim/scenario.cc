#include "sim/scenario.h"

#include <algorithm>

#include "common/duration.h"
#include "common/error.h"
#include "sim/default_data.h"
#include "sim/json_lines.h"
#include "thenvoi/spec.h"

namespace wsr::sim {

Scenario Scenario::Parse(std::string_view text, const std::string& source,
                         std::vector<std::string>* warnings) {
  Scenario sc;
  // ordered_json keeps the payload's key order in what is sent.
  ForEachJsonLine(
      text, source, [&](const nlohmann::ordered_json& j, int lineno, const std::string& where) {
        ScenarioPush p;
        p.line = lineno;
        // At most 36 years (kMaxDurationMs): the server arms a timer of at_ms * 10^6 ns.
        auto at = j.find("at_ms");
        if (at == j.end() || !at->is_number_integer() || at->get<int64_t>() < 0 ||
            at->get<int64_t>() > kMaxDurationMs) {
          throw Error(where + ": \"at_ms\" must be an integer from 0 to " +
                      std::to_string(kMaxDurationMs) + " (36 years)");
        }
        p.at_ms = at->get<int64_t>();
        auto topic = j.find("topic");
        auto event = j.find("event");
        if (topic == j.end() || !topic->is_string() || topic->get<std::string>().empty()) {
          throw Error(where + ": \"topic\" must be a non-empty string");
        }
        if (event == j.end() || !event->is_string() || event->get<std::string>().empty()) {
          throw Error(where + ": \"event\" must be a non-empty string");
        }
        p.topic = topic->get<std::string>();
        p.event = event->get<std::string>();
        auto payload = j.find("payload");
        if (payload == j.end() || !payload->is_object()) {
          throw Error(where + ": \"payload\" must be a JSON object (Phoenix payloads are maps)");
        }
        if (p.event.rfind("phx_", 0) == 0 || p.topic == "phoenix") {
          throw Error(where + ": system events and the \"phoenix\" topic cannot be scripted");
        }
        p.payload_text = payload->dump();
        p.payload = nlohmann::json::parse(p.payload_text);
        if (warnings) {
          for (const auto& f : thenvoi::CheckPayload(p.topic, p.event, p.payload)) {
            warnings->push_back(where + ": " + (f.is_error() ? "off-spec: " : "note: ") +
                                (f.path.empty() ? "" : f.path + ": ") + f.message);
          }
        }
        sc.pushes_.push_back(std::move(p));
      });
  std::stable_sort(sc.pushes_.begin(), sc.pushes_.end(),
                   [](const ScenarioPush& a, const ScenarioPush& b) { return a.at_ms < b.at_ms; });
  return sc;
}

Scenario Scenario::Load(const std::string& path, std::vector<std::string>* warnings) {
  return Parse(ReadTextFile(path, "scenario file"), path, warnings);
}

std::string_view Scenario::DefaultText() { return kDefaultScenario; }

Scenario Scenario::Default() { return Parse(kDefaultScenario, "<built-in scenario>"); }

}  // namespace wsr::sim
