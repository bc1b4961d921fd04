#include "common/lws_http.h"

namespace wsr::lwshttp {

std::string HeaderCopy(lws* wsi, lws_token_indexes token) {
  int n = lws_hdr_total_length(wsi, token);
  if (n <= 0) return "";
  std::string s(static_cast<size_t>(n) + 1, '\0');
  int got = lws_hdr_copy(wsi, s.data(), n + 1, token);
  s.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return s;
}

std::string QueryOf(lws* wsi) {
  std::string q;
  char buf[2048];
  for (int i = 0;; ++i) {
    int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0) break;
    if (!q.empty()) q += '&';
    q.append(buf, static_cast<size_t>(n));
  }
  return q;
}

std::string MethodOf(lws* wsi) {
  static const struct {
    lws_token_indexes token;
    const char* name;
  } kMethods[] = {{WSI_TOKEN_POST_URI, "POST"},       {WSI_TOKEN_DELETE_URI, "DELETE"},
                  {WSI_TOKEN_PUT_URI, "PUT"},         {WSI_TOKEN_PATCH_URI, "PATCH"},
                  {WSI_TOKEN_OPTIONS_URI, "OPTIONS"}, {WSI_TOKEN_HEAD_URI, "HEAD"}};
  for (const auto& m : kMethods) {
    if (lws_hdr_total_length(wsi, m.token) > 0) return m.name;
  }
  return "GET";
}

}  // namespace wsr::lwshttp
