#include "tools/jsonl.h"

#include <map>

#include "common/error.h"
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

std::string DumpLine(const ojson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ExportJsonl(cassette::Cassette& c, const std::optional<std::string>& session,
                 std::ostream& out) {
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
    while (cursor.Next(&f))
      out << DumpLine(FrameToJson(f, s.name, ordinals[f.connection_id])) << '\n';
  }
  out.flush();
  if (!out) throw Error("writing the export failed (disk full or closed pipe?)");
}

ImportCounts ImportJsonl(std::istream& in, cassette::Cassette& out, const Redactor& redactor,
                         const std::optional<std::string>& rename) {
  ImportCounts counts;
  std::string text;
  int line = 0;
  bool saw_header = false;
  std::map<std::string, int64_t> session_ids;               // name in file -> id
  std::map<std::pair<std::string, int>, int64_t> conn_ids;  // (session, ordinal) -> id
  while (std::getline(in, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.find_first_not_of(" \t") == std::string::npos) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
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
      s.started_at_ns = r.Int("started_at_ns");
      s.duration_ns = r.OptInt("duration_ns");
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
      c.opened_ns = r.Int("opened_ns");
      c.closed_ns = r.OptInt("closed_ns");
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
      f.offset_ns = r.Int("offset_ns");
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
      std::string payload = r.Str("payload");
      if (encoding == "base64") {
        auto bytes = Base64Decode(payload);
        if (!bytes) r.Bad("payload is not valid base64");
        f.payload = std::move(*bytes);
      } else if (encoding == "text" || encoding.empty()) {
        f.payload = std::move(payload);
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
    } else {
      r.Bad("unknown line type '" + type + "' (expected session, connection or frame)");
    }
  }
  if (!saw_header) throw Error("the file is empty, not a wsreplay JSON Lines export");
  return counts;
}

}  // namespace wsr::tools
