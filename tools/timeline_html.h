// Self-contained HTML rendering of a TimelineModel: one file, no network assets. The frames
// (with payload previews) are embedded as JSON in <script type="application/json"> (escaped
// so payload text cannot end the element); inline JavaScript draws an SVG with one
// <line class="frame"> per data frame and one <path class="frame ctl"> per control frame
// (data-i, data-conn, data-seq, data-dir, data-kind, data-event; class "violation" when the
// frame broke RFC 6455), lanes per connection and topic, a time axis with wheel zoom and drag pan,
// a hover tooltip and a click panel showing the payload. When drawn, the page sets <html
// data-wsr-ready="N"> (N = marks drawn). Pure function; thread-safe.
#pragma once

#include <ostream>

#include "tools/timeline_model.h"

namespace wsr::tools {

void RenderTimelineHtml(const TimelineModel& model, std::ostream& out);

}  // namespace wsr::tools
