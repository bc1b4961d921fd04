#include "tools/diff.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

#include "tools/diff_align.h"

namespace wsr::tools {
namespace {

std::string Prefix(const std::string& topic) { return topic.substr(0, topic.find(':')); }

std::string At(int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "+%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string Describe(const DiffEvent& e) {
  if (e.http) return e.event;
  return std::string(cassette::DirectionName(e.direction)) + " " + e.event;
}

class Reporter {
 public:
  explicit Reporter(DiffReport* r) : r_(r) {}
  void Diff(const std::string& where, const std::string& what) {
    ++r_->differences;
    r_->lines.push_back(where + ": " + what);
  }
  void Detail(const std::string& text) { r_->lines.push_back("    " + text); }

 private:
  DiffReport* r_;
};

// Compares the event streams of one aligned topic pair.
void DiffTopicEvents(const std::string& where, const std::vector<DiffEvent>& a,
                     const std::vector<DiffEvent>& b, Reporter& rep, size_t* compared) {
  *compared += std::max(a.size(), b.size());
  // Intern keys as ints.
  std::unordered_map<std::string, int> ids;
  auto id = [&](const std::string& k) { return ids.try_emplace(k, ids.size()).first->second; };
  std::vector<int> ka, kb, kka, kkb;
  for (const auto& e : a) ka.push_back(id(e.key)), kka.push_back(id("\x01" + e.kind_key));
  for (const auto& e : b) kb.push_back(id(e.key)), kkb.push_back(id("\x01" + e.kind_key));

  std::vector<long> match_a(a.size(), -1), match_b(b.size(), -1);
  std::vector<bool> changed_a(a.size(), false);
  // 1) identical events, in order.
  auto same = LongestCommonSubsequence(ka, kb);
  for (auto [i, j] : same) match_a[i] = static_cast<long>(j), match_b[j] = static_cast<long>(i);
  // 2) within each gap between identical anchors: same direction+event, payload changed.
  std::vector<std::pair<size_t, size_t>> anchors = same;
  anchors.emplace_back(a.size(), b.size());
  size_t ai = 0, bi = 0;
  for (auto [ea, eb] : anchors) {
    std::vector<int> ga(kka.begin() + ai, kka.begin() + ea), gb(kkb.begin() + bi, kkb.begin() + eb);
    for (auto [i, j] : LongestCommonSubsequence(ga, gb)) {
      match_a[ai + i] = static_cast<long>(bi + j);
      match_b[bi + j] = static_cast<long>(ai + i);
      changed_a[ai + i] = true;
    }
    ai = ea + 1;
    bi = eb + 1;
  }
  // 3) leftovers: the same event elsewhere = reordered (maybe also changed).
  std::vector<long> moved_a(a.size(), -1);
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (match_a[i] >= 0 || moved_a[i] >= 0) continue;
      for (size_t j = 0; j < b.size(); ++j) {
        if (match_b[j] >= 0) continue;
        if (pass == 0 ? ka[i] == kb[j] : kka[i] == kkb[j]) {
          moved_a[i] = static_cast<long>(j);
          match_b[j] = static_cast<long>(i);
          break;
        }
      }
    }
  }
  // Report in A order, with B-only events at their place.
  size_t j_next = 0;
  auto report_added_until = [&](size_t j_end) {
    for (; j_next < j_end && j_next < b.size(); ++j_next) {
      if (match_b[j_next] >= 0) continue;
      const auto& e = b[j_next];
      rep.Diff(where, "added in B: " + Describe(e) + " (B #" + std::to_string(j_next + 1) +
                          ", seq " + std::to_string(e.seq) + " " + At(e.offset_ns) + ") " +
                          ShortJson(e.payload));
    }
  };
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& e = a[i];
    std::string pos_a =
        "A #" + std::to_string(i + 1) + ", seq " + std::to_string(e.seq) + " " + At(e.offset_ns);
    if (match_a[i] >= 0) {
      size_t j = static_cast<size_t>(match_a[i]);
      report_added_until(j);
      j_next = std::max(j_next, j + 1);
      if (changed_a[i]) {
        rep.Diff(where, "changed: " + Describe(e) + " (" + pos_a + "; B seq " +
                            std::to_string(b[j].seq) + " " + At(b[j].offset_ns) + ")");
        for (const auto& l : JsonFieldDiff(e.payload, b[j].payload)) rep.Detail(l);
      }
    } else if (moved_a[i] >= 0) {
      size_t j = static_cast<size_t>(moved_a[i]);
      bool also_changed = ka[i] != kb[j];
      rep.Diff(where, std::string("reordered") + (also_changed ? " and changed" : "") + ": " +
                          Describe(e) + " was #" + std::to_string(i + 1) + " in A, is #" +
                          std::to_string(j + 1) + " in B (A seq " + std::to_string(e.seq) + " " +
                          At(e.offset_ns) + "; B seq " + std::to_string(b[j].seq) + " " +
                          At(b[j].offset_ns) + ")");
      if (also_changed) {
        for (const auto& l : JsonFieldDiff(e.payload, b[j].payload)) rep.Detail(l);
      }
    } else {
      rep.Diff(where, "missing in B: " + Describe(e) + " (" + pos_a + ") " + ShortJson(e.payload));
    }
  }
  report_added_until(b.size());
}

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ConnLabel(int ordinal) { return "connection " + std::to_string(ordinal); }

