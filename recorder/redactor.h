// Redactor: removes secrets from everything a recording writes (query strings, handshake
// headers, subprotocol bearer tokens, JSON fields in frames) before it is queued for disk.
//
// A secret is replaced by a stable placeholder "redacted:<what>:<first 8 hex of SHA-256 of
// the secret>", so equal secrets stay equal and different ones stay distinct within and
// across cassettes, and a replay can recognise a redacted value (IsPlaceholder) and let any
// live value match it. The same rules serve `record`, `import` and `redact`.
//
// Immutable after construction; thread-safe for concurrent use.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cassettes/model.h"
#include "wire/http_head.h"

namespace wsr {

struct RedactionRules {
  // Query parameter names (exact, case-sensitive as URLs are).
  std::set<std::string> params{"api_key", "token"};
  // Header names, compared case-insensitively (stored lower-case).
  std::set<std::string> headers{"authorization", "cookie", "set-cookie", "x-api-key"};
  // RFC 6901 pointers applied inside Phoenix payloads (or whole JSON text frames).
  std::vector<std::string> json_pointers;

  // Adds user rules (--redact-param/--redact-header/--redact-json); header names lowered.
  void AddParam(std::string name);
  void AddHeader(std::string name);
  void AddJsonPointer(std::string pointer);  // throws wsr::Error if not a valid pointer
};

class Redactor {
 public:
  explicit Redactor(RedactionRules rules = {});

  const RedactionRules& rules() const { return rules_; }

  static std::string Placeholder(std::string_view what, std::string_view secret);
  static bool IsPlaceholder(std::string_view value);

  // "a=1&api_key=K" -> "a=1&api_key=redacted:api_key:xxxxxxxx" (order and encoding kept).
  std::string RedactQuery(std::string_view query) const;
  // Full URL with a query: redacts the query part only.
  std::string RedactUrl(std::string_view url) const;
  // Secret headers replaced; Sec-WebSocket-Protocol bearer tokens
  // (base64url.bearer.phx.<token>) replaced inside the list.
  cassette::Headers RedactHeaders(const cassette::Headers& headers) const;
  std::string RedactSubprotocols(std::string_view list) const;
  // An HTTP head as received (request or response), byte for byte except: secret header
  // values and Sec-WebSocket-Protocol bearer tokens replaced as RedactHeaders does, and a
  // request target's secret query values as RedactQuery does.
  std::string RedactHead(const wire::HttpHead& head) const;
  // The same for head text (e.g. read back from a cassette); text that does not parse as an
  // HTTP head is returned with every line that names a secret header blanked after the colon.
  std::string RedactHeadText(std::string_view head) const;
  // Applies json_pointers to a text frame. Returns true and sets *out when something was
  // replaced; false (and *out untouched) otherwise, so frames stay byte-identical.
  bool RedactFrame(std::string_view payload, std::string* out) const;
  bool has_json_rules() const { return !rules_.json_pointers.empty(); }
  // Applies to a JSON HTTP body (the REST half): every object member named "api_key" with a
  // string value (a registration response returns the new agent's key) and the json_pointers
  // (from the document's root) are replaced by placeholders, in place; every other byte stays.
  // Returns true and sets *out when something was replaced; false (*out untouched) when
  // nothing was, or the body is not JSON.
  bool RedactJsonBody(std::string_view body, std::string* out) const;

 private:
  RedactionRules rules_;
};

}  // namespace wsr
