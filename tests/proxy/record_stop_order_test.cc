// Stopping a relay in front of an in-process upstream (what `wsreplay demo` does with its
// simulator): a client's close frame that reached the relay before the stop ends as the
// client's closing handshake, answered by the upstream, never as a 1001. RelayServer::Stop()
// stops the relay alone; the simulator is stopped once the relay has drained.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "cassettes/cassette.h"
#include "cassettes/writer.h"
#include "common/clock.h"
#include "common/url.h"
#include "proxy/relay_server.h"
#include "recorder/redactor.h"
#include "sim/server.h"
#include "tests/replay/wire_client.h"
#include "tests/support/temp_dir.h"

namespace wsr::testing {
namespace {

int CloseCode(const cassette::Frame& f) {
  if (f.payload.size() < 2) return 1005;
  return static_cast<uint8_t>(f.payload[0]) << 8 | static_cast<uint8_t>(f.payload[1]);
}

// Several rounds: with the relay and the simulator stopped at the same moment (one process-wide
// stop), the simulator's "1001 server shutting down" overtook the client's close in most of them.
TEST(RecordStopOrder, ClientCloseSentBeforeTheStopIsAnsweredByTheUpstreamNotCutWith1001) {
  TempDir dir;
  const std::string path = dir.File("stop.cassette");
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    // Odd rounds with the simulator on lws's poll() loop, even ones on its epoll loop (read when
    // a context is made; the relay has its own epoll loop either way).
    const bool poll_loop = round % 2 == 1;
    SCOPED_TRACE("round " + std::to_string(round) + (poll_loop ? " (poll)" : " (epoll)"));
    if (poll_loop) {
      setenv("WSREPLAY_EVENT_LOOP", "poll", 1);
    } else {
      unsetenv("WSREPLAY_EVENT_LOOP");
    }
    SteadyClock clock;
    Redactor redactor;
    cassette::Session s;
    s.name = "round-" + std::to_string(round);
    s.source = "record";
    cassette::CassetteWriter writer(path, s);

    sim::SimOptions sim_opts;
    sim_opts.listen = ParseListenAddr("127.0.0.1:0");
    sim::SimServer sim(sim_opts);
    sim.Listen();
    std::thread sim_thread([&] { sim.Run(); });

    recorder::RecordingContext rec;
    rec.redactor = &redactor;
    rec.session_start_ns = clock.NowNs();
    proxy::RelayServer::Options relay_opts;
    relay_opts.listen = ParseListenAddr("127.0.0.1:0");
    relay_opts.upstream = ParseWsUrl(sim.url());
    proxy::RelayServer relay(relay_opts, rec);
    relay.Start();
    relay.SetRecording(&writer, rec.session_start_ns);
    std::thread relay_thread([&] { relay.Run(); });

    {
      int status = 0;
      wire::WsClient client(relay.port(),
                            std::string(sim::kSocketPath) + "?api_key=sim-user-alice&vsn=2.0.0",
                            &status);
      ASSERT_TRUE(client.ok()) << "upgrade answered " << status;
      // The close frame and the TCP end (the client is destroyed) are in the relay's receive
      // buffer when the stop begins, as when demo's scripted client returns after its close.
      client.Send(8, std::string("\x03\xe8", 2) + "done");  // close 1000 "done"
    }
    const auto stop_began = std::chrono::steady_clock::now();
    relay.Stop();
    relay_thread.join();
    // Bounded by the linger (1 s) for the answer, well inside the 5 s grace period.
    EXPECT_LT(std::chrono::steady_clock::now() - stop_began, std::chrono::seconds(3));
    sim.Stop();
    sim_thread.join();
    ASSERT_TRUE(writer.Stop(clock.NowNs() - rec.session_start_ns)) << writer.error();

    auto c = cassette::Cassette::Open(path, cassette::Cassette::Mode::kReadOnly);
    auto sess = c->ResolveSession(s.name);
    auto conns = c->Connections(sess.id);
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_EQ(conns[0].close_code.value_or(0), 1000);
    EXPECT_EQ(conns[0].close_initiator, "client");
    int client_close = 0, upstream_close = 0;
    auto cur = c->Frames({.connection_id = conns[0].id, .include_control = true});
    cassette::Frame f;
    while (cur.Next(&f)) {
      if (f.opcode != 8) continue;
      if (f.direction == cassette::Direction::kClientToServer) {
        client_close = CloseCode(f);
      } else {
        upstream_close = CloseCode(f);
      }
    }
    EXPECT_EQ(client_close, 1000);
    EXPECT_EQ(upstream_close, 1000) << "the simulator's answer to the client's close";
  }
  unsetenv("WSREPLAY_EVENT_LOOP");
}

}  // namespace
}  // namespace wsr::testing
