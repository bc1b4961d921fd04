#include "tools/timeline_svg.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "tools/timeline_text.h"

namespace wsr::tools {

int64_t NiceTickStep(int64_t span_ns, int max_ticks) {
  if (span_ns <= 0 || max_ticks <= 0) return 1;
  int64_t step = 1;
  while (true) {
    for (int64_t m : {1, 2, 5}) {
      if (span_ns / (step * m) < max_ticks) return step * m;
    }
    step *= 10;
  }
}

std::string FormatOffset(int64_t ns) {
  char buf[64];
  double v = static_cast<double>(ns);
  if (ns == 0) return "0";
  if (ns % 1'000'000'000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(ns / 1'000'000'000));
  } else if (ns >= 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.3g s", v / 1e9);
  } else if (ns >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.3g ms", v / 1e6);
  } else if (ns >= 1'000) {
    std::snprintf(buf, sizeof buf, "%.3g us", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(ns));
  }
  return buf;
}

namespace {

// The first `max_bytes` of valid UTF-8 `text`, cut at a character boundary, "..." when cut.
std::string Head(const std::string& text, size_t max_bytes) {
  bool cut = false;
  std::string head = PayloadPreview(text, /*is_text=*/true, max_bytes, &cut);
  return cut ? head + "..." : head;
}

constexpr int kLabelW = 300;
constexpr int kPlotW = 1400;
constexpr int kRightPad = 40;
constexpr int kLegendH = 48;
constexpr int kAxisH = 28;
constexpr int kLaneH = 24;

std::string Seconds(int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "+%.6fs", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A mark's outline relative to (frame time, lane line): data frames are triangles pointing
// away from the line, pings/pongs circles, close frames diamonds; above the line for c2s.
const char* MarkPath(MarkKind kind, bool c2s) {
  std::string shape = MarkKindShape(kind);
  if (shape == "circle") {
    return c2s ? "M-4,-5a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z" : "M-4,5a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z";
  }
  if (shape == "diamond") return c2s ? "M0,-11L5,-6L0,-1L-5,-6Z" : "M0,11L5,6L0,1L-5,6Z";
  return c2s ? "M0,-9L5,-1L-5,-1Z" : "M0,9L5,1L-5,1Z";
}

// Legend swatch of a kind at (x, 8): its shape in its colour.
std::string LegendSwatch(MarkKind kind, int x) {
  std::string shape = MarkKindShape(kind);
  std::string fill = " fill=\"" + std::string(MarkKindColor(kind)) + "\"/>";
  if (shape == "circle") {
    return "<circle cx=\"" + std::to_string(x + 5) + "\" cy=\"13\" r=\"5\" stroke=\"#333\" " +
           "stroke-width=\"0.5\"" + fill;
  }
  if (shape == "diamond") {
    return "<path d=\"M" + std::to_string(x + 5) + ",7l6,6l-6,6l-6,-6Z\" stroke=\"#333\" " +
           "stroke-width=\"0.5\"" + fill;
  }
  return "<rect x=\"" + std::to_string(x) + "\" y=\"8\" width=\"10\" height=\"10\"" + fill;
}

}  // namespace

void RenderTimelineSvg(const TimelineModel& m, std::ostream& out) {
  const int lanes = static_cast<int>(m.lanes.size());
  const int top = kLegendH + kAxisH;
  const int height = top + std::max(lanes, 1) * kLaneH + 20;
  const int width = kLabelW + kPlotW + kRightPad;
  auto x_of = [&](int64_t ns) {
    return kLabelW + static_cast<double>(ns) / static_cast<double>(m.end_ns) * kPlotW;
  };
  auto lane_y = [&](int lane) { return top + lane * kLaneH + kLaneH / 2.0; };

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"sans-serif\" "
      << "font-size=\"11\">\n"
      << "<title>wsreplay timeline: session " << XmlEscape(m.session.name) << "</title>\n"
      << "<style>.lane-label{fill:#222}.conn-label{font-weight:bold}.tick{stroke:#ddd}"
      << ".frame{stroke:#000;stroke-width:0.4}.frame:hover{stroke-width:1.5}"
      << ".frame.violation{stroke:" << kViolationColor << ";stroke-width:2}"
      << ".conn-status{fill:" << kViolationColor << ";font-weight:bold}</style>\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";

  // Legend: colours per kind, shapes per direction.
  out << "<g class=\"legend\">\n";
  int lx = 10;
  for (int k = 0; k < kMarkKindCount; ++k) {
    auto kind = static_cast<MarkKind>(k);
    out << LegendSwatch(kind, lx) << "<text x=\"" << lx + 14 << "\" y=\"17\">"
        << XmlEscape(MarkKindLabel(kind)) << "</text>\n";
    lx += 24 + static_cast<int>(std::string(MarkKindLabel(kind)).size()) * 6;
  }
  out << "<path d=\"M15,26L20,34L10,34Z\" fill=\"#666\"/><text x=\"26\" y=\"35\">client to "
         "server (above the lane line)</text>\n"
      << "<path d=\"M265,34L270,26L260,26Z\" fill=\"#666\"/><text x=\"276\" y=\"35\">server to "
         "client (below)</text>\n"
      << "<line x1=\"430\" y1=\"24\" x2=\"430\" y2=\"38\" stroke=\"#d62728\" stroke-width=\"2\"/>"
         "<text x=\"436\" y=\"35\">WebSocket close (code)</text>\n"
      << "<path d=\"M590,26L595,34L585,34Z\" fill=\"#666\" stroke=\"" << kViolationColor
      << "\" stroke-width=\"2\"/><text x=\"602\" y=\"35\">red outline: broke RFC 6455 "
         "(note in the tooltip)</text>\n"
      << "<rect x=\"910\" y=\"27\" width=\"16\" height=\"8\" fill=\"#f2b8b8\"/><text "
         "x=\"930\" y=\"35\">refused/failed connection (status)</text>\n"
      << "<rect x=\"1150\" y=\"27\" width=\"16\" height=\"8\" fill=\"" << StatusClassColor("2xx")
      << "\"/><text x=\"1170\" y=\"35\">HTTP exchange (request to response; 4xx orange, "
         "5xx/none red)</text>\n"
      << "<text x=\"1450\" y=\"35\">session " << XmlEscape(m.session.name) << ", " << m.marks.size()
      << " frames, " << m.exchanges.size() << " HTTP exchanges, " << FormatOffset(m.end_ns)
      << "</text>\n</g>\n";

  // Axis and grid.
  int64_t step = NiceTickStep(m.end_ns, 12);
  out << "<g class=\"axis\">\n";
  for (int64_t t = 0; t <= m.end_ns; t += step) {
    double x = x_of(t);
    out << "<line class=\"tick\" x1=\"" << Num(x) << "\" y1=\"" << kLegendH + 16 << "\" x2=\""
        << Num(x) << "\" y2=\"" << height - 20 << "\"/><text x=\"" << Num(x) << "\" y=\""
        << kLegendH + 12 << "\" text-anchor=\"middle\">" << FormatOffset(t) << "</text>\n";
  }
  out << "</g>\n";

  // Lanes.
  out << "<g class=\"lanes\">\n";
  for (int i = 0; i < lanes; ++i) {
    const auto& l = m.lanes[i];
    double y = lane_y(i);
    if (l.is_connection) {
      out << "<rect x=\"0\" y=\"" << Num(y - kLaneH / 2.0) << "\" width=\"" << width
          << "\" height=\"" << kLaneH << "\" fill=\"#f3f6fa\"/>\n";
    }
    out << "<line x1=\"" << kLabelW << "\" y1=\"" << Num(y) << "\" x2=\"" << kLabelW + kPlotW
        << "\" y2=\"" << Num(y) << "\" stroke=\"#ccc\"/>\n"
        << "<text class=\"lane-label" << (l.is_connection ? " conn-label" : "") << "\" x=\""
        << (l.is_connection ? 6 : 18) << "\" y=\"" << Num(y + 4) << "\">"
        << XmlEscape(l.label.size() > 48 ? l.label.substr(0, 45) + "..." : l.label) << "<title>"
        << XmlEscape(l.label) << "</title></text>\n";
  }
  out << "</g>\n";

  // Connection spans and closes.
  out << "<g class=\"connections\">\n";
  for (const auto& c : m.connections) {
    double y = lane_y(c.lane);
    double x0 = x_of(c.opened_ns), x1 = x_of(c.closed_ns.value_or(m.end_ns));
    std::string info = "connection " + std::to_string(c.ordinal) + " " + c.path + " opened " +
                       Seconds(c.opened_ns);
    if (c.http_status) info += " http " + std::to_string(*c.http_status);
    if (!c.error.empty()) info += " error: " + c.error;
    bool refused = !c.status_label.empty();
    out << "<rect class=\"conn-span\" x=\"" << Num(x0) << "\" y=\"" << Num(y - 4) << "\" width=\""
        << Num(std::max(x1 - x0, 1.0)) << "\" height=\"8\" fill=\""
        << (refused ? "#f2b8b8" : "#9fb7d4") << "\"><title>" << XmlEscape(info)
        << "</title></rect>\n";
    if (refused) {  // the status, right of the span (and of its close line)
      out << "<text class=\"conn-status\" data-conn=\"" << c.ordinal << "\" x=\"" << Num(x1 + 4)
          << "\" y=\"" << Num(y + 4) << "\">" << XmlEscape(c.status_label) << "<title>"
          << XmlEscape(info) << "</title></text>\n";
    }
    if (c.closed_ns) {
      std::string what = "close " + (c.close_code ? std::to_string(*c.close_code) : "?") +
                         (c.close_initiator.empty() ? "" : " by " + c.close_initiator) +
                         (c.close_reason.empty() ? "" : " \"" + c.close_reason + "\"") + " at " +
                         Seconds(*c.closed_ns);
      out << "<g class=\"conn-close\" data-conn=\"" << c.ordinal << "\"><line x1=\"" << Num(x1)
          << "\" y1=\"" << Num(y - 10) << "\" x2=\"" << Num(x1) << "\" y2=\"" << Num(y + 10)
          << "\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"" << Num(x1 + 4) << "\" y=\""
          << Num(y + 4) << "\" fill=\"#d62728\">"
          << (c.close_code ? std::to_string(*c.close_code)
              : refused    ? ""
                           : std::string("closed"))
          << "</text>"
          << "<title>" << XmlEscape(what) << "</title></g>\n";
    }
  }
  out << "</g>\n";

  // HTTP exchanges: a span from request start to response end (at least 3 px), coloured by
  // status class, with the label right of it and the details in the tooltip.
  out << "<g class=\"exchanges\">\n";
  for (const auto& x : m.exchanges) {
    double y = lane_y(x.lane);
    double x0 = x_of(x.request_ns), x1 = x_of(x.response_ns.value_or(x.request_ns));
    std::string cls = StatusClass(x.status);
    std::string tip = "HTTP #" + std::to_string(x.ordinal) + " " + Seconds(x.request_ns) + " " +
                      x.method + " " + x.target + " -> " +
                      (x.status ? std::to_string(*x.status) : std::string("no response")) +
                      (x.error.empty() ? "" : " (" + x.error + ")");
    std::string bodies =
        (x.request_body.empty() ? "" : "request: " + Head(x.request_body, 300) + "\n") +
        (x.response_body.empty() ? "" : "response: " + Head(x.response_body, 300));
    out << "<g class=\"exchange s-" << cls << "\" data-ordinal=\"" << x.ordinal
        << "\" data-method=\"" << XmlEscape(x.method) << "\" data-status=\""
        << (x.status ? std::to_string(*x.status) : std::string()) << "\"><rect x=\"" << Num(x0)
        << "\" y=\"" << Num(y - 6) << "\" width=\"" << Num(std::max(x1 - x0, 3.0))
        << "\" height=\"12\" fill=\"" << StatusClassColor(cls) << "\"/><text x=\""
        << Num(std::max(x1, x0 + 3) + 4) << "\" y=\"" << Num(y + 4) << "\">"
        << XmlEscape(x.label.size() > 60 ? Head(x.label, 57) : x.label) << "</text><title>"
        << XmlEscape(tip) << '\n'
        << XmlEscape(bodies) << "</title></g>\n";
  }
  out << "</g>\n";

  // Frames.
  out << "<g class=\"frames\">\n";
  for (const auto& mk : m.marks) {
    bool c2s = mk.direction == cassette::Direction::kClientToServer;
    std::string head = "conn " + std::to_string(mk.conn_ordinal) + " #" + std::to_string(mk.seq) +
                       " " + Seconds(mk.offset_ns) + " " + cassette::DirectionName(mk.direction) +
                       " " +
                       (IsControlKind(mk.kind) ? std::string(MarkKindLabel(mk.kind))
                        : mk.topic.empty()     ? std::string("(raw)")
                                               : mk.topic + " " + mk.event) +
                       " (" + std::to_string(mk.size) + " bytes)";
    std::string body = mk.payload.size() > 600 ? mk.payload.substr(0, 600) : mk.payload;
    bool cut = mk.truncated || body.size() < mk.payload.size();
    if (mk.flags & cassette::kFrameCompressed) head += " [compressed]";
    std::string violation;
    if (mk.flags & cassette::kFrameViolation) {
      violation = "violation: " + (mk.note.empty() ? std::string("(no note)") : mk.note) + "\n";
    }
    out << "<path class=\"frame k-" << MarkKindName(mk.kind)
        << (mk.flags & cassette::kFrameViolation ? " violation" : "") << "\" data-conn=\""
        << mk.conn_ordinal << "\" data-seq=\"" << mk.seq << "\" data-dir=\""
        << cassette::DirectionName(mk.direction) << "\" data-kind=\"" << MarkKindName(mk.kind)
        << "\" data-event=\"" << XmlEscape(mk.event) << "\" fill=\"" << MarkKindColor(mk.kind)
        << "\" transform=\"translate(" << Num(x_of(mk.offset_ns)) << ',' << Num(lane_y(mk.lane))
        << ")\" d=\"" << MarkPath(mk.kind, c2s) << "\"><title>" << XmlEscape(head) << '\n'
        << XmlEscape(violation) << XmlEscape(body) << (cut ? "..." : "") << "</title></path>\n";
  }
  out << "</g>\n</svg>\n";
}

}  // namespace wsr::tools
