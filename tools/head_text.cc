#include "tools/head_text.h"

namespace wsr::tools {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

HeadText SplitHead(std::string_view head) {
  HeadText out;
  bool first = true;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      out.start_line = std::string(line);
      first = false;
      continue;
    }
    if (line.empty()) break;  // the blank line ends the head
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    out.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(Trim(line.substr(colon + 1))));
  }
  return out;
}

std::string StatusReason(std::string_view status_line) {
  // "HTTP/1.1" SP status SP reason
  size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos) return "";
  size_t sp2 = status_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return "";
  return std::string(status_line.substr(sp2 + 1));
}

}  // namespace wsr::tools
