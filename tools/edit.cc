#include "tools/edit.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <memory>

#include "cassettes/cassette.h"
#include "common/error.h"
#include "phoenix/frame.h"
#include "tools/atomic_output.h"
#include "tools/redaction.h"

namespace wsr::tools {
namespace {
using cassette::Cassette;
using cassette::Connection;
using cassette::Frame;
using cassette::Session;

bool Exists(const std::string& path) { return PathExists(path); }

std::string RealPath(const std::string& path) {
  char* r = ::realpath(path.c_str(), nullptr);
  if (!r) return path;
  std::string out = r;
  std::free(r);
  return out;
}

// The read-only check before a write: the tables a write command touches exist (Open has
// checked the application id and the schema version).
void CheckTables(Cassette& c) {
  auto missing = c.MissingTables();
  if (!missing.empty()) {
    throw Error("cassette '" + c.path() + "' has no " + missing.front() +
                " table (damaged, or not written by wsreplay); nothing was changed");
  }
}

// Opens `path` read-only and checks it (see CheckTables).
std::unique_ptr<Cassette> OpenChecked(const std::string& path) {
  auto c = Cassette::Open(path, Cassette::Mode::kReadOnly);
  CheckTables(*c);
  return c;
}

// Opens an existing cassette for an in-place edit, after the caller's read-only checks.
std::unique_ptr<Cassette> OpenForEdit(const std::string& path) {
  return Cassette::Open(path, Cassette::Mode::kEdit);
}

// Runs `body` in one transaction on `c`, then seals the file (a single file, journal mode
// DELETE). On failure the transaction is rolled back, which leaves the file as it was.
template <typename Body>
void EditInTransaction(Cassette& c, Body body) {
  c.Begin();
  try {
    body();
    c.Commit();
  } catch (...) {
    c.Rollback();
    throw;
  }
  c.Seal();
}

// Copies every session of `in` into `out` (inside the caller's transaction).
void CopySessions(Cassette& in, Cassette& out, MergeSummary* sum, Progress* progress) {
  for (const auto& s : in.Sessions()) {
    int64_t sid = out.InsertSession(s);
    std::map<int64_t, int64_t> conn_ids;
    for (auto c : in.Connections(s.id)) {
      int64_t old = c.id;
      c.session_id = sid;
      conn_ids[old] = out.InsertConnection(c);
    }
    cassette::FrameFilter filter;
    filter.session_id = s.id;
    filter.include_control = true;  // merged sessions keep every frame
    auto cursor = in.Frames(filter);
    Frame f;
    while (cursor.Next(&f)) {
      f.connection_id = conn_ids[f.connection_id];
      out.InsertFrame(f);
      ProgressUpdate(progress, ++sum->frames);
    }
    for (auto e : in.Exchanges(s.id)) {
      e.session_id = sid;
      out.InsertExchange(e);
      ++sum->exchanges;
    }
    sum->sessions.push_back(s.name);
  }
}

// Runs a WAL checkpoint(TRUNCATE); throws when a reader or writer keeps it from completing.
void CheckpointTruncate(Cassette& c) {
  if (!c.CheckpointTruncate()) {
    throw Error("cassette '" + c.path() +
                "' is in use by another process (recording or reading), so its -wal file still "
                "holds old bytes; stop that process and run `wsreplay redact` again");
  }
}

}  // namespace

RedactSummary RedactCassette(const std::string& path, const RedactionRules& rules,
                             Progress* progress) {
  Redactor redactor(rules);
  {
    // Read-only first: a file that is not a cassette is refused before anything is written.
    auto check = OpenChecked(path);
    check->Sessions();
    if (redactor.has_json_rules()) {
      cassette::FrameFilter all;
      all.include_control = true;
      ProgressTotal(progress, check->CountFrames(all));
    }
  }
  auto c = OpenForEdit(path);
  c->SetSecureDelete(true);
  RedactSummary sum;
  c->Begin();
  try {
    for (auto s : c->Sessions()) {
      if (RedactSessionRow(redactor, &s)) {
        c->UpdateSessionUpstream(s.id, s.upstream);
        ++sum.sessions;
      }
      for (auto conn : c->Connections(s.id)) {
        if (RedactConnectionRow(redactor, &conn)) {
          c->UpdateConnection(conn);
          ++sum.connections;
        }
      }
      for (auto e : c->Exchanges(s.id)) {
        if (RedactExchangeRow(redactor, &e)) {
          c->UpdateExchange(e);
          ++sum.exchanges;
        }
      }
    }
    if (redactor.has_json_rules()) {
      std::vector<Frame> changed;
      {
        cassette::FrameFilter all;
        all.include_control = true;
        auto cursor = c->Frames(all);
        Frame f;
        int64_t done = 0;
        while (cursor.Next(&f)) {
          if (RedactFrameRow(redactor, &f)) changed.push_back(f);
          ProgressUpdate(progress, ++done);
        }
      }
      for (const auto& f : changed) c->UpdateFramePayload(f);
      sum.frames = static_cast<int64_t>(changed.size());
    }
    c->Commit();
  } catch (...) {
    c->Rollback();
    throw;
  }
  // Scrub: empty the WAL, rebuild the file without free pages, empty the WAL again, and
  // leave a single file (journal_mode=DELETE removes -wal and -shm).
  CheckpointTruncate(*c);
  c->Vacuum();
  CheckpointTruncate(*c);
  c->Seal();
  return sum;
}

CutSummary CutCassette(const std::string& in_path, const std::string& out_path, const CutOptions& o,
                       Progress* progress) {
  if (Exists(out_path)) {
    throw Error("'" + out_path +
                "' already exists; `cut` writes a new cassette (remove it or pick another --out)");
  }
  int64_t from = o.from_ns.value_or(0);
  int64_t to = o.to_ns.value_or(INT64_MAX);
  if (from < 0 || to < from) throw Error("--to must not be before --from");
  auto in = Cassette::Open(in_path, Cassette::Mode::kReadOnly);
  Session s = in->ResolveSession(o.session);
  auto conns = in->Connections(s.id);
  auto topic_kept = [&o](const std::optional<std::string>& topic) {
    if (!topic) return o.topics.empty();
    if (*topic == phoenix::kPhoenixTopic) return true;  // heartbeats inside the window
    return o.topics.empty() || o.topics.count(*topic) > 0;
  };

  // Per connection: kept frames, and the join (+ reply) in force per topic before `from`.
  std::map<int64_t, std::vector<Frame>> kept;
  std::map<int64_t, std::map<std::string, std::vector<Frame>>> joined;
  int64_t last_offset = 0;
  {
    cassette::FrameFilter filter;
    filter.session_id = s.id;
    filter.include_control = true;  // a slice keeps the closes and pings inside the window
    ProgressTotal(progress, in->CountFrames(filter));
    auto cursor = in->Frames(filter);
    Frame f;
    int64_t scanned = 0;
    while (cursor.Next(&f)) {
      ProgressUpdate(progress, ++scanned);
      if (f.offset_ns > to) break;
      last_offset = f.offset_ns;
      if (f.offset_ns >= from) {
        if (topic_kept(f.topic)) kept[f.connection_id].push_back(f);
        continue;
      }
      if (!f.topic || !f.event) continue;
      auto& topics = joined[f.connection_id];
      bool c2s = f.direction == cassette::Direction::kClientToServer;
      if (c2s && *f.event == phoenix::kJoin) {
        topics[*f.topic] = {f};
      } else if (!c2s && *f.event == phoenix::kReply) {
        auto it = topics.find(*f.topic);
        if (it != topics.end() && it->second.size() == 1 && it->second[0].ref == f.ref) {
          it->second.push_back(f);
        }
      } else if ((c2s && *f.event == phoenix::kLeave) || (!c2s && *f.event == phoenix::kClose)) {
        topics.erase(*f.topic);
      }
    }
  }
  CutSummary sum;
  sum.session = s.name;
  for (auto& [conn_id, topics] : joined) {
    for (auto& [topic, frames] : topics) {
      if (!o.topics.empty() && !o.topics.count(topic)) continue;
      auto& list = kept[conn_id];
      list.insert(list.end(), frames.begin(), frames.end());
      sum.carried_joins++;
    }
  }

  std::vector<cassette::Exchange> exchanges;
  for (auto& e : in->Exchanges(s.id)) {
    if (e.request_ns < from || e.request_ns > to) continue;
    if (to == INT64_MAX) last_offset = std::max(last_offset, e.response_ns.value_or(e.request_ns));
    exchanges.push_back(std::move(e));
  }
  int64_t end = s.duration_ns ? std::min(*s.duration_ns, to) : (to == INT64_MAX ? last_offset : to);
  TempOutput tmp(out_path);
  auto out = Cassette::Open(tmp.path(), Cassette::Mode::kEditCreate);
  {
    out->Begin();
    Session ns = s;
    ns.started_at_ns = s.started_at_ns + from;
    ns.duration_ns = std::max<int64_t>(0, end - from);
    ns.source = "cut";
    int64_t sid = out->InsertSession(ns);
    int ordinal = 0;
    for (const auto& c : conns) {
      auto it = kept.find(c.id);
      bool overlaps = c.opened_ns <= to && (!c.closed_ns || *c.closed_ns >= from);
      if (it == kept.end() && !overlaps) continue;
      Connection nc = c;
      nc.session_id = sid;
      nc.ordinal = ++ordinal;
      nc.opened_ns = std::max<int64_t>(0, c.opened_ns - from);
      if (c.closed_ns && *c.closed_ns <= to) {
        nc.closed_ns = std::max<int64_t>(0, *c.closed_ns - from);
      } else {  // still open at the end of the slice
        nc.closed_ns.reset();
        nc.close_code.reset();
        nc.close_reason.clear();
        nc.close_initiator.clear();
      }
      int64_t cid = out->InsertConnection(nc);
      ++sum.connections;
      if (it == kept.end()) continue;
      auto& frames = it->second;
      std::sort(frames.begin(), frames.end(),
                [](const Frame& a, const Frame& b) { return a.seq < b.seq; });
      int64_t seq = 0;
      for (auto f : frames) {
        f.connection_id = cid;
        f.seq = seq++;
        f.offset_ns = std::max<int64_t>(0, f.offset_ns - from);
        out->InsertFrame(f);
        ++sum.frames;
      }
    }
    // The exchanges whose request started inside the window, on the slice's clock.
    for (auto e : exchanges) {
      e.session_id = sid;
      e.ordinal = static_cast<int>(++sum.exchanges);
      e.request_ns -= from;
      if (e.response_ns) *e.response_ns = std::max<int64_t>(0, *e.response_ns - from);
      out->InsertExchange(e);
    }
    out->Commit();
    out->Seal();
  }
  out.reset();  // closed before it is renamed into place; a failure above removes it (~tmp)
  tmp.Commit(/*replace=*/false);
  return sum;
}

MergeSummary MergeCassettes(const std::string& out_path, const std::vector<std::string>& inputs,
                            Progress* progress) {
  if (inputs.empty()) throw Error("merge needs at least one input cassette");
  std::string out_real = RealPath(out_path);
  std::vector<std::unique_ptr<Cassette>> ins;
  std::map<std::string, std::string> names;  // session name -> where it comes from
  bool out_existed = Exists(out_path);
  if (out_existed) {
    auto existing = OpenChecked(out_path);
    for (const auto& s : existing->Sessions()) names[s.name] = out_path;
  }
  int64_t total = 0;
  for (const auto& path : inputs) {
    if (RealPath(path) == out_real) throw Error("input '" + path + "' is the output cassette");
    ins.push_back(OpenChecked(path));
    for (const auto& s : ins.back()->Sessions()) {
      auto [it, fresh] = names.emplace(s.name, path);
      if (!fresh) {
        throw Error(
            "session '" + s.name + "' of '" + path + "' clashes with the one in '" + it->second +
            "'; rename one with `wsreplay sessions CASSETTE rename OLD NEW` and merge again");
      }
    }
    cassette::FrameFilter all;
    all.include_control = true;
    total += ins.back()->CountFrames(all);
  }
  ProgressTotal(progress, total);
  MergeSummary sum;
  if (out_existed) {
    auto out = OpenForEdit(out_path);
    EditInTransaction(*out, [&] {
      for (auto& in : ins) CopySessions(*in, *out, &sum, progress);
    });
    return sum;
  }
  TempOutput tmp(out_path);
  {
    auto out = Cassette::Open(tmp.path(), Cassette::Mode::kEditCreate);
    EditInTransaction(*out, [&] {
      for (auto& in : ins) CopySessions(*in, *out, &sum, progress);
    });
  }
  tmp.Commit(/*replace=*/false);
  return sum;
}

void RenameSession(const std::string& path, const std::string& old_name,
                   const std::string& new_name) {
  if (new_name.empty()) throw Error("the new session name must not be empty");
  {
    auto check = OpenChecked(path);
    check->ResolveSession(old_name);  // throws, listing the sessions, when it is missing
    if (new_name != old_name && check->FindSession(new_name)) {
      throw Error("cassette '" + path + "' already has a session named '" + new_name + "'");
    }
  }
  auto c = OpenForEdit(path);
  Session s = c->ResolveSession(old_name);
  EditInTransaction(*c, [&] { c->RenameSession(s.id, new_name); });
}

void RemoveSession(const std::string& path, const std::string& name) {
  OpenChecked(path)->ResolveSession(name);
  auto c = OpenForEdit(path);
  Session s = c->ResolveSession(name);
  EditInTransaction(*c, [&] { c->DeleteSession(s.id); });
}

}  // namespace wsr::tools
