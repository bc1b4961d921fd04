#include "recorder/redactor.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/url.h"
#include "phoenix/frame.h"
#include "phoenix/json_scan.h"

namespace wsr {
namespace {
constexpr std::string_view kPrefix = "redacted:";
constexpr std::string_view kBearerPrefix = "base64url.bearer.phx.";

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}
}  // namespace

void RedactionRules::AddParam(std::string name) { params.insert(std::move(name)); }
void RedactionRules::AddHeader(std::string name) { headers.insert(AsciiLower(std::move(name))); }
void RedactionRules::AddJsonPointer(std::string pointer) {
  try {
    nlohmann::json::json_pointer p(pointer);
    (void)p;
  } catch (const std::exception& e) {
    throw Error("bad JSON pointer '" + pointer +
                "': it must be empty or start with '/', e.g. /token");
  }
  json_pointers.push_back(std::move(pointer));
}

Redactor::Redactor(RedactionRules rules) : rules_(std::move(rules)) {
  std::set<std::string> lowered;
  for (const auto& h : rules_.headers) lowered.insert(AsciiLower(h));
  rules_.headers = std::move(lowered);
}

std::string Redactor::Placeholder(std::string_view what, std::string_view secret) {
  return std::string(kPrefix) + std::string(what) + ":" + Sha256Hex(secret).substr(0, 8);
}

bool Redactor::IsPlaceholder(std::string_view value) {
  return value.substr(0, kPrefix.size()) == kPrefix;
}

std::string Redactor::RedactQuery(std::string_view query) const {
  QueryParams params = SplitQuery(query);
  bool changed = false;
  for (auto& [k, v] : params) {
    std::string name = PercentDecode(k);
    if (rules_.params.count(name) && !IsPlaceholder(v)) {
      v = Placeholder(name, PercentDecode(v));
      changed = true;
    }
  }
  return changed ? JoinQuery(params) : std::string(query);
}

std::string Redactor::RedactUrl(std::string_view url) const {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, q + 1)) + RedactQuery(url.substr(q + 1));
}

std::string Redactor::RedactSubprotocols(std::string_view list) const {
  std::string out;
  size_t start = 0;
  bool changed = false;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = Trim(list.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.rfind(kBearerPrefix, 0) == 0 && !IsPlaceholder(item.substr(kBearerPrefix.size()))) {
      item = std::string(kBearerPrefix) + Placeholder("bearer", item.substr(kBearerPrefix.size()));
      changed = true;
    }
    if (!out.empty()) out += ", ";
    out += item;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return changed ? out : std::string(list);
}

cassette::Headers Redactor::RedactHeaders(const cassette::Headers& headers) const {
  cassette::Headers out = headers;
  for (auto& [k, v] : out) {
    std::string name = AsciiLower(k);
    if (rules_.headers.count(name)) {
      if (!IsPlaceholder(v)) v = Placeholder(name, v);
    } else if (name == "sec-websocket-protocol") {
      v = RedactSubprotocols(v);
    }
  }
  return out;
}

std::string Redactor::RedactHead(const wire::HttpHead& head) const {
  // Splice from the end so that earlier offsets stay valid.
  struct Edit {
    size_t at, size;
    std::string with;
  };
  std::vector<Edit> edits;
  if (head.is_request) {
    std::string_view target(head.target);
    size_t q = target.find('?');
    if (q != std::string_view::npos) {
      std::string redacted = RedactQuery(target.substr(q + 1));
      if (redacted != target.substr(q + 1)) {
        edits.push_back({head.target_offset + q + 1, target.size() - q - 1, std::move(redacted)});
      }
    }
  }
  for (const auto& h : head.headers) {
    std::string name = AsciiLower(h.name);
    std::string value;
    if (rules_.headers.count(name)) {
      if (IsPlaceholder(h.value)) continue;
      value = Placeholder(name, h.value);
    } else if (name == "sec-websocket-protocol") {
      value = RedactSubprotocols(h.value);
      if (value == h.value) continue;
    } else {
      continue;
    }
    edits.push_back({h.value_offset, h.value_size, std::move(value)});
  }
  std::string out = head.raw;
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.at > b.at; });
  for (const auto& e : edits) {
    if (e.at <= out.size() && e.size <= out.size() - e.at) out.replace(e.at, e.size, e.with);
  }
  return out;
}

