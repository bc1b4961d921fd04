// Static SVG rendering of a TimelineModel: lanes, time axis, legend, one <path class="frame">
// per frame (data-conn, data-seq, data-dir, data-kind, data-event attributes; a <title>
// tooltip with the frame header and the start of its payload), connection spans and closes.
// Pure function of the model; thread-safe.
#pragma once

#include <ostream>

#include "tools/timeline_model.h"

namespace wsr::tools {

void RenderTimelineSvg(const TimelineModel& model, std::ostream& out);

// Shared with the HTML renderer: a "nice" axis tick step (1, 2 or 5 x 10^k ns) giving at most
// `max_ticks` ticks over span_ns, and a tick label ("1.5 s", "250 ms", ...).
int64_t NiceTickStep(int64_t span_ns, int max_ticks);
std::string FormatOffset(int64_t ns);

}  // namespace wsr::tools
