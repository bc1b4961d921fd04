// TransparentFixture: "the session through the proxy is the session that would have happened
// without it", as a test harness. A Scenario names what a `ws` upstream (tests/js/
// ws_upstream.mjs) and a client (tests/js/ws_client.mjs, or raw_client.mjs for frames `ws`
// will not produce) do. RunBoth() plays it twice — client straight to a fresh upstream, then
// the same client through a fresh `wsreplay record` to another fresh upstream — and expects
// both sides' observations (their JSON lines) to be identical once normalised; Read() then
// gives what the proxied run put in the cassette.
//
// Normalisation, applied to every observed line: any "127.0.0.1:PORT" / "localhost:PORT"
// becomes "HOST:PORT"; the value after a Sec-WebSocket-Key / Sec-WebSocket-Accept name in a
// header list becomes "<nonce>" (`ws` picks a random key per connection); the Host header is
// dropped from the upstream's view of the upgrade (a relay may place or spell it otherwise).
//
// The fixture owns every child process (node scripts, wsreplay) and reaps them before a
// Run* returns; a failing run records a non-fatal gtest failure and returns what it saw.
// $WSR_TEST_WSREPLAY_BIN, when set, names the wsreplay binary to run instead of this build's.
// Not thread-safe; one per test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cassettes/model.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {

using nlohmann::json;

struct Scenario {
  // ws_upstream.mjs scenario and its options; "" means no upstream at all (a closed port).
  std::string upstream = "echo";
  json upstream_options = json::object();
  bool upstream_tls = false;             // the upstream is wss://localhost:PORT
  std::string upstream_prefix;           // path prefix of the upstream URL, e.g. "/prefix"
  std::string target = "/";              // the request target the client asks for
  json client = json::object();          // ws_client.mjs options
  std::string raw;                       // raw_client.mjs scenario, used instead of ws_client
  std::vector<std::string> record_args;  // extra `wsreplay record` flags
  std::map<std::string, std::string> record_env;
  std::map<std::string, std::string> client_env;  // direct run only (e.g. NODE_EXTRA_CA_CERTS)
};

// What one run observed, normalised (see above).
struct Observed {
  std::vector<json> client, upstream;
  std::string client_out, upstream_out;      // raw stdout, for failure messages
  std::chrono::milliseconds client_time{0};  // from starting the client to its exit

  // The first line {"ev": ev, ...} of that side, or {} (so .value() gives its default).
  json Client(const std::string& ev) const;
  json Upstream(const std::string& ev) const;
  std::vector<json> ClientAll(const std::string& ev) const;
  std::vector<json> UpstreamAll(const std::string& ev) const;
  std::string Dump() const;  // both sides, one line each, for failure messages
};

// The proxied run's cassette: its one session, connections in order, each connection's
// frames in seq order with control frames (opcodes 8, 9, 10) included.
struct RecordedSession {
  cassette::Session session;
  std::vector<cassette::Connection> connections;
  std::vector<std::vector<cassette::Frame>> frames;
};

class TransparentFixture : public ::testing::Test {
 protected:
  Observed RunDirect(const Scenario& s);
  // Through `wsreplay record` into a new cassette (stopped with SIGINT afterwards; its exit
  // status and stderr are in record_exit_ / record_stderr_).
  Observed RunProxied(const Scenario& s);
  // Both runs; EXPECTs identical client and upstream observations. Returns the proxied one.
  Observed RunBoth(const Scenario& s);

  RecordedSession Read();       // the last proxied run's cassette
  std::string CassetteBytes();  // its file and any -wal/-journal beside it, concatenated

  TempDir dir_;
  std::string cassette_;  // the last proxied run's cassette file
  std::string record_stderr_;
  int record_exit_ = -1;

 private:
  int runs_ = 0;
};

// "k1","v1","k2","v2",... -> the value of the first name equal (case-insensitively) to name.
std::string HeaderValue(const json& raw_headers, const std::string& name);
// One line per element.
std::string Lines(const std::vector<json>& v);

}  // namespace wsr::testing
