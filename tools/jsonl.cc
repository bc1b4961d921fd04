#include "tools/jsonl.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "common/error.h"
#include "common/progress.h"
#include "tools/redaction.h"
#include "tools/text_util.h"

namespace wsr::tools {
namespace {
using ojson = nlohmann::ordered_json;
using cassette::Connection;
using cassette::Frame;
using cassette::Session;

ojson HeadersJson(const cassette::Headers& h) {
  ojson a = ojson::array();
  for (const auto& [k, v] : h) a.push_back(ojson::array({k, v}));
  return a;
}

// Bytes as a JSON string: the text when it is valid UTF-8, else base64 with a sibling
// "<name>_encoding": "base64" field (lossless either way).
void PutBytes(ojson& j, const std::string& name, const std::string& bytes) {
  if (IsValidUtf8(bytes)) {
    j[name] = bytes;
  } else {
    j[name] = Base64Encode(bytes);
    j[name + "_encoding"] = "base64";
  }
}

template <typename T>
ojson Opt(const std::optional<T>& v) {
  return v ? ojson(*v) : ojson(nullptr);
}

// Field readers that name the line and the field on error.
struct LineReader {
  const nlohmann::json& j;
  int line;

  [[noreturn]] void Bad(const std::string& what) const {
    throw Error("line " + std::to_string(line) + ": " + what);
  }
  const nlohmann::json& Field(const char* name) const {
    auto it = j.find(name);
    if (it == j.end()) Bad(std::string("missing field '") + name + "'");
    return *it;
  }
  std::string Str(const char* name, bool required = true) const {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
      if (required) Bad(std::string("missing field '") + name + "'");
      return "";
    }
    if (!it->is_string()) Bad(std::string("field '") + name + "' must be a string");
    return it->get<std::string>();
  }
  int64_t Int(const char* name) const {
    const auto& v = Field(name);
    if (!v.is_number_integer()) Bad(std::string("field '") + name + "' must be an integer");
    return v.get<int64_t>();
  }
  std::optional<int64_t> OptInt(const char* name) const {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer())
      Bad(std::string("field '") + name + "' must be an integer or null");
    return it->get<int64_t>();
  }
  // A time in ns within a range a cassette holds (cassette::kStartRange for a session's start,
  // kOffsetRange for offsets and durations).
  int64_t Ns(const char* name, const cassette::TimeRange& range) const {
    return InRange(name, Int(name), range);
  }
  std::optional<int64_t> OptNs(const char* name, const cassette::TimeRange& range) const {
    auto v = OptInt(name);
    if (v) InRange(name, *v, range);
    return v;
  }
  int64_t InRange(const char* name, int64_t v, const cassette::TimeRange& range) const {
    // A JSON number above INT64_MAX (nlohmann keeps it unsigned) reads as negative.
    const bool wrapped = Field(name).is_number_unsigned() && v < 0;
    if (wrapped || !range.Holds(v)) {
      Bad(std::string("field '") + name + "' is outside what a cassette holds (" + range.what +
          ")");
    }
    return v;
  }
  // A field written by PutBytes; nullopt when absent or null.
  std::optional<std::string> Bytes(const std::string& name) const {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) Bad("field '" + name + "' must be a string");
    auto enc = j.find(name + "_encoding");
    if (enc == j.end() || enc->is_null() || *enc == "text") return it->get<std::string>();
    if (*enc != "base64") Bad("field '" + name + "_encoding' must be \"text\" or \"base64\"");
    auto bytes = Base64Decode(it->get<std::string>());
    if (!bytes) Bad("field '" + name + "' is not valid base64");
    return bytes;
  }
  cassette::Headers Headers(const char* name) const {
    cassette::Headers out;
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) Bad(std::string("field '") + name + "' must be [[name, value], ...]");
    for (const auto& e : *it) {
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string()) {
        Bad(std::string("field '") + name + "' must be [[name, value], ...]");
      }
      out.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    }
    return out;
  }
};
std::string SizeText(uint64_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// Reads lines of at most `cap` bytes from a stream, in chunks: a longer line is refused as
// soon as it passes the cap, so it is never held whole.
class CappedLines {
 public:
  CappedLines(std::istream& in, uint64_t cap) : in_(in), cap_(cap) {}
  // The next line without its '\n' (and '\r'); false at the end of the input.
  bool Next(std::string* line, int line_number) {
    line->clear();
    bool any = false;
    for (;;) {
      if (pos_ == len_) {
        in_.read(buf_, sizeof buf_);
        len_ = static_cast<size_t>(in_.gcount());
        pos_ = 0;
        if (len_ == 0) {
          if (in_.bad()) throw Error("reading line " + std::to_string(line_number) + " failed");
          break;
        }
      }
      any = true;
      const char* start = buf_ + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
      size_t n = nl ? static_cast<size_t>(nl - start) : len_ - pos_;
      if (line->size() + n > cap_) {
        throw Error("line " + std::to_string(line_number) + " is longer than " + SizeText(cap_) +
                    ", the longest line import reads (2 x --max-message-size + 1 MiB)");
      }
      if (line->capacity() < line->size() + n) {
        // Grow by doubling, but never past the cap (std::string alone may overshoot it 2x).
        uint64_t want = std::max<uint64_t>(line->size() + n, 2 * line->capacity());
        line->reserve(static_cast<size_t>(std::min<uint64_t>(want, cap_)));
      }
      line->append(start, n);
      pos_ += n;
      consumed_ += n;
      if (nl) {
        ++pos_;
        ++consumed_;
        break;
      }
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return any;
  }
  uint64_t consumed() const { return consumed_; }

 private:
  std::istream& in_;
  uint64_t cap_;
  char buf_[1 << 16];
  size_t pos_ = 0, len_ = 0;
  uint64_t consumed_ = 0;
};

// Parses one line, refusing more than `max_values` JSON values (a DOM costs up to ~100 bytes
// per value, so a short line of "[0,0,0,..." could otherwise take many times its size).
nlohmann::json ParseLine(const std::string& text, int line, uint64_t max_values) {
  uint64_t values = 0;
  auto count = [&](int, nlohmann::json::parse_event_t event, nlohmann::json&) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::value || event == E::object_start || event == E::array_start) {
      if (++values > max_values) {
        throw Error("line " + std::to_string(line) + " has more than " +
                    std::to_string(max_values) + " JSON values");
      }
    }
    return true;
  };
  return nlohmann::json::parse(text, count, /*allow_exceptions=*/false);
}

