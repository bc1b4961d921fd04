#include "tests/support/phoenix_js.h"

#include <sstream>

#include "tests/support/process.h"

namespace wsr::testing {

std::string PhoenixJsClient() { return SourceDir() + "/tests/js/phoenix_client.mjs"; }

std::string PhoenixJsOutput::EventLines() const {
  std::string out;
  for (const auto& e : events) out += e + "\n";
  return out;
}

PhoenixJsOutput ReadPhoenixJsOutput(const std::string& stdout_text) {
  PhoenixJsOutput out;
  std::istringstream in(stdout_text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      out.unparsed.push_back(line);
      continue;
    }
    const std::string kind = j.value("kind", "");
    if (kind == "join" && j.value("status", "") == "ok") ++out.joins_ok;
    if (kind == "event") {
      out.events.push_back(j["topic"].get<std::string>() + " " + j["event"].get<std::string>() +
                           " " + j["payload"].dump());
    }
    out.lines.push_back(std::move(j));
  }
  return out;
}

}  // namespace wsr::testing
