#include "proxy/handshake.h"

#include "common/url.h"

namespace wsr::proxy {
namespace {
std::string CopyToken(lws* wsi, lws_token_indexes tok) {
  int len = lws_hdr_total_length(wsi, tok);
  if (len <= 0) return {};
  std::string s(static_cast<size_t>(len) + 1, '\0');
  int n = lws_hdr_copy(wsi, s.data(), len + 1, tok);
  if (n < 0) return {};
  s.resize(static_cast<size_t>(n));
  return s;
}
}  // namespace

std::string EncodePathPart(const std::string& decoded) {
  return PercentEncode(decoded, "/!$'()*,:@;=");
}
std::string EncodeQueryPart(const std::string& decoded) {
  return PercentEncode(decoded, "!$'()*,:@/?");
}

RequestTarget ReadRequestTarget(lws* wsi) {
  RequestTarget t;
  t.path = EncodePathPart(CopyToken(wsi, WSI_TOKEN_GET_URI));
  if (t.path.empty()) t.path = "/";
  char buf[4096];
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break;
    std::string frag(buf, static_cast<size_t>(n));
    if (frag.empty()) continue;
    if (!t.query.empty()) t.query += '&';
    size_t eq = frag.find('=');
    if (eq == std::string::npos) {
      t.query += EncodeQueryPart(frag);
    } else {
      t.query += EncodeQueryPart(frag.substr(0, eq)) + "=" + EncodeQueryPart(frag.substr(eq + 1));
    }
  }
  return t;
}

cassette::Headers ReadHeaders(lws* wsi, const std::vector<std::string>& custom_names) {
  cassette::Headers out;
  for (int t = 0; t < WSI_TOKEN_COUNT; ++t) {
    auto tok = static_cast<lws_token_indexes>(t);
    const unsigned char* name = lws_token_to_string(tok);
    if (!name) continue;
    std::string n(reinterpret_cast<const char*>(name));
    if (n.empty() || n.back() != ':' || n[0] == ':') continue;  // methods, h2 pseudo-headers
    if (lws_hdr_total_length(wsi, tok) <= 0) continue;
    n.pop_back();
    out.emplace_back(n, CopyToken(wsi, tok));
  }
  for (const auto& name : custom_names) {
    std::string key = name + ":";
    int len = lws_hdr_custom_length(wsi, key.c_str(), static_cast<int>(key.size()));
    if (len < 0) continue;
    std::string v(static_cast<size_t>(len) + 1, '\0');
    int n = lws_hdr_custom_copy(wsi, v.data(), len + 1, key.c_str(), static_cast<int>(key.size()));
    if (n < 0) continue;
    v.resize(static_cast<size_t>(n));
    out.emplace_back(name, v);
  }
  return out;
}

}  // namespace wsr::proxy
