#include "tools/redaction.h"
#include "common/ascii.h"

#include <algorithm>
#include <cctype>

namespace wsr::tools {
namespace {

// Headers whose value is a URL or request target: their query string is redacted too
// (HTTP/2 ":path" in browser HARs, Referer).
cassette::Headers RedactHeaderList(const Redactor& r, const cassette::Headers& in) {
  cassette::Headers out = r.RedactHeaders(in);
  for (auto& [k, v] : out) {
    std::string name = AsciiLower(k);
    if (name == ":path" || name == "referer" || name == "location") v = r.RedactUrl(v);
  }
  return out;
}

// Sets *field to value and records whether that changed it.
class FieldSetter {
 public:
  template <typename T>
  void operator()(T* field, T value) {
    if (*field != value) {
      *field = std::move(value);
      changed_ = true;
    }
  }
  bool changed() const { return changed_; }

 private:
  bool changed_ = false;
};
}  // namespace

bool RedactSessionRow(const Redactor& r, cassette::Session* s) {
  std::string up = r.RedactUrl(s->upstream);
  if (up == s->upstream) return false;
  s->upstream = std::move(up);
  return true;
}

bool RedactConnectionRow(const Redactor& r, cassette::Connection* c) {
  FieldSetter set;
  set(&c->query, r.RedactQuery(c->query));
  set(&c->upstream_url, r.RedactUrl(c->upstream_url));
  set(&c->subprotocol, r.RedactSubprotocols(c->subprotocol));
  set(&c->request_headers, RedactHeaderList(r, c->request_headers));
  set(&c->response_headers, RedactHeaderList(r, c->response_headers));
  // The heads as relayed (schema version 3), with the recorder's own placeholders.
  if (!c->request_head.empty()) set(&c->request_head, r.RedactHeadText(c->request_head));
  if (!c->response_head.empty()) set(&c->response_head, r.RedactHeadText(c->response_head));
  return set.changed();
}

bool RedactFrameRow(const Redactor& r, cassette::Frame* f) {
  if (!f->is_text() || !r.has_json_rules()) return false;
  std::string out;
  if (!r.RedactFrame(f->payload, &out)) return false;
  f->payload = std::move(out);
  f->fragments.clear();  // the original fragment sizes no longer add up
  f->FillPhoenixColumns();
  return true;
}

bool RedactExchangeRow(const Redactor& r, cassette::Exchange* e) {
  FieldSetter set;
  set(&e->query, r.RedactQuery(e->query));
  set(&e->request_headers, RedactHeaderList(r, e->request_headers));
  set(&e->response_headers, RedactHeaderList(r, e->response_headers));
  std::string body;
  if (r.RedactJsonBody(e->request_body, &body)) set(&e->request_body, std::move(body));
  if (r.RedactJsonBody(e->response_body, &body)) set(&e->response_body, std::move(body));
  return set.changed();
}

}  // namespace wsr::tools
