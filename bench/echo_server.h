// The benchmark's echo upstream: a libwebsockets server that sends every message back
// whole, with its opcode. It runs in its own process (`wsreplay-bench --serve-echo`) so its
// CPU use can be read from /proc apart from the load generator's.
//
// Per connection it holds at most a bounded number of messages: past that it stops reading
// (rx flow control) until they are written, so memory never grows without bound.
// Single-threaded: everything runs on the lws service thread of RunEchoServer().
#pragma once

#include <string>

namespace wsr::bench {

// Listens on 127.0.0.1:port (0 picks one), prints `listening on ws://127.0.0.1:PORT`, and
// serves until SIGINT/SIGTERM. Returns the process exit code.
int RunEchoServer(int port);

}  // namespace wsr::bench
