// Helpers for the `wsreplay record` integration tests: run the real binary between a
// TestUpstream and WsClients on loopback, then read back what it recorded.
// Not thread-safe; one per test.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "tests/proxy/upstream_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

namespace wsr::testing {

struct Recorded {
  cassette::Session session;
  std::vector<cassette::Connection> connections;
  std::vector<std::vector<cassette::Frame>> frames;  // per connection, in order
};

class RecordFixture : public ::testing::Test {
 protected:
  // Starts `wsreplay record` towards upstream_url; the URL clients connect to is in url_.
  void StartRecord(const std::string& upstream_url, std::vector<std::string> extra = {},
                   Process::Options options = {}) {
    std::vector<std::string> argv = {WsreplayBin()};
    if (std::getenv("WSR_TEST_VERBOSE")) argv.push_back("-v");  // proxy debug logs in failures
    for (const char* a : {"record", "--upstream"}) argv.push_back(a);
    argv.push_back(upstream_url);
    for (const std::string& a : {std::string("--cassette"), cassette_, std::string("--listen"),
                                 std::string("127.0.0.1:0")}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv, options);
    url_ = proc_->WaitForListening(std::chrono::seconds(20));
    ASSERT_FALSE(url_.empty()) << proc_->stderr_text();
  }
  // SIGINT, waits for exit; returns the exit status.
  int StopRecord() {
    proc_->Signal(SIGINT);
    auto st = proc_->Wait(std::chrono::seconds(30));
    if (std::getenv("WSR_TEST_VERBOSE")) std::fprintf(stderr, "%s", proc_->stderr_text().c_str());
    return st.value_or(-1);
  }
  Recorded Read() {
    Recorded r;
    auto c = cassette::Cassette::Open(cassette_, cassette::Cassette::Mode::kReadOnly);
    r.session = c->ResolveSession(std::nullopt);
    r.connections = c->Connections(r.session.id);
    for (const auto& conn : r.connections) {
      std::vector<cassette::Frame> fs;
      auto cur = c->Frames({.connection_id = conn.id});
      cassette::Frame f;
      while (cur.Next(&f)) fs.push_back(f);
      std::sort(fs.begin(), fs.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
      r.frames.push_back(std::move(fs));
    }
    return r;
  }

  TempDir dir_;
  std::string cassette_ = dir_.File("rec.cassette");
  std::unique_ptr<Process> proc_;
  std::string url_;
};

}  // namespace wsr::testing