void DiffConnectionInfo(const cassette::Connection& a, const cassette::Connection& b,
                        Reporter& rep) {
  std::string where = ConnLabel(a.ordinal);
  if (a.path != b.path) rep.Diff(where, "path " + a.path + " -> " + b.path);
  auto opt = [](const std::optional<int>& v) { return v ? std::to_string(*v) : "none"; };
  if (a.http_status != b.http_status) {
    rep.Diff(where, "handshake status " + opt(a.http_status) + " -> " + opt(b.http_status));
  }
  if (a.close_code != b.close_code) {
    rep.Diff(where, "close code " + opt(a.close_code) + " -> " + opt(b.close_code));
  }
  if (a.close_reason != b.close_reason) {
    rep.Diff(where, "close reason " + Quoted(a.close_reason) + " -> " + Quoted(b.close_reason));
  }
  if (a.close_initiator != b.close_initiator) {
    rep.Diff(where, "closed by " + (a.close_initiator.empty() ? "-" : a.close_initiator) + " -> " +
                        (b.close_initiator.empty() ? "-" : b.close_initiator));
  }
}

void DiffConnectionTopics(const DiffConnection& ca, const DiffConnection& cb, Reporter& rep,
                          size_t* compared) {
  const auto& ta = ca.topics;
  const auto& tb = cb.topics;
  std::vector<long> pair_of_a(ta.size(), -1);
  std::vector<bool> used_b(tb.size(), false);
  for (size_t i = 0; i < ta.size(); ++i) {
    for (size_t j = 0; j < tb.size(); ++j) {
      if (!used_b[j] && ta[i].topic == tb[j].topic) {
        pair_of_a[i] = static_cast<long>(j);
        used_b[j] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < ta.size(); ++i) {
    if (pair_of_a[i] >= 0) continue;
    for (size_t j = 0; j < tb.size(); ++j) {
      if (!used_b[j] && Prefix(ta[i].topic) == Prefix(tb[j].topic)) {
        pair_of_a[i] = static_cast<long>(j);
        used_b[j] = true;
        break;
      }
    }
  }
  std::string conn = ConnLabel(ca.info.ordinal) + " ";
  for (size_t i = 0; i < ta.size(); ++i) {
    if (pair_of_a[i] < 0) {
      rep.Diff(conn + ta[i].topic,
               "topic missing in B (" + std::to_string(ta[i].events.size()) + " events in A)");
      *compared += ta[i].events.size();
      continue;
    }
    const DiffTopic& b = tb[static_cast<size_t>(pair_of_a[i])];
    std::string where = conn + ta[i].topic + (b.topic == ta[i].topic ? "" : " ~ " + b.topic);
    DiffTopicEvents(where, ta[i].events, b.events, rep, compared);
  }
  for (size_t j = 0; j < tb.size(); ++j) {
    if (used_b[j]) continue;
    rep.Diff(conn + tb[j].topic,
             "topic added in B (" + std::to_string(tb[j].events.size()) + " events)");
    *compared += tb[j].events.size();
  }
}

}  // namespace

DiffReport DiffSessions(const DiffSession& a, const DiffSession& b) {
  DiffReport r;
  Reporter rep(&r);
  size_t n = std::max(a.connections.size(), b.connections.size());
  for (size_t k = 0; k < n; ++k) {
    if (k >= b.connections.size()) {
      const auto& c = a.connections[k].info;
      rep.Diff(ConnLabel(c.ordinal), "missing in B (" + c.path + ")");
      continue;
    }
    if (k >= a.connections.size()) {
      const auto& c = b.connections[k].info;
      rep.Diff(ConnLabel(c.ordinal), "added in B (" + c.path + ")");
      continue;
    }
    DiffConnectionInfo(a.connections[k].info, b.connections[k].info, rep);
    DiffConnectionTopics(a.connections[k], b.connections[k], rep, &r.events_compared);
  }
  if (!a.http.empty() || !b.http.empty()) {
    size_t before = r.events_compared;
    DiffTopicEvents(kHttpStream, a.http, b.http, rep, &r.events_compared);
    r.exchanges_compared = r.events_compared - before;
    r.events_compared = before;
  }
  return r;
}

DiffReport DiffCassettes(const std::string& path_a, const std::string& path_b,
                         const DiffOptions& options) {
  using cassette::Cassette;
  auto ca = Cassette::Open(path_a, Cassette::Mode::kReadOnly);
  DiffSession a = LoadDiffSession(*ca, options.session_a, options.ignore);
  auto cb = Cassette::Open(path_b, Cassette::Mode::kReadOnly);
  DiffSession b = LoadDiffSession(*cb, options.session_b ? options.session_b : options.session_a,
                                  options.ignore);
  DiffReport r = DiffSessions(a, b);
  std::string summary =
      r.equivalent() ? "equivalent: " : std::to_string(r.differences) + " difference(s); ";
  summary +=
      std::to_string(r.events_compared) + " events" +
      (r.exchanges_compared ? " and " + std::to_string(r.exchanges_compared) + " HTTP exchanges"
                            : std::string()) +
      " compared between session '" + a.session.name + "' (A) and '" + b.session.name +
      "' (B), ignoring refs, heartbeats" +
      (options.ignore.volatile_defaults ? ", ids and timestamps" : "") +
      (options.ignore.pointers.empty()
           ? ""
           : " and " + std::to_string(options.ignore.pointers.size()) + " --ignore field(s)");
  r.lines.push_back(summary);
  return r;
}

}  // namespace wsr::tools
