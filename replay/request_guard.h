// Who may drive the replay server over plain HTTP and who may open a replayed WebSocket.
//
// The control endpoint changes a running test, so a web page the developer happens to have
// open must not be able to drive it:
//  - CheckHost: the Host header must name this server (DNS rebinding): the listen address, a
//    loopback name (localhost, 127.0.0.1, [::1]) with the listen port, or, when listening on
//    a wildcard address, any IP literal with that port. A loopback name or IP literal without
//    a port is accepted too (plain HTTP clients such as old test helpers send one; a
//    rebinding attack always sends its own domain name). A missing Host is accepted (HTTP/1.0).
//  - CheckControlOrigin: a request carrying `Origin` must come from this server's own origin
//    (http:// + one of the names CheckHost accepts): the live page at /__wsreplay/ passes,
//    any other site (including other localhost ports and `null`) gets 403. Requests without
//    Origin (curl, test helpers, the pytest plugin) pass.
//  - UpgradeOriginAllowed: a WebSocket upgrade to the replayed session is accepted without
//    Origin, from loopback origins (http(s)://localhost|127.x.x.x|[::1] on any port: a web
//    app under test on http://localhost:3000), and from the --allow-origin list ("*" = any).
// Pure functions on strings; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsr::replay {

struct GuardRefusal {
  int status = 403;     // 403 foreign origin, 421 foreign Host
  std::string message;  // one line, for a JSON body
};

std::optional<GuardRefusal> CheckHost(std::optional<std::string_view> host_header,
                                      std::string_view listen_host, int listen_port);

std::optional<GuardRefusal> CheckControlOrigin(std::optional<std::string_view> origin,
                                               std::string_view listen_host, int listen_port);

bool UpgradeOriginAllowed(std::optional<std::string_view> origin,
                          const std::vector<std::string>& allowed);

}  // namespace wsr::replay
