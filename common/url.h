// URL pieces wsreplay needs: WebSocket URLs, listen addresses, query strings.
//
// Pure functions, no I/O; thread-safe. Parse* functions throw wsr::Error with a one-line
// message naming the bad input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsr {

struct WsUrl {
  bool tls = false;              // wss
  std::string host;              // without brackets for IPv6
  int port = 0;                  // explicit or the scheme default (80/443)
  std::string path;              // path prefix, "" when none; never ends with '/'
  std::string ToString() const;  // scheme://host:port/path
};

// A host as a URL (or a Host header) spells it: an IPv6 literal in brackets ("[::1]").
std::string UrlHost(const std::string& host);
// "host:port" as a URL spells it: UrlHost(host) + ":" + port ("[::1]:8080").
std::string HostPort(const std::string& host, int port);

// Parses ws:// or wss:// URLs. http(s):// are accepted as aliases of ws(s)://.
WsUrl ParseWsUrl(std::string_view url);

struct ListenAddr {
  std::string host = "127.0.0.1";
  int port = 8765;
};
// "HOST:PORT", ":PORT" (loopback) or "PORT". Port 0 means "pick a free port".
ListenAddr ParseListenAddr(std::string_view spec);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=2" into raw (still percent-encoded) pairs, keeping order. A leading '?' is
// skipped. A parameter without '=' has an empty value.
QueryParams SplitQuery(std::string_view query);
std::string JoinQuery(const QueryParams& params);
std::string PercentDecode(std::string_view s);
// Percent-encodes every byte but the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~)
// and those in `keep`, with upper-case hex.
std::string PercentEncode(std::string_view s, std::string_view keep = {});

// Splits "/path?query" into path and query (without '?').
std::pair<std::string, std::string> SplitPathQuery(std::string_view target);

}  // namespace wsr
