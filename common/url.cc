#include "common/url.h"

#include <charconv>

#include "common/error.h"

namespace wsr {
namespace {
int ParsePort(std::string_view s, std::string_view whole) {
  int port = -1;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port < 0 || port > 65535) {
    throw Error("bad port '" + std::string(s) + "' in '" + std::string(whole) +
                "': expected a number from 0 to 65535");
  }
  return port;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string HostPort(const std::string& host, int port) {
  return UrlHost(host) + ":" + std::to_string(port);
}

std::string WsUrl::ToString() const {
  return std::string(tls ? "wss://" : "ws://") + HostPort(host, port) + path;
}

WsUrl ParseWsUrl(std::string_view url) {
  WsUrl out;
  std::string_view rest;
  auto starts = [&](std::string_view p) { return url.substr(0, p.size()) == p; };
  if (starts("wss://")) {
    out.tls = true, rest = url.substr(6);
  } else if (starts("ws://")) {
    rest = url.substr(5);
  } else if (starts("https://")) {
    out.tls = true, rest = url.substr(8);
  } else if (starts("http://")) {
    rest = url.substr(7);
  } else {
    throw Error("bad URL '" + std::string(url) +
                "': expected ws://HOST[:PORT][/PATH] or wss://...");
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (!path.empty() && path[0] == '?') {
    throw Error("bad URL '" + std::string(url) +
                "': the upstream URL takes no query; the client's query is appended");
  }
  if (authority.empty()) throw Error("bad URL '" + std::string(url) + "': no host");
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) throw Error("bad URL '" + std::string(url) + "'");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] == ':') out.port = ParsePort(after.substr(1), url);
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = ParsePort(authority.substr(colon + 1), url);
  }
  if (out.host.empty()) throw Error("bad URL '" + std::string(url) + "': no host");
  if (out.port == 0) out.port = out.tls ? 443 : 80;
  std::string p(path);
  while (!p.empty() && p.back() == '/') p.pop_back();
  out.path = p;
  return out;
}

ListenAddr ParseListenAddr(std::string_view spec) {
  ListenAddr out;
  size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos) {
    out.port = ParsePort(spec, spec);
    return out;
  }
  std::string_view host = spec.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (!host.empty()) out.host = std::string(host);
  out.port = ParsePort(spec.substr(colon + 1), spec);
  return out;
}

QueryParams SplitQuery(std::string_view q) {
  QueryParams out;
  if (!q.empty() && q[0] == '?') q.remove_prefix(1);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(std::string(part), "");
      } else {
        out.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
      }
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string JoinQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string PercentEncode(std::string_view s, std::string_view keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c && keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out += static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::pair<std::string, std::string> SplitPathQuery(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {std::string(target), ""};
  return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

}  // namespace wsr
