#include "sim/json_lines.h"

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace wsr::sim {

void ForEachJsonLine(std::string_view text, const std::string& source,
                     const std::function<void(const nlohmann::ordered_json& obj, int lineno,
                                              const std::string& where)>& each) {
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string where = source + ":" + std::to_string(lineno);
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    if (!j.is_object()) throw Error(where + ": each line must be a JSON object");
    each(j, lineno, where);
  }
}

std::string ReadTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace wsr::sim