[[noreturn]] void TooBig(int line, uint64_t size, uint64_t max,
                         const char* what = "the frame's payload") {
  throw Error("line " + std::to_string(line) + ": " + what + " is " + std::to_string(size) +
              " bytes, more than --max-message-size (" + std::to_string(max) + " bytes)");
}

}  // namespace

ojson SessionToJson(const Session& s) {
  ojson j;
  j["type"] = "session";
  j["name"] = s.name;
  j["started_at_ns"] = s.started_at_ns;
  j["duration_ns"] = Opt(s.duration_ns);
  j["upstream"] = s.upstream;
  j["source"] = s.source;
  j["tool_version"] = s.tool_version;
  return j;
}

ojson ConnectionToJson(const Connection& c, const std::string& session) {
  ojson j;
  j["type"] = "connection";
  j["session"] = session;
  j["ordinal"] = c.ordinal;
  j["path"] = c.path;
  j["query"] = c.query;
  j["request_headers"] = HeadersJson(c.request_headers);
  j["upstream_url"] = c.upstream_url;
  j["http_status"] = Opt(c.http_status);
  j["response_headers"] = HeadersJson(c.response_headers);
  j["subprotocol"] = c.subprotocol;
  j["error"] = c.error;
  j["opened_ns"] = c.opened_ns;
  j["closed_ns"] = Opt(c.closed_ns);
  j["close_code"] = Opt(c.close_code);
  j["close_reason"] = c.close_reason;
  j["close_initiator"] = c.close_initiator;
  // Schema version 3 fields, written when set (older exports stay as they were).
  if (!c.request_head.empty()) PutBytes(j, "request_head", c.request_head);
  if (!c.response_head.empty()) PutBytes(j, "response_head", c.response_head);
  if (c.response_body) PutBytes(j, "response_body", *c.response_body);
  if (!c.extensions.empty()) j["extensions"] = c.extensions;
  return j;
}

