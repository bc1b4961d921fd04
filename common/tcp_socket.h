// Plain non-blocking TCP sockets for a loop of our own (record's relay): a listening socket
// bound exactly to the address asked for, the upstream's addresses, and non-blocking connects.
// Functions only, no state: the caller owns every descriptor returned (closes it). Thread-safe.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "common/url.h"

namespace wsr {

// A non-blocking, close-on-exec listening socket bound to exactly `addr` (an IPv4 or IPv6
// literal; IPv6 only, no IPv4-mapped addresses) with SO_REUSEADDR; its port (the real one
// when addr.port is 0) in *port. -1 with *error set to one line (the errno text, or "not an IP
// address") when it cannot be opened.
int ListenTcp(const ListenAddr& addr, int* port, std::string* error);

// One address a connection may go to (sockaddr_in or sockaddr_in6).
struct TcpAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// The addresses of host:port in the resolver's order (getaddrinfo, any family, as
// libwebsockets' client resolved them). Blocking: a DNS round trip or more, seconds when the DNS
// server is slow; record calls it through common/async_resolver.h, off its loop. Empty with *error
// set to the resolver's one line.
std::vector<TcpAddress> ResolveTcp(const std::string& host, int port, std::string* error);
// True, with its address in *out, when `host` is an IPv4 or IPv6 literal (a numeric-host
// lookup: no DNS query, never blocks); false otherwise.
bool ResolveTcpLiteral(const std::string& host, int port, std::vector<TcpAddress>* out);

// Starts a non-blocking connect (close-on-exec, TCP_NODELAY): the descriptor, whose
// connection completes when it becomes writable (then SO_ERROR says how: TcpConnectResult), or
// -1 with *err set to errno (EMFILE/ENFILE when descriptors ran out, ECONNREFUSED, ...).
int ConnectTcp(const TcpAddress& to, int* err);
// 0 once a connect started by ConnectTcp succeeded, else its errno.
int TcpConnectResult(int fd);

// TCP_NODELAY on: segments go out as written (the relay writes whole reads and messages).
void SetNoDelay(int fd);

}  // namespace wsr
