#include "tools/har.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "common/error.h"
#include "common/progress.h"
#include "tools/control_frame.h"
#include "tools/har_exchange.h"
#include "tools/har_message.h"
#include "tools/har_util.h"
#include "tools/head_text.h"
#include "tools/redaction.h"
#include "tools/text_util.h"

namespace wsr::tools {
namespace {
using ojson = nlohmann::ordered_json;
using cassette::Connection;
using cassette::Direction;
using cassette::Frame;
using cassette::Session;
using nlohmann::json;

// The URL the client asked for: the recorded upstream URL, else upstream base + path + query.
std::string RequestUrl(const Session& s, const Connection& c) {
  if (!c.upstream_url.empty()) return c.upstream_url;
  std::string base = s.upstream;
  if (base.empty()) {
    std::string host = HeaderValue(c.request_headers, "host");
    base = "ws://" + (host.empty() ? std::string("localhost") : host);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + c.path + (c.query.empty() ? "" : "?" + c.query);
}

// The headers as relayed (every one, in order, case kept) when the head was recorded (schema
// 3), else the header list of older cassettes.
cassette::Headers HeadHeaders(const std::string& head, const cassette::Headers& fallback) {
  return head.empty() ? fallback : SplitHead(head).headers;
}

// response.content: a refused upgrade's body as text, or base64 with "encoding" when it is
// not UTF-8 (HAR 1.2 section 4.16); empty otherwise.
ojson ResponseContent(const Connection& conn, const cassette::Headers& response_headers) {
  if (!conn.response_body) return {{"size", 0}, {"mimeType", "x-unknown"}};
  return HarContent(*conn.response_body, response_headers);
}
}  // namespace

void ExportHar(cassette::Cassette& c, const Session& s, const std::string& tool_version,
               std::ostream& out, Progress* progress) {
  // Entries by start time: a WebSocket entry per connection, an HTTP entry per exchange.
  std::vector<std::pair<int64_t, ojson>> entries;
  if (progress && progress->enabled()) {
    cassette::FrameFilter all;
    all.session_id = s.id;
    all.include_control = true;
    progress->SetTotal(c.CountFrames(all));
  }
  int64_t done = 0;
  for (const auto& conn : c.Connections(s.id)) {
    int64_t start_ns = s.started_at_ns + conn.opened_ns;
    ojson messages = ojson::array();
    cassette::FrameFilter filter;
    filter.connection_id = conn.id;
    filter.include_control = true;
    auto cursor = c.Frames(filter);
    Frame f;
    int64_t last_ns = conn.opened_ns;
    while (cursor.Next(&f)) {
      messages.push_back(HarMessageFromFrame(f, s.started_at_ns + f.offset_ns));
      ProgressUpdate(progress, ++done);
      last_ns = std::max(last_ns, f.offset_ns);
    }
    int64_t end_ns = conn.closed_ns ? std::max(*conn.closed_ns, last_ns) : last_ns;
    int status = conn.http_status.value_or(0);
    std::string url = RequestUrl(s, conn);
    std::string query;
    if (auto q = url.find('?'); q != std::string::npos) query = url.substr(q + 1);
    cassette::Headers request_headers = HeadHeaders(conn.request_head, conn.request_headers);
    cassette::Headers response_headers = HeadHeaders(conn.response_head, conn.response_headers);
    std::string status_text = conn.response_head.empty()
                                  ? StatusText(status)
                                  : StatusReason(SplitHead(conn.response_head).start_line);
    ojson content = ResponseContent(conn, response_headers);
    int64_t body_size = conn.response_body ? static_cast<int64_t>(conn.response_body->size()) : -1;

    ojson e;
    e["startedDateTime"] = FormatIso8601(start_ns, 3);
    e["time"] = static_cast<double>(end_ns - conn.opened_ns) / 1e6;
    e["request"] = {{"method", "GET"},
                    {"url", url},
                    {"httpVersion", "HTTP/1.1"},
                    {"cookies", ojson::array()},
                    {"headers", HarHeaders(request_headers)},
                    {"queryString", HarQueryString(query)},
                    {"headersSize", -1},
                    {"bodySize", 0}};
    ojson response = {{"status", status},
                      {"statusText", status_text},
                      {"httpVersion", "HTTP/1.1"},
                      {"cookies", ojson::array()},
                      {"headers", HarHeaders(response_headers)},
                      {"content", std::move(content)},
                      {"redirectURL", ""},
                      {"headersSize", -1},
                      {"bodySize", body_size}};
    if (!conn.error.empty()) response["_error"] = conn.error;
    e["response"] = std::move(response);
    e["cache"] = ojson::object();
    e["timings"] = {{"blocked", -1}, {"dns", -1}, {"connect", -1}, {"ssl", -1},
                    {"send", 0},     {"wait", 0}, {"receive", 0}};
    e["_resourceType"] = "websocket";
    e["_webSocketMessages"] = std::move(messages);
    if (conn.close_code) {
      // Not part of Chrome's format; other viewers ignore underscore fields.
      e["_webSocketClose"] = {{"code", *conn.close_code},
                              {"reason", conn.close_reason},
                              {"initiator", conn.close_initiator}};
    }
    entries.emplace_back(conn.opened_ns, std::move(e));
  }
  for (const auto& x : c.Exchanges(s.id)) {
    entries.emplace_back(x.request_ns, HarEntryFromExchange(s, x));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  ojson sorted = ojson::array();
  for (auto& [at, e] : entries) sorted.push_back(std::move(e));
  ojson har;
  har["log"] = {{"version", "1.2"},
                {"creator", {{"name", "wsreplay"}, {"version", tool_version}}},
                {"pages", ojson::array()},
                {"entries", std::move(sorted)},
                {"comment", "wsreplay session '" + s.name + "'"}};
  out << har.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  out.flush();
  if (!out) throw Error("writing the HAR failed (disk full or closed pipe?)");
}

bool LooksLikeHar(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_object() && j.contains("log") && j["log"].is_object() && j["log"].contains("entries");
}

namespace {

// A message as kept until it is inserted: what the cassette needs, without a whole Frame (a
// HAR may hold hundreds of thousands).
struct Message {
  std::string payload, note;
  double time = 0;  // epoch seconds
  Direction direction = Direction::kClientToServer;
  int opcode = 1, flags = 0;
};

struct WsEntry {
  size_t index = 0;
  std::string url;
  std::optional<int64_t> started_ns;
  double time_ms = 0;
  cassette::Headers request_headers, response_headers;
  int status = 0;
  std::string error;
  std::optional<std::string> response_body;  // response.content.text of a refusal
  std::optional<int> close_code;
  std::string close_reason, close_initiator;
  std::vector<Message> messages;
};

const Message* FirstCloseWithCode(const std::vector<Message>& messages) {
  for (const auto& m : messages) {
    if (m.opcode == 8 && ParseClosePayload(m.payload).code) return &m;
  }
  return nullptr;
}

bool IsWsUrl(const std::string& url) {
  return url.rfind("ws://", 0) == 0 || url.rfind("wss://", 0) == 0;
}

// Parses a HAR with bounded memory: each `log.entries[i]._webSocketMessages[k]` becomes a
// Message as soon as it is parsed and is dropped from the document, so the document holds only
// the entries' metadata; values outside messages (limits.max_har_values) and messages
// (limits.max_har_messages) are counted, and a message's data is checked against
// limits.max_message_size before it is decoded. Tells the progress how far into `file` the
// parser is.
class HarCollector {
 public:
  HarCollector(const ImportLimits& limits, std::FILE* file) : limits_(limits), file_(file) {}

  // The messages of entry `i` (in the order of log.entries), moved out.
  std::vector<Message> Take(size_t i) {
    auto it = messages_.find(i);
    if (it == messages_.end()) return {};
    return std::move(it->second);
  }
  int skipped() const { return skipped_; }

  template <typename Input>
  json Parse(Input&& input) {
    return json::parse(
        std::forward<Input>(input),
        [this](int depth, json::parse_event_t event, json& parsed) {
          return OnEvent(depth, event, parsed);
        },
        /*allow_exceptions=*/false);
  }

 private:
  // nlohmann's depths: the root object is 0, log 1, entries 2, an entry 3, its
  // _webSocketMessages 4, a message 5; a key is reported at the depth of its value.
  bool InMessages() const {
    return keys_.size() > 4 && keys_[1] == "log" && keys_[2] == "entries" &&
           keys_[4] == "_webSocketMessages";
  }
  [[noreturn]] void TooBig(uint64_t size) const {
    throw Error("HAR entry " + std::to_string(entry_) + ", message " + std::to_string(message_) +
                ": the payload is " + std::to_string(size) +
                " bytes, more than --max-message-size (" +
                std::to_string(limits_.max_message_size) + " bytes)");
  }

  bool OnEvent(int depth, json::parse_event_t event, json& parsed) {
    using E = json::parse_event_t;
    size_t d = static_cast<size_t>(depth);
    if (event == E::key) {
      if (keys_.size() <= d) keys_.resize(d + 1);
      keys_[d] = parsed.is_string() ? parsed.get<std::string>() : "";
      return true;
    }
    if (keys_.size() > d + 1) keys_.resize(d + 1);  // keys below this depth are stale
    bool counted = event == E::value || event == E::object_start || event == E::array_start;
    if (counted && file_ && limits_.progress && (++events_ & 4095) == 0) {
      limits_.progress->Update(static_cast<int64_t>(std::ftell(file_)));
    }
    if (depth == 3 && event == E::object_start && keys_.size() > 2 && keys_[1] == "log" &&
        keys_[2] == "entries") {
      ++entry_;
      message_ = 0;
    }
    bool in_message = InMessages() && depth >= 5;
    if (in_message) {
      // A message's data can be refused before it is decoded: hex (close) is the densest
      // encoding, two characters a byte.
      if (depth == 6 && event == E::value && keys_.size() > 6 && keys_[6] == "data" &&
          parsed.is_string() &&
          parsed.get_ref<const std::string&>().size() / 2 > limits_.max_message_size) {
        TooBig(parsed.get_ref<const std::string&>().size() / 2);
      }
      if (depth == 5 && event == E::object_end) return Collect(parsed);
      return true;
    }
    if (counted && ++values_ > limits_.max_har_values) {
      throw Error("the HAR has more than " + std::to_string(limits_.max_har_values) +
                  " JSON values besides its messages, more than import holds in memory (a HAR "
                  "is one JSON document); split it or import the session as JSON Lines");
    }
    if (depth == 5 && event == E::value && InMessages()) {
      ++message_;  // a message that is not an object: malformed, skipped
      ++skipped_;
      return false;
    }
    return true;
  }

  // A whole message object: converted, and dropped from the document (returns false).
  bool Collect(const json& m) {
    if (entry_ < 0) return false;
    if (++messages_total_ > limits_.max_har_messages) {
      throw Error("the HAR has more than " + std::to_string(limits_.max_har_messages) +
                  " WebSocket messages, more than import holds in memory; split it or import "
                  "the session as JSON Lines");
    }
    HarMessage msg;
    std::string bad;
    switch (ParseHarMessage(m, &msg, &bad)) {
      case HarMessageStatus::kOk: {
        if (msg.frame.payload.size() > limits_.max_message_size) TooBig(msg.frame.payload.size());
        Message out;
        out.payload = std::move(msg.frame.payload);
        out.note = std::move(msg.frame.note);
        out.time = msg.time;
        out.direction = msg.frame.direction;
        out.opcode = msg.frame.opcode;
        out.flags = msg.frame.flags;
        messages_[static_cast<size_t>(entry_)].push_back(std::move(out));
        break;
      }
      case HarMessageStatus::kMalformed:
        ++skipped_;
        break;
      case HarMessageStatus::kBadData:
        throw Error("HAR entry " + std::to_string(entry_) + ": " + bad);
    }
    ++message_;
    return false;
  }

  const ImportLimits& limits_;
  std::FILE* file_;
  std::vector<std::string> keys_;
  int64_t entry_ = -1;
  uint64_t message_ = 0, messages_total_ = 0, values_ = 0, events_ = 0;
  int skipped_ = 0;
  std::map<size_t, std::vector<Message>> messages_;
};

HarImport ImportHarDocument(json har, HarCollector& collected, cassette::Cassette& out,
                            const Redactor& redactor, const std::string& session_name,
                            const std::string& tool_version, uint64_t max_body);

}  // namespace

HarImport ImportHar(const std::string& text, cassette::Cassette& out, const Redactor& redactor,
                    const std::string& session_name, const std::string& tool_version,
                    const ImportLimits& limits) {
  HarCollector collector(limits, nullptr);
  json har = collector.Parse(text);
  return ImportHarDocument(std::move(har), collector, out, redactor, session_name, tool_version,
                           limits.max_message_size);
}

HarImport ImportHarFile(std::FILE* file, cassette::Cassette& out, const Redactor& redactor,
                        const std::string& session_name, const std::string& tool_version,
                        const ImportLimits& limits) {
  HarCollector collector(limits, file);
  json har = collector.Parse(file);
  return ImportHarDocument(std::move(har), collector, out, redactor, session_name, tool_version,
                           limits.max_message_size);
}

namespace {

// t - start_ns: the offset of an absolute time (ns since 1970) in a session starting at
// start_ns, refused with one line when it is beyond what a cassette holds (kOffsetRange; their
// difference could even overflow: each is within about 1678-2262).
int64_t OffsetNs(int64_t t, int64_t start_ns) {
  int64_t offset = 0;
  if (__builtin_sub_overflow(t, start_ns, &offset) || !cassette::kOffsetRange.Holds(offset)) {
    throw Error("the HAR's times span " + FormatIso8601(start_ns, 0) + " to " +
                FormatIso8601(t, 0) + ", more than a cassette holds (" +
                cassette::kOffsetRange.what +
                "); check the entries' startedDateTime and message times");
  }
  return offset;
}

// Inserts the API calls of a HAR (in start order) as exchanges of session `session_id`:
// offsets from `start_ns`, ordinals 1, 2, ..., client connections numbered by Chrome's
// "connection" ids in order of appearance unless wsreplay wrote them; redacted. Returns the
// latest offset they reach.
int64_t InsertExchanges(std::vector<HarExchange>& http, int64_t start_ns, int64_t session_id,
                        const Redactor& redactor, cassette::Cassette& out) {
  std::map<std::string, int> connections;
  int64_t end = 0;
  int ordinal = 0;
  for (auto& h : http) {
    cassette::Exchange& e = h.exchange;
    e.session_id = session_id;
    e.ordinal = ++ordinal;
    e.request_ns = OffsetNs(e.request_ns, start_ns);
    if (e.response_ns) *e.response_ns = OffsetNs(*e.response_ns, start_ns);
    if (e.http_connection == 0 && !h.connection.empty()) {
      auto [it, fresh] = connections.emplace(h.connection, 0);
      if (fresh) it->second = static_cast<int>(connections.size());
      e.http_connection = it->second;
    }
    end = std::max(end, e.response_ns.value_or(e.request_ns));
    RedactExchangeRow(redactor, &e);
    out.InsertExchange(e);
  }
  return end;
}

HarImport ImportHarDocument(json har, HarCollector& collected, cassette::Cassette& out,
                            const Redactor& redactor, const std::string& session_name,
                            const std::string& tool_version, uint64_t max_body) {
  if (har.is_discarded() || !har.is_object() || !har.contains("log") || !har["log"].is_object() ||
      !har["log"].contains("entries") || !har["log"]["entries"].is_array()) {
    throw Error("not a HAR file (no log.entries array)");
  }
  HarImport result;
  result.session_name = session_name;
  std::vector<WsEntry> ws;
  std::vector<HarExchange> http;  // API calls (not page resources)
  int skipped_http = 0;
  bool any_fragments_lost = false;
  auto& entries = har["log"]["entries"];
  for (size_t i = 0; i < entries.size(); ++i) {
    json& e = entries[i];
    if (!e.is_object()) continue;
    WsEntry w;
    w.index = i;
    const json empty = json::object();
    const json& req = e.contains("request") && e["request"].is_object() ? e["request"] : empty;
    const json& resp = e.contains("response") && e["response"].is_object() ? e["response"] : empty;
    if (req.contains("url") && req["url"].is_string()) w.url = req["url"].get<std::string>();
    bool has_messages = e.contains("_webSocketMessages") && e["_webSocketMessages"].is_array();
    bool is_ws = has_messages ||
                 (e.contains("_resourceType") && e["_resourceType"] == "websocket") ||
                 IsWsUrl(w.url);
    if (!is_ws) {
      if (IsHarApiEntry(e)) {
        http.push_back(ExchangeFromHarEntry(e, i, max_body));
      } else {
        ++skipped_http;
      }
      continue;
    }
    if (e.contains("startedDateTime") && e["startedDateTime"].is_string()) {
      w.started_ns = ParseIso8601(e["startedDateTime"].get<std::string>());
      if (!w.started_ns) {
        throw Error("HAR entry " + std::to_string(i) + ": startedDateTime '" +
                    e["startedDateTime"].get<std::string>() + "' is not an ISO 8601 time");
      }
    }
    if (e.contains("time") && e["time"].is_number()) w.time_ms = e["time"].get<double>();
    w.request_headers = ReadHarHeaders(req);
    w.response_headers = ReadHarHeaders(resp);
    if (resp.contains("status") && resp["status"].is_number_integer())
      w.status = resp["status"].get<int>();
    if (resp.contains("_error") && resp["_error"].is_string())
      w.error = resp["_error"].get<std::string>();
    if (w.status != 101 && resp.contains("content")) {
      w.response_body = ReadHarText(resp["content"],
                                    "HAR entry " + std::to_string(i) + ": response.content.text");
    }
    if (e.contains("_webSocketClose") && e["_webSocketClose"].is_object()) {
      const auto& cl = e["_webSocketClose"];
      if (cl.contains("code") && cl["code"].is_number_integer())
        w.close_code = cl["code"].get<int>();
      if (cl.contains("reason") && cl["reason"].is_string())
        w.close_reason = cl["reason"].get<std::string>();
      if (cl.contains("initiator") && cl["initiator"].is_string()) {
        w.close_initiator = cl["initiator"].get<std::string>();
      }
    }
    if (has_messages) {
      w.messages = collected.Take(i);
      any_fragments_lost = any_fragments_lost || !w.messages.empty();
    }
    ws.push_back(std::move(w));
  }
  har = nullptr;  // everything needed is in `ws` and `http` now
  if (ws.empty() && http.empty()) {
    throw Error(
        "the HAR has no WebSocket entries (none with _webSocketMessages or a ws:// URL) and no "
        "API calls (only page resources); save it from a page that opened a WebSocket or called "
        "an API");
  }

  std::stable_sort(http.begin(), http.end(), [](const HarExchange& a, const HarExchange& b) {
    return a.exchange.request_ns < b.exchange.request_ns;
  });
  // The session starts at the earliest thing the HAR saw.
  std::optional<int64_t> start;
  auto take = [&start](int64_t ns) { start = start ? std::min(*start, ns) : ns; };
  for (const auto& w : ws) {
    if (w.started_ns) take(*w.started_ns);
    for (const auto& m : w.messages) take(EpochSecondsToNs(m.time));
  }
  for (const auto& h : http) take(h.exchange.request_ns);
  int64_t start_ns = start.value_or(0);
  if (!cassette::kStartRange.Holds(start_ns)) {
    throw Error("the HAR starts at " + FormatIso8601(start_ns, 0) +
                ", outside what a cassette holds (" + cassette::kStartRange.what +
                "); check the entries' startedDateTime and message times");
  }
  std::stable_sort(ws.begin(), ws.end(), [](const WsEntry& a, const WsEntry& b) {
    auto key = [](const WsEntry& w) {
      if (w.started_ns) return *w.started_ns;
      return w.messages.empty() ? INT64_MAX : EpochSecondsToNs(w.messages.front().time);
    };
    return key(a) < key(b);
  });

  Session s;
  s.name = session_name;
  s.started_at_ns = start_ns;
  s.source = "import-har";
  s.tool_version = tool_version;
  {
    const std::string& url = ws.empty() ? http.front().url : ws.front().url;
    size_t scheme = url.find("://");
    size_t end =
        scheme == std::string::npos ? std::string::npos : url.find_first_of("/?#", scheme + 3);
    s.upstream = url.substr(0, end);
  }
  RedactSessionRow(redactor, &s);
  int64_t session_id = out.InsertSession(s);

  int64_t session_end = 0;
  int no_close = 0;
  for (size_t k = 0; k < ws.size(); ++k) {
    WsEntry& w = ws[k];
    Connection c;
    c.session_id = session_id;
    c.ordinal = static_cast<int>(k + 1);
    SplitUrlTarget(w.url, &c.path, &c.query);
    c.upstream_url = w.url;
    c.request_headers = w.request_headers;
    c.response_headers = w.response_headers;
    c.subprotocol = HeaderValue(w.response_headers, "sec-websocket-protocol");
    c.extensions = HeaderValue(w.response_headers, "sec-websocket-extensions");
    c.response_body = w.response_body;
    c.error = w.error;
    if (w.status > 0)
      c.http_status = w.status;
    else if (!w.messages.empty())
      c.http_status = 101;
    c.opened_ns =
        w.started_ns
            ? OffsetNs(*w.started_ns, start_ns)
            : (w.messages.empty() ? 0
                                  : OffsetNs(EpochSecondsToNs(w.messages.front().time), start_ns));
    int64_t last = c.opened_ns;
    for (const auto& m : w.messages) {
      // Wall-clock times may step backwards; a cassette's offsets never do.
      last = std::max(last, OffsetNs(EpochSecondsToNs(m.time), start_ns));
    }
    // At most ~31 years: a huge or NaN `time` must not overflow.
    const double time_ms = w.time_ms > 0 ? std::min(w.time_ms, 1e12) : 0.0;
    int64_t end =
        std::min(c.opened_ns + static_cast<int64_t>(time_ms * 1e6), cassette::kMaxOffsetNs);
    c.closed_ns = std::max(end, last);
    if (w.close_code) {
      c.close_code = w.close_code;
      c.close_reason = w.close_reason;
      c.close_initiator = w.close_initiator;
    } else if (const Message* close = FirstCloseWithCode(w.messages)) {
      // No _webSocketClose (not written by wsreplay): the first close frame says it.
      ClosePayload p = ParseClosePayload(close->payload);
      c.close_code = p.code;
      c.close_reason = p.reason;
      c.close_initiator =
          close->direction == cassette::Direction::kClientToServer ? "client" : "upstream";
    } else if (c.http_status == 101) {
      ++no_close;
    }
    session_end = std::max(session_end, *c.closed_ns);
    RedactConnectionRow(redactor, &c);
    c.id = out.InsertConnection(c);
    int64_t offset = c.opened_ns;
    int64_t seq = 0;
    for (auto& m : w.messages) {
      Frame f;
      f.connection_id = c.id;
      f.seq = seq++;
      offset = std::max(offset, OffsetNs(EpochSecondsToNs(m.time),
                                         start_ns));  // as computed for `last` above
      f.offset_ns = offset;
      f.direction = m.direction;
      f.opcode = m.opcode;
      f.flags = m.flags;
      f.payload = std::move(m.payload);
      f.note = std::move(m.note);
      f.FillPhoenixColumns();
      RedactFrameRow(redactor, &f);
      out.InsertFrame(f);
      ++result.frames;
    }
    w.messages = {};  // inserted: free them
    ++result.connections;
  }
  session_end = std::max(session_end, InsertExchanges(http, start_ns, session_id, redactor, out));
  result.exchanges = static_cast<int64_t>(http.size());
  out.FinishSession(session_id, session_end);

  if (any_fragments_lost) {
    result.notes.push_back("HAR has no fragment sizes: every message is stored whole");
  }
  result.notes.push_back(
      "HAR has no monotonic clock: offsets come from wall-clock times (ms or us precision)");
  if (no_close > 0) {
    result.notes.push_back(
        "HAR has no close codes: " + std::to_string(no_close) +
        " connection(s) stored without one (the end is the last message or the entry time)");
  }
  if (skipped_http > 0) {
    result.notes.push_back("skipped " + std::to_string(skipped_http) + " non-WebSocket HTTP entr" +
                           (skipped_http == 1 ? "y" : "ies") +
                           " that a browser loaded for a page (document, script, image, ...: "
                           "not an API call)");
  }
  const int skipped_other = collected.skipped();
  if (skipped_other > 0) {
    result.notes.push_back(
        "skipped " + std::to_string(skipped_other) +
        " malformed message(s) (no send/receive type or time, or an unknown opcode)");
  }
  return result;
}

}  // namespace

}  // namespace wsr::tools