std::string Redactor::RedactHeadText(std::string_view text) const {
  if (text.empty()) return std::string();
  const bool response = text.substr(0, 5) == "HTTP/";
  wire::HttpHeadParser parser(response ? wire::HttpHeadParser::Kind::kResponse
                                       : wire::HttpHeadParser::Kind::kRequest);
  size_t used = 0;
  if (parser.Feed(text, &used) == wire::HttpHeadParser::Status::kDone) {
    return RedactHead(parser.head()) + std::string(text.substr(used));
  }
  // Not a head we can parse: blank every secret header's value, line by line.
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start + 1);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        rules_.headers.count(AsciiLower(std::string(line.substr(0, colon))))) {
      out += std::string(line.substr(0, colon + 1)) + " " +
             Placeholder("header", line.substr(colon + 1));
      if (line.back() == '\n') out += "\r\n";
    } else {
      out += line;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

namespace {
// Replaces the value at each RFC 6901 pointer of the JSON text *doc by its placeholder, in
// place (found by scanning: the text is never built as a document, and every byte outside the
// replaced values stays as it was). The placeholder's name is the pointer's last token, its
// hash input the secret: a string's decoded text, any other value in compact form. Values that
// are already placeholders are left. Returns true when something was replaced.
bool ReplacePointedValues(const std::vector<std::string>& pointers, std::string* doc) {
  bool changed = false;
  for (const auto& p : pointers) {
    auto range = phoenix::FindPointer(*doc, p);
    if (!range) continue;
    std::string_view raw =
        std::string_view(*doc).substr(range->first, range->second - range->first);
    auto value = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) continue;
    std::string secret = value.is_string()
                             ? value.get<std::string>()
                             : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (value.is_string() && Redactor::IsPlaceholder(secret)) continue;
    std::string name = p.substr(p.rfind('/') + 1);
    std::string placeholder =
        nlohmann::json(Redactor::Placeholder(name.empty() ? "json" : name, secret))
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    doc->replace(range->first, range->second - range->first, placeholder);
    changed = true;
  }
  return changed;
}
}  // namespace

bool Redactor::RedactFrame(std::string_view payload, std::string* out) const {
  if (rules_.json_pointers.empty()) return false;
  // The rules' targets are found by scanning and replaced in place: the payload is never
  // built as a document (a 16 MiB array would take ~20 times that as nlohmann::json), and
  // every byte outside the redacted values stays as it was.
  auto frame = phoenix::Parse(payload);
  std::string_view doc_text = frame ? frame->payload : payload;
  std::string doc(doc_text);
  if (!ReplacePointedValues(rules_.json_pointers, &doc)) return false;
  *out = frame ? phoenix::Encode(frame->join_ref, frame->ref, frame->topic, frame->event, doc)
               : std::move(doc);
  return true;
}

namespace {
// RFC 6901 pointers of every member named "api_key" holding a string, at any depth.
void FindApiKeys(const nlohmann::json& j, const std::string& at, std::vector<std::string>* out) {
  auto escape = [](const std::string& key) {
    std::string e;
    for (char c : key) {
      if (c == '~') {
        e += "~0";
      } else if (c == '/') {
        e += "~1";
      } else {
        e += c;
      }
    }
    return e;
  };
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::string p = at + "/" + escape(it.key());
      if (it.key() == "api_key" && it.value().is_string()) {
        out->push_back(p);
      } else {
        FindApiKeys(it.value(), p, out);
      }
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) FindApiKeys(j[i], at + "/" + std::to_string(i), out);
  }
}
}  // namespace

bool Redactor::RedactJsonBody(std::string_view body, std::string* out) const {
  // Most bodies hold no secret: without JSON rules, a body that spells no "api_key" member
  // (neither literally nor with \u escapes, the only way to escape its letters) is left as it
  // is without being parsed. Record pays this for every REST request and response.
  if (rules_.json_pointers.empty() && body.find("api_key") == std::string_view::npos &&
      body.find("\\u") == std::string_view::npos) {
    return false;
  }
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !(parsed.is_object() || parsed.is_array())) return false;
  std::vector<std::string> pointers;
  FindApiKeys(parsed, "", &pointers);
  pointers.insert(pointers.end(), rules_.json_pointers.begin(), rules_.json_pointers.end());
  std::string doc(body);
  if (!ReplacePointedValues(pointers, &doc)) return false;
  *out = std::move(doc);
  return true;
}

}  // namespace wsr
