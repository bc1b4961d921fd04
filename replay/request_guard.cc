#include "replay/request_guard.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>

#include "common/terminal_text.h"

namespace wsr::replay {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Authority {
  std::string host;  // lower case; IPv6 without brackets
  int port = -1;     // -1: none given
  bool ok = false;
};

// "name", "name:port", "[v6]", "[v6]:port".
Authority ParseAuthority(std::string_view a) {
  Authority r;
  std::string_view port;
  if (!a.empty() && a[0] == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return r;
    r.host = Lower(a.substr(1, close - 1));
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return r;
      port = rest.substr(1);
      if (port.empty()) return r;
    }
  } else {
    auto colon = a.rfind(':');
    if (colon != std::string_view::npos) {
      port = a.substr(colon + 1);
      a = a.substr(0, colon);
      if (port.empty()) return r;
    }
    if (a.empty() || a.find(':') != std::string_view::npos) return r;
    r.host = Lower(a);
  }
  if (!port.empty()) {
    if (port.size() > 5) return r;
    int v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return r;
      v = v * 10 + (c - '0');
    }
    if (v > 65535) return r;
    r.port = v;
  }
  r.ok = true;
  return r;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  unsigned char buf[4];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 && buf[0] == 127;
}

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "*";
}

// The authority names this server: see CheckHost in the header.
bool NamesThisServer(const Authority& a, std::string_view listen_host, int listen_port) {
  if (!a.ok) return false;
  std::string listen = Lower(listen_host);
  if (!listen.empty() && listen.front() == '[' && listen.back() == ']') {
    listen = listen.substr(1, listen.size() - 2);
  }
  bool name_ok =
      a.host == listen || IsLoopbackHost(a.host) || (IsWildcard(listen) && IsIpLiteral(a.host));
  if (!name_ok) return false;
  if (a.port == listen_port) return true;
  // No port: only for names a rebinding attack cannot use (loopback names, IP literals).
  return a.port == -1 && (IsLoopbackHost(a.host) || IsIpLiteral(a.host));
}

std::string Shown(std::string_view s) { return EscapeControls(s.substr(0, 200)); }

}  // namespace

std::optional<GuardRefusal> CheckHost(std::optional<std::string_view> host_header,
                                      std::string_view listen_host, int listen_port) {
  if (!host_header) return std::nullopt;
  if (NamesThisServer(ParseAuthority(*host_header), listen_host, listen_port)) return std::nullopt;
  return GuardRefusal{
      421, "Host '" + Shown(*host_header) + "' is not this replay server: use http://127.0.0.1:" +
               std::to_string(listen_port) + " or http://localhost:" + std::to_string(listen_port) +
               " (other names are refused against DNS rebinding)"};
}

std::optional<GuardRefusal> CheckControlOrigin(std::optional<std::string_view> origin,
                                               std::string_view listen_host, int listen_port) {
  if (!origin) return std::nullopt;
  std::string o = Lower(*origin);
  if (o.rfind("http://", 0) == 0) {
    std::string_view rest = std::string_view(o).substr(7);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    Authority a = ParseAuthority(rest);
    // An origin always carries its port unless it is the scheme's default.
    if (a.ok && a.port == -1) a.port = 80;
    if (NamesThisServer(a, listen_host, listen_port)) return std::nullopt;
  }
  return GuardRefusal{403, "cross-origin request from '" + Shown(*origin) +
                               "' refused: the replay control endpoint only obeys its own page "
                               "(/__wsreplay/) and clients that send no Origin (curl, test "
                               "helpers)"};
}

bool UpgradeOriginAllowed(std::optional<std::string_view> origin,
                          const std::vector<std::string>& allowed) {
  if (!origin) return true;
  std::string o = Lower(*origin);
  while (!o.empty() && o.back() == '/') o.pop_back();
  for (const auto& a : allowed) {
    std::string l = Lower(a);
    while (!l.empty() && l.back() == '/') l.pop_back();
    if (l == "*" || l == o) return true;
  }
  std::string_view rest;
  if (o.rfind("http://", 0) == 0) {
    rest = std::string_view(o).substr(7);
  } else if (o.rfind("https://", 0) == 0) {
    rest = std::string_view(o).substr(8);
  } else {
    return false;
  }
  Authority a = ParseAuthority(rest);
  if (!a.ok) return false;
  if (IsLoopbackHost(a.host)) return true;
  // *.localhost resolves to loopback in browsers (RFC 6761).
  const std::string suffix = ".localhost";
  return a.host.size() > suffix.size() &&
         a.host.compare(a.host.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace wsr::replay