ojson FrameToJson(const Frame& f, const std::string& session, int ordinal) {
  ojson j;
  j["type"] = "frame";
  j["session"] = session;
  j["connection"] = ordinal;
  j["seq"] = f.seq;
  j["offset_ns"] = f.offset_ns;
  j["direction"] = cassette::DirectionName(f.direction);
  j["opcode"] = f.opcode;
  j["size"] = f.payload.size();
  if (f.is_text() && IsValidUtf8(f.payload)) {
    j["encoding"] = "text";
    j["payload"] = f.payload;
  } else {
    j["encoding"] = "base64";
    j["payload"] = Base64Encode(f.payload);
  }
  if (f.fragments.size() > 1) j["fragments"] = f.fragments;
  if (f.topic) j["topic"] = *f.topic;
  if (f.event) j["event"] = *f.event;
  if (f.join_ref) j["join_ref"] = *f.join_ref;
  if (f.ref) j["ref"] = *f.ref;
  if (f.flags) j["flags"] = f.flags;
  if (!f.note.empty()) j["note"] = f.note;
  return j;
}

ojson ExchangeToJson(const cassette::Exchange& e, const std::string& session) {
  ojson j;
  j["type"] = "exchange";
  j["session"] = session;
  j["ordinal"] = e.ordinal;
  j["http_connection"] = e.http_connection;
  j["method"] = e.method;
  j["path"] = e.path;
  j["query"] = e.query;
  j["request_headers"] = HeadersJson(e.request_headers);
  PutBytes(j, "request_body", e.request_body);
  j["status"] = Opt(e.status);
  j["response_headers"] = HeadersJson(e.response_headers);
  PutBytes(j, "response_body", e.response_body);
  j["initiator"] = e.initiator;
  j["error"] = e.error;
  j["request_ns"] = e.request_ns;
  j["response_ns"] = Opt(e.response_ns);
  j["flags"] = e.flags;
  return j;
}

