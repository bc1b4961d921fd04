// Splits a recorded HTTP head (a cassette's request_head or response_head: start line, header
// lines, blank line) into its start line and its header fields, in order, names' case kept,
// duplicates kept. Tolerant: a line without a colon is skipped, a missing blank line or bare
// LF line ends are accepted, so it never fails on what a proxy relayed. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "cassettes/model.h"

namespace wsr::tools {

struct HeadText {
  std::string start_line;     // "GET /p HTTP/1.1" or "HTTP/1.1 403 Forbidden"
  cassette::Headers headers;  // values with surrounding spaces and tabs removed
};

HeadText SplitHead(std::string_view head);

// The reason phrase of a status line ("Forbidden" of "HTTP/1.1 403 Forbidden"); "" if none.
std::string StatusReason(std::string_view status_line);

}  // namespace wsr::tools
