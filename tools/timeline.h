// `wsreplay timeline`: writes a self-contained picture of one cassette session, HTML
// (interactive) or SVG (static), chosen by the output file's extension. See tools/VIZ.md.
// Opens nothing but the given cassette (read-only); not thread-safe (uses a Cassette).
#pragma once

#include <cstdint>
#include <string>

#include "tools/timeline_model.h"

namespace wsr::tools {

enum class TimelineFormat { kHtml, kSvg };

// From "x.html"/"x.htm"/"x.svg" (case-insensitive); throws wsr::Error otherwise.
TimelineFormat TimelineFormatFor(const std::string& output_path);

struct TimelineResult {
  size_t frames = 0;
  size_t lanes = 0;
};

// Reads the cassette at cassette_path and writes output_path (through a temporary file
// renamed into place, so a failure leaves no half-written picture). Throws wsr::Error.
TimelineResult WriteTimeline(const std::string& cassette_path, const TimelineOptions& options,
                             const std::string& output_path);

}  // namespace wsr::tools