std::string DumpLine(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ExportJsonl(cassette::Cassette& c, const std::optional<std::string>& session,
                 std::ostream& out, Progress* progress) {
  std::vector<Session> sessions;
  if (session)
    sessions.push_back(c.ResolveSession(session));
  else
    sessions = c.Sessions();
  ojson header;
  header["type"] = "header";
  header["format"] = kJsonlFormat;
  header["version"] = kJsonlVersion;
  out << DumpLine(header) << '\n';
  if (progress && progress->enabled()) {
    int64_t total = 0;
    for (const auto& s : sessions) {
      cassette::FrameFilter filter;
      filter.session_id = s.id;
      filter.include_control = true;
      total += c.CountFrames(filter);
    }
    progress->SetTotal(total);
  }
  int64_t done = 0;
  for (const auto& s : sessions) {
    out << DumpLine(SessionToJson(s)) << '\n';
    std::map<int64_t, int> ordinals;
    for (const auto& conn : c.Connections(s.id)) {
      ordinals[conn.id] = conn.ordinal;
      out << DumpLine(ConnectionToJson(conn, s.name)) << '\n';
    }
    cassette::FrameFilter filter;
    filter.session_id = s.id;
    filter.include_control = true;
    auto cursor = c.Frames(filter);
    Frame f;
    while (cursor.Next(&f)) {
      out << DumpLine(FrameToJson(f, s.name, ordinals[f.connection_id])) << '\n';
      ProgressUpdate(progress, ++done);
    }
    for (const auto& e : c.Exchanges(s.id)) out << DumpLine(ExchangeToJson(e, s.name)) << '\n';
  }
  out.flush();
  if (!out) throw Error("writing the export failed (disk full or closed pipe?)");
}

ImportCounts ImportJsonl(std::istream& in, cassette::Cassette& out, const Redactor& redactor,
                         const std::optional<std::string>& rename, const ImportLimits& limits) {
  ImportCounts counts;
  std::string text;
  int line = 0;
  CappedLines lines(in, limits.LineCap());
  bool saw_header = false;
  std::map<std::string, int64_t> session_ids;               // name in file -> id
  std::map<std::pair<std::string, int>, int64_t> conn_ids;  // (session, ordinal) -> id
  while (lines.Next(&text, line + 1)) {
    ++line;
    ProgressUpdate(limits.progress, static_cast<int64_t>(lines.consumed()));
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    auto j = ParseLine(text, line, limits.max_line_values);
    if (j.is_discarded() || !j.is_object()) {
      throw Error("line " + std::to_string(line) + " is not a JSON object");
    }
    LineReader r{j, line};
    std::string type = r.Str("type");
    if (!saw_header) {
      if (type != "header" || r.Str("format", false) != kJsonlFormat) {
        throw Error(
            "line 1 is not a wsreplay-jsonl header (expected {\"type\":\"header\",\"format\":\"" +
            std::string(kJsonlFormat) + "\",...}); export with `wsreplay export --format jsonl`");
      }
      if (r.Int("version") > kJsonlVersion) {
        throw Error("this JSON Lines file has format version " + std::to_string(r.Int("version")) +
                    ", newer than this wsreplay understands; upgrade wsreplay");
      }
      saw_header = true;
      continue;
    }
    if (type == "session") {
      Session s;
      std::string file_name = r.Str("name");
      s.name = file_name;
      if (rename) {
        if (counts.sessions > 0) {
          r.Bad(
              "the file holds several sessions; --session can only rename a file with one session");
        }
        s.name = *rename;
      }
      s.started_at_ns = r.Ns("started_at_ns", cassette::kStartRange);
      s.duration_ns = r.OptNs("duration_ns", cassette::kOffsetRange);
      s.upstream = r.Str("upstream", false);
      s.source = r.Str("source", false);
      if (s.source.empty()) s.source = "import-jsonl";
      s.tool_version = r.Str("tool_version", false);
      RedactSessionRow(redactor, &s);
      if (session_ids.count(file_name)) r.Bad("session '" + file_name + "' appears twice");
      session_ids[file_name] = out.InsertSession(s);
      counts.sessions++;
      counts.session_names.push_back(s.name);
    } else if (type == "connection") {
      std::string session = r.Str("session");
      auto it = session_ids.find(session);
      if (it == session_ids.end())
        r.Bad("connection of unknown session '" + session + "' (its session line must come first)");
      Connection c;
      c.session_id = it->second;
      c.ordinal = static_cast<int>(r.Int("ordinal"));
      c.path = r.Str("path");
      c.query = r.Str("query", false);
      c.request_headers = r.Headers("request_headers");
      c.upstream_url = r.Str("upstream_url", false);
      if (auto v = r.OptInt("http_status")) c.http_status = static_cast<int>(*v);
      c.response_headers = r.Headers("response_headers");
      c.subprotocol = r.Str("subprotocol", false);
      c.error = r.Str("error", false);
      c.opened_ns = r.Ns("opened_ns", cassette::kOffsetRange);
      c.closed_ns = r.OptNs("closed_ns", cassette::kOffsetRange);
      if (auto v = r.OptInt("close_code")) c.close_code = static_cast<int>(*v);
      c.close_reason = r.Str("close_reason", false);
      c.close_initiator = r.Str("close_initiator", false);
      c.request_head = r.Bytes("request_head").value_or("");
      c.response_head = r.Bytes("response_head").value_or("");
      c.response_body = r.Bytes("response_body");
      c.extensions = r.Str("extensions", false);
      RedactConnectionRow(redactor, &c);
      auto key = std::make_pair(session, c.ordinal);
      if (conn_ids.count(key)) r.Bad("connection " + std::to_string(c.ordinal) + " appears twice");
      conn_ids[key] = out.InsertConnection(c);
      counts.connections++;
    } else if (type == "frame") {
      std::string session = r.Str("session");
      int ordinal = static_cast<int>(r.Int("connection"));
      auto it = conn_ids.find({session, ordinal});
      if (it == conn_ids.end()) {
        r.Bad("frame of unknown connection " + std::to_string(ordinal) + " of session '" + session +
              "' (its connection line must come first)");
      }
      Frame f;
      f.connection_id = it->second;
      f.seq = r.Int("seq");
      f.offset_ns = r.Ns("offset_ns", cassette::kOffsetRange);
      std::string dir = r.Str("direction");
      if (dir == "c2s")
        f.direction = cassette::Direction::kClientToServer;
      else if (dir == "s2c")
        f.direction = cassette::Direction::kServerToClient;
      else
        r.Bad("direction must be \"c2s\" or \"s2c\"");
      f.opcode = static_cast<int>(r.Int("opcode"));
      if (auto v = r.OptInt("flags")) f.flags = static_cast<int>(*v);
      f.note = r.Str("note", false);
      bool known = f.opcode == 1 || f.opcode == 2 || (f.opcode >= 8 && f.opcode <= 10);
      if (!known && !(f.flags & cassette::kFrameViolation)) {
        r.Bad("opcode must be 1 (text), 2 (binary), 8 (close), 9 (ping) or 10 (pong)");
      }
      std::string encoding = r.Str("encoding", false);
      const nlohmann::json& payload_json = r.Field("payload");
      if (!payload_json.is_string()) r.Bad("field 'payload' must be a string");
      // Checked on the parsed value, before any copy of it is made.
      const std::string& payload = payload_json.get_ref<const std::string&>();
      const uint64_t max = limits.max_message_size;
      if (encoding == "base64") {
        // Refused before decoding: 4 base64 characters carry at most 3 bytes.
        if (payload.size() / 4 * 3 > max + 2) TooBig(line, payload.size() / 4 * 3, max);
        auto bytes = Base64Decode(payload);
        if (!bytes) r.Bad("payload is not valid base64");
        if (bytes->size() > max) TooBig(line, bytes->size(), max);
        f.payload = std::move(*bytes);
      } else if (encoding == "text" || encoding.empty()) {
        if (payload.size() > max) TooBig(line, payload.size(), max);
        f.payload = payload;
      } else {
        r.Bad("encoding must be \"text\" or \"base64\"");
      }
      if (auto fr = j.find("fragments"); fr != j.end() && !fr->is_null()) {
        if (!fr->is_array()) r.Bad("fragments must be an array of sizes");
        for (const auto& n : *fr) {
          if (!n.is_number_unsigned()) r.Bad("fragments must be an array of sizes");
          f.fragments.push_back(n.get<uint32_t>());
        }
      }
      f.FillPhoenixColumns();
      RedactFrameRow(redactor, &f);
      out.InsertFrame(f);
      counts.frames++;
    } else if (type == "exchange") {
      std::string session = r.Str("session");
      auto it = session_ids.find(session);
      if (it == session_ids.end())
        r.Bad("exchange of unknown session '" + session + "' (its session line must come first)");
      cassette::Exchange e;
      e.session_id = it->second;
      e.ordinal = static_cast<int>(r.Int("ordinal"));
      if (auto v = r.OptInt("http_connection")) e.http_connection = static_cast<int>(*v);
      e.method = r.Str("method");
      e.path = r.Str("path");
      e.query = r.Str("query", false);
      e.request_headers = r.Headers("request_headers");
      e.request_body = r.Bytes("request_body").value_or("");
      if (auto v = r.OptInt("status")) e.status = static_cast<int>(*v);
      e.response_headers = r.Headers("response_headers");
      e.response_body = r.Bytes("response_body").value_or("");
      e.initiator = r.Str("initiator", false);
      e.error = r.Str("error", false);
      e.request_ns = r.Ns("request_ns", cassette::kOffsetRange);
      e.response_ns = r.OptNs("response_ns", cassette::kOffsetRange);
      if (auto v = r.OptInt("flags")) e.flags = static_cast<int>(*v);
      const uint64_t max = limits.max_message_size;
      if (e.request_body.size() > max) TooBig(line, e.request_body.size(), max, "the request body");
      if (e.response_body.size() > max) {
        TooBig(line, e.response_body.size(), max, "the response body");
      }
      RedactExchangeRow(redactor, &e);
      out.InsertExchange(e);
      counts.exchanges++;
    } else {
      r.Bad("unknown line type '" + type + "' (expected session, connection, frame or exchange)");
    }
  }
  if (!saw_header) throw Error("the file is empty, not a wsreplay JSON Lines export");
  return counts;
}

}  // namespace wsr::tools
