#include "tools/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/error.h"

namespace wsr::tools {

int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

SessionStats ComputeStats(cassette::Cassette& c, const cassette::Session& s) {
  SessionStats st;
  st.session = s.name;
  st.connections = static_cast<int>(c.Connections(s.id).size());
  cassette::FrameFilter filter;
  filter.session_id = s.id;
  filter.include_control = true;
  auto cursor = c.Frames(filter);
  cassette::Frame f;
  std::vector<int64_t> gaps;
  int64_t prev = -1, last = 0;
  while (cursor.Next(&f)) {
    bool c2s = f.direction == cassette::Direction::kClientToServer;
    if (f.flags & cassette::kFrameCompressed) ++st.compressed;
    if (f.flags & cassette::kFrameViolation) {
      ++st.violations;
      st.violation_notes[f.note.empty() ? "(no note)" : f.note]++;
    }
    if (f.is_control()) {
      DirectionCounts* kind = f.opcode == 8    ? &st.closes
                              : f.opcode == 9  ? &st.pings
                              : f.opcode == 10 ? &st.pongs
                                               : nullptr;
      if (kind) (c2s ? kind->c2s : kind->s2c)++;
      last = std::max(last, f.offset_ns);
      continue;
    }
    ++st.frames;
    auto bytes = static_cast<int64_t>(f.payload.size());
    st.bytes += bytes;
    (c2s ? st.c2s : st.s2c)++;
    TopicStats& t = st.topics[f.topic.value_or("")];
    ++t.frames;
    (c2s ? t.c2s : t.s2c)++;
    t.bytes += bytes;
    if (f.event) t.events[*f.event]++;
    if (prev >= 0) gaps.push_back(f.offset_ns - prev);
    prev = f.offset_ns;
    last = std::max(last, f.offset_ns);
  }
  std::sort(gaps.begin(), gaps.end());
  st.gaps = static_cast<int64_t>(gaps.size());
  st.gap_p50_ns = Percentile(gaps, 50);
  st.gap_p90_ns = Percentile(gaps, 90);
  st.gap_p99_ns = Percentile(gaps, 99);
  st.gap_max_ns = gaps.empty() ? 0 : gaps.back();
  std::vector<int64_t> latencies;
  for (const auto& e : c.Exchanges(s.id)) {
    ++st.http.exchanges;
    st.http.methods[e.method]++;
    st.http.status_classes[e.status ? std::to_string(*e.status / 100) + "xx" : "none"]++;
    if (e.response_ns) latencies.push_back(*e.response_ns - e.request_ns);
    last = std::max(last, e.response_ns.value_or(e.request_ns));
  }
  std::sort(latencies.begin(), latencies.end());
  st.http.answered = static_cast<int64_t>(latencies.size());
  st.http.latency_p50_ns = Percentile(latencies, 50);
  st.http.latency_p90_ns = Percentile(latencies, 90);
  st.http.latency_p99_ns = Percentile(latencies, 99);
  st.http.latency_max_ns = latencies.empty() ? 0 : latencies.back();
  st.duration_ns = s.duration_ns.value_or(last);
  return st;
}

namespace {
std::string Rate(int64_t n, int64_t duration_ns) {
  if (duration_ns <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                static_cast<double>(n) * 1e9 / static_cast<double>(duration_ns));
  return buf;
}

std::string Counts(const char* name, const DirectionCounts& d) {
  return std::to_string(d.total()) + " " + name + " (" + std::to_string(d.c2s) + " c2s, " +
         std::to_string(d.s2c) + " s2c)";
}
}  // namespace

std::string FormatStats(const SessionStats& st) {
  std::string out;
  char line[512];
  std::snprintf(
      line, sizeof line,
      "session %s: %d connection(s), %lld frames (%lld c2s, %lld s2c), %lld bytes, over %s "
      "(%s frames/s)\n",
      st.session.c_str(), st.connections, static_cast<long long>(st.frames),
      static_cast<long long>(st.c2s), static_cast<long long>(st.s2c),
      static_cast<long long>(st.bytes), FormatDurationNs(st.duration_ns).c_str(),
      Rate(st.frames, st.duration_ns).c_str());
  out += line;
  std::snprintf(line, sizeof line, "gaps between frames (%lld): p50 %s  p90 %s  p99 %s  max %s\n",
                static_cast<long long>(st.gaps), FormatDurationNs(st.gap_p50_ns).c_str(),
                FormatDurationNs(st.gap_p90_ns).c_str(), FormatDurationNs(st.gap_p99_ns).c_str(),
                FormatDurationNs(st.gap_max_ns).c_str());
  out += line;
  out += "control frames: " + Counts("pings", st.pings) + ", " + Counts("pongs", st.pongs) + ", " +
         Counts("closes", st.closes) + "\n";
  out += "compressed frames: " + std::to_string(st.compressed) +
         "; RFC 6455 violations: " + std::to_string(st.violations) + "\n";
  for (const auto& [note, n] : st.violation_notes) {
    out += "  " + std::to_string(n) + " x " + note + "\n";
  }
  if (st.http.exchanges > 0) {
    out += "HTTP exchanges: " + std::to_string(st.http.exchanges) + " (";
    std::string sep;
    for (const auto& [method, n] : st.http.methods) {
      out += sep + std::to_string(n) + " " + method;
      sep = ", ";
    }
    out += "); status";
    for (const auto& [cls, n] : st.http.status_classes) out += " " + cls + " " + std::to_string(n);
    out += "\n";
    std::snprintf(
        line, sizeof line, "HTTP latency (%lld answered): p50 %s  p90 %s  p99 %s  max %s\n",
        static_cast<long long>(st.http.answered), FormatDurationNs(st.http.latency_p50_ns).c_str(),
        FormatDurationNs(st.http.latency_p90_ns).c_str(),
        FormatDurationNs(st.http.latency_p99_ns).c_str(),
        FormatDurationNs(st.http.latency_max_ns).c_str());
    out += line;
  }
  if (st.topics.empty()) return out;
  size_t width = 24;
  for (const auto& [topic, t] : st.topics) {
    width = std::max(width, topic.size() + 2);
    for (const auto& [event, n] : t.events) width = std::max(width, event.size() + 4);
  }
  std::snprintf(line, sizeof line, "\n%-*s %8s %8s %8s %10s %10s\n", static_cast<int>(width),
                "TOPIC / event", "frames", "c2s", "s2c", "bytes", "frames/s");
  out += line;
  for (const auto& [topic, t] : st.topics) {
    std::string name = topic.empty() ? "(not phoenix)" : topic;
    std::snprintf(line, sizeof line, "%-*s %8lld %8lld %8lld %10lld %10s\n",
                  static_cast<int>(width), name.c_str(), static_cast<long long>(t.frames),
                  static_cast<long long>(t.c2s), static_cast<long long>(t.s2c),
                  static_cast<long long>(t.bytes), Rate(t.frames, st.duration_ns).c_str());
    out += line;
    for (const auto& [event, n] : t.events) {
      std::snprintf(line, sizeof line, "  %-*s %8lld %8s %8s %10s %10s\n",
                    static_cast<int>(width - 2), event.c_str(), static_cast<long long>(n), "", "",
                    "", Rate(n, st.duration_ns).c_str());
      out += line;
    }
  }
  return out;
}

std::string FormatStatsJson(const SessionStats& st) {
  using nlohmann::json;
  auto counts = [](const DirectionCounts& d) { return json{{"c2s", d.c2s}, {"s2c", d.s2c}}; };
  json topics = json::object();
  for (const auto& [topic, t] : st.topics) {
    topics[topic] = {{"frames", t.frames},
                     {"c2s", t.c2s},
                     {"s2c", t.s2c},
                     {"bytes", t.bytes},
                     {"events", t.events}};
  }
  json j = {
      {"session", st.session},
      {"connections", st.connections},
      {"frames", st.frames},
      {"c2s", st.c2s},
      {"s2c", st.s2c},
      {"bytes", st.bytes},
      {"duration_ns", st.duration_ns},
      {"gaps",
       {{"count", st.gaps},
        {"p50_ns", st.gap_p50_ns},
        {"p90_ns", st.gap_p90_ns},
        {"p99_ns", st.gap_p99_ns},
        {"max_ns", st.gap_max_ns}}},
      {"pings", counts(st.pings)},
      {"pongs", counts(st.pongs)},
      {"closes", counts(st.closes)},
      {"compressed", st.compressed},
      {"violations", st.violations},
      {"violation_notes", st.violation_notes},
      {"topics", topics},
      {"http",
       {{"exchanges", st.http.exchanges},
        {"methods", st.http.methods},
        {"status_classes", st.http.status_classes},
        {"latency",
         {{"answered", st.http.answered},
          {"p50_ns", st.http.latency_p50_ns},
          {"p90_ns", st.http.latency_p90_ns},
          {"p99_ns", st.http.latency_p99_ns},
          {"max_ns", st.http.latency_max_ns}}}}},
  };
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace wsr::tools
