#include "tools/timeline.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

#include "common/ascii.h"
#include "common/error.h"
#include "tools/timeline_html.h"
#include "tools/timeline_svg.h"

namespace wsr::tools {

TimelineFormat TimelineFormatFor(const std::string& path) {
  auto dot = path.rfind('.');
  std::string ext = AsciiLower(dot == std::string::npos ? "" : path.substr(dot + 1));
  if (ext == "html" || ext == "htm") return TimelineFormat::kHtml;
  if (ext == "svg") return TimelineFormat::kSvg;
  throw Error("timeline output '" + path + "' must end in .html or .svg");
}

TimelineResult WriteTimeline(const std::string& cassette_path, const TimelineOptions& options,
                             const std::string& output_path) {
  TimelineFormat format = TimelineFormatFor(output_path);
  auto cassette = cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kReadOnly);
  TimelineModel model = BuildTimeline(*cassette, options);

  std::string tmp = output_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write '" + output_path + "': check the directory exists");
    if (format == TimelineFormat::kHtml) {
      RenderTimelineHtml(model, out);
    } else {
      RenderTimelineSvg(model, out);
    }
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error("writing '" + output_path + "' failed (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), output_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write '" + output_path + "': rename failed");
  }
  return {model.marks.size(), model.lanes.size()};
}

}  // namespace wsr::tools
