#include "replay/report.h"

#include <algorithm>
#include <climits>
#include <sstream>

#include "common/duration.h"

namespace wsr::replay {

void LatenessStats::Add(int64_t ns) {
  if (ns < 0) ns = 0;
  max_ns_ = std::max(max_ns_, ns);
  int64_t us = ns / 1000;
  us_.push_back(static_cast<int32_t>(std::min<int64_t>(us, INT32_MAX)));
}

int64_t LatenessStats::PercentileNs(double p) const {
  if (us_.empty()) return 0;
  std::vector<int32_t> v = us_;
  size_t k = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  k = std::min(k, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<int64_t>(v[k]) * 1000;
}

void ConnectionReport::AddUndelivered(UndeliveredFrame f) {
  ++undelivered_count;
  if (undelivered.size() < kMaxListed) undelivered.push_back(std::move(f));
}

void ConnectionReport::AddMismatch(MismatchEntry m) {
  ++mismatch_count;
  if (mismatches.size() < kMaxListed) mismatches.push_back(std::move(m));
}

int64_t Report::TotalMismatches() const {
  int64_t n = 0;
  for (const auto& c : connections) n += c.mismatch_count;
  return n + http.mismatch_count;
}

void HttpSummary::AddMismatch(HttpMismatchEntry m) {
  ++mismatch_count;
  if (mismatches.size() < ConnectionReport::kMaxListed) mismatches.push_back(std::move(m));
}

void HttpSummary::AddAbandoned(std::string line) {
  ++abandoned_count;
  if (abandoned.size() < ConnectionReport::kMaxListed) abandoned.push_back(std::move(line));
}

nlohmann::json HttpSummary::ToJson() const {
  nlohmann::json mis = nlohmann::json::array();
  for (const auto& m : mismatches) {
    mis.push_back({{"at_ms", static_cast<double>(m.at_ns) / 1e6},
                   {"request", m.request},
                   {"explanation", m.explanation},
                   {"action", m.action}});
  }
  return {{"recorded", recorded},
          {"answered", answered},
          {"mismatch_count", mismatch_count},
          {"mismatches", mis},
          {"unused_count", unused_count},
          {"unused", unused},
          {"served", served},
          {"held_count", held_count},
          {"held", held},
          {"abandoned_count", abandoned_count},
          {"abandoned", abandoned}};
}

int64_t Report::TotalUndelivered() const {
  int64_t n = 0;
  for (const auto& c : connections) n += c.undelivered_count;
  for (const auto& u : unused) n += u.server_frames;
  return n + http.held_count + http.abandoned_count;
}

nlohmann::json FaultHit::ToJson() const {
  nlohmann::json rejoined_json = rejoined;
  return {{"id", id},
          {"spec", spec},
          {"breakpoint", breakpoint},
          {"connection", connection},
          {"at_ms", static_cast<double>(at_ns) / 1e6},
          {"before", before},
          {"effect", effect},
          {"reconnect_after_ms",
           reconnect_after_ns ? nlohmann::json(static_cast<double>(*reconnect_after_ns) / 1e6)
                              : nlohmann::json(nullptr)},
          {"next_connection", next_connection},
          {"rejoined", rejoined_json},
          {"frames_after", frames_after}};
}

std::string FaultHit::ToText() const {
  std::ostringstream o;
  o << (breakpoint ? "breakpoint " : "fault ") << spec << " on connection " << connection << " at "
    << FormatDurationNs(at_ns);
  if (!before.empty()) o << " before " << before;
  o << ": " << effect;
  if (reconnect_after_ns) {
    o << "; client reconnected after " << FormatDurationNs(*reconnect_after_ns);
    if (next_connection) o << " (connection " << next_connection << ")";
  }
  if (!rejoined.empty()) {
    o << ", rejoined";
    for (size_t i = 0; i < rejoined.size(); ++i) o << (i ? ", " : " ") << rejoined[i];
  }
  o << "; " << frames_after << " frames delivered after it";
  return o.str();
}

nlohmann::json Report::ToJson() const {
  using nlohmann::json;
  json conns = json::array();
  for (const auto& c : connections) {
    json und = json::array();
    for (const auto& u : c.undelivered) {
      und.push_back({{"seq", u.seq},
                     {"offset_ms", static_cast<double>(u.offset_ns) / 1e6},
                     {"frame", u.what},
                     {"reason", u.reason}});
    }
    json mis = json::array();
    for (const auto& m : c.mismatches) {
      mis.push_back({{"at_ms", static_cast<double>(m.at_ns) / 1e6},
                     {"frame", m.frame},
                     {"explanation", m.explanation},
                     {"action", m.action}});
    }
    conns.push_back({{"connection", c.live_index},
                     {"recorded_connection", c.recorded_ordinal},
                     {"path", c.path},
                     {"query", c.query},
                     {"mode", c.mode},
                     {"http_status", c.http_status},
                     {"open", c.open},
                     {"delivered", c.delivered},
                     {"undelivered_count", c.undelivered_count},
                     {"undelivered", und},
                     {"mismatch_count", c.mismatch_count},
                     {"mismatches", mis},
                     {"heartbeats_answered", c.heartbeats},
                     {"close", c.close},
                     {"resumes", c.resumes},
                     {"resumed_by", c.resumed_by},
                     {"lateness_ms",
                      {{"count", c.lateness.count()},
                       {"p50", static_cast<double>(c.lateness.PercentileNs(50)) / 1e6},
                       {"p99", static_cast<double>(c.lateness.PercentileNs(99)) / 1e6},
                       {"max", static_cast<double>(c.lateness.MaxNs()) / 1e6}}}});
  }
  json unused_json = json::array();
  for (const auto& u : unused) {
    unused_json.push_back({{"recorded_connection", u.ordinal},
                           {"path", u.path},
                           {"query", u.query},
                           {"server_frames", u.server_frames}});
  }
  json faults_json = json::array();
  for (const auto& f : faults) faults_json.push_back(f.ToJson());
  return {{"cassette", cassette},
          {"session", session},
          {"connections", conns},
          {"faults", faults_json},
          {"unused_recorded_connections", unused_json},
          {"refused_upgrades", refused_upgrades},
          {"http", http.ToJson()},
          {"mismatches", TotalMismatches()},
          {"undelivered", TotalUndelivered()},
          {"clean", Clean()}};
}

std::string Report::ToText() const {
  std::ostringstream o;
  o << "replay report: session '" << session << "' from " << cassette << "\n";
  for (const auto& c : connections) {
    o << "  connection " << c.live_index << " " << c.path;
    if (c.recorded_ordinal) o << " <- recorded #" << c.recorded_ordinal;
    o << " [" << c.mode << "]";
    if (c.mode == "refused") {
      o << " HTTP " << c.http_status << "\n";
      continue;
    }
    o << ": delivered " << c.delivered << ", undelivered " << c.undelivered_count << ", mismatches "
      << c.mismatch_count << ", lateness p50 " << FormatDurationNs(c.lateness.PercentileNs(50))
      << " p99 " << FormatDurationNs(c.lateness.PercentileNs(99)) << " max "
      << FormatDurationNs(c.lateness.MaxNs());
    if (!c.close.empty()) o << ", " << c.close;
    if (c.resumes) o << ", resumes connection " << c.resumes;
    if (c.resumed_by) o << ", resumed by connection " << c.resumed_by;
    o << "\n";
    for (const auto& m : c.mismatches) {
      o << "    mismatch at " << FormatDurationNs(m.at_ns) << ": " << m.frame << "\n      "
        << m.explanation << " (" << m.action << ")\n";
    }
    for (const auto& u : c.undelivered) {
      o << "    undelivered seq " << u.seq << " @" << FormatDurationNs(u.offset_ns) << " " << u.what
        << ": " << u.reason << "\n";
    }
    if (c.undelivered_count > static_cast<int64_t>(c.undelivered.size())) {
      o << "    ... and " << (c.undelivered_count - static_cast<int64_t>(c.undelivered.size()))
        << " more undelivered\n";
    }
  }
  for (const auto& u : unused) {
    o << "  recorded connection #" << u.ordinal << " " << u.path << " was never opened ("
      << u.server_frames << " server frames undelivered)\n";
  }
  for (const auto& f : faults) o << "  " << f.ToText() << "\n";
  if (refused_upgrades) o << "  refused upgrades: " << refused_upgrades << "\n";
  if (http.recorded || http.answered || http.mismatch_count || http.held_count ||
      http.abandoned_count) {
    o << "  http: " << http.answered << " requests answered from " << http.recorded
      << " recorded, mismatches " << http.mismatch_count << ", never asked for "
      << http.unused_count << "\n";
    for (const auto& m : http.mismatches) {
      o << "    mismatch at " << FormatDurationNs(m.at_ns) << ": " << m.explanation << " ("
        << m.action << ")\n";
    }
    if (http.mismatch_count > static_cast<int64_t>(http.mismatches.size())) {
      o << "    ... and " << (http.mismatch_count - static_cast<int64_t>(http.mismatches.size()))
        << " more mismatches\n";
    }
    for (const auto& u : http.unused) o << "    recorded request " << u << " was never asked for\n";
    for (const auto& h : http.held) o << "    response never sent: " << h << "\n";
    for (const auto& a : http.abandoned) o << "    http " << a << "\n";
    if (http.abandoned_count > static_cast<int64_t>(http.abandoned.size())) {
      o << "    ... and " << (http.abandoned_count - static_cast<int64_t>(http.abandoned.size()))
        << " more responses held when their client disconnected\n";
    }
  }
  o << "  total: " << TotalMismatches() << " mismatches, " << TotalUndelivered()
    << " undelivered -> " << (Clean() ? "clean" : "NOT clean") << "\n";
  return o.str();
}

}  // namespace wsr::replay
