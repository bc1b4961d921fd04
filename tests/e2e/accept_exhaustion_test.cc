// Out of descriptors at accept(): `record`, `replay` and `sim`, each under a low RLIMIT_NOFILE
// (prlimit(1)), are sent more idle TCP connections (connected, nothing sent) than their limit
// holds. Each server must answer the ones it cannot serve at once with its 503 and one line
// saying why and what to do, never leave a client waiting unanswered, and never spin on a
// failing accept() (lws 4.1 logs one "accept" error per try when it does); once the idle
// clients leave, a WebSocket client is served again.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kFdLimit = 40;
constexpr int kIdleClients = 60;  // more than the limit holds
const char* const kSocketPath = "/api/v1/socket/websocket?vsn=2.0.0&api_key=sim-user-alice";

std::unique_ptr<Process> StartLimited(std::vector<std::string> args) {
  std::string limit = "--nofile=" + std::to_string(kFdLimit) + ":" + std::to_string(kFdLimit);
  std::vector<std::string> argv = {"/usr/bin/prlimit", limit, WsreplayBin()};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--listen", "127.0.0.1:0"}) argv.push_back(a);
  return std::make_unique<Process>(argv);
}

// Lines of `text` that report a failed accept() (lws's own error line, one per retry).
int AcceptErrorLines(const std::string& text) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("accept: errno") != std::string::npos) ++n;
  }
  return n;
}

// Stops `server` and checks its log: the refusals were said in one warning line, and lws
// never logged a failed accept() (it does once per loop turn while it spins on one).
void StopAndExpectNoAcceptSpin(Process& server, const std::string& command) {
  server.Signal(SIGINT);
  EXPECT_EQ(server.Wait(20s).value_or(-1), 0) << server.stderr_text();
  const std::string& log = server.stderr_text();
  EXPECT_EQ(AcceptErrorLines(log), 0) << log.substr(0, 3000);
  EXPECT_NE(log.find("wsreplay: warn: " + command +
                     ": out of file descriptors (Too many open "
                     "files): refused "),
            std::string::npos)
      << log;
}

// Opens kIdleClients idle connections to `url`'s port and checks what a user would: every
// one is either held quietly by the server or answered with its 503 line, at least one is
// answered, a WebSocket client arriving meanwhile gets the 503 too (not a hang), the server
// does not spin on accept(), and after the idle clients leave a WebSocket client is served.
void ExpectIdleClientsRefusedAtAccept(Process& server, const std::string& url,
                                      const std::string& command) {
  const int port = PortOf(url);
  std::vector<int> idle;
  for (int i = 0; i < kIdleClients; ++i) {
    int fd = ConnectLoopback(port);
    ASSERT_GE(fd, 0) << "connect " << i << ": " << server.stderr_text();
    idle.push_back(fd);
  }
  const std::string expected_line =
      "wsreplay: " + command +
      " is out of file descriptors (Too many open files): try "
      "again later, or raise its limit (ulimit -n) before starting it";
  // Collect answers until none has come for 1 s (the refusals come as the server accepts).
  std::vector<std::string> got(idle.size());
  std::vector<bool> ended(idle.size(), false);
  auto quiet_since = Clock::now();
  const auto give_up = Clock::now() + 15s;
  while (Clock::now() - quiet_since < 1s && Clock::now() < give_up) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < idle.size(); ++i) {
      if (!ended[i]) {
        fds.push_back({idle[i], POLLIN, 0});
        which.push_back(i);
      }
    }
    if (fds.empty() || poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      char buf[4096];
      ssize_t n = read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        got[which[k]].append(buf, static_cast<size_t>(n));
      } else {
        ended[which[k]] = true;
      }
      quiet_since = Clock::now();
    }
  }
  int answered = 0;
  for (size_t i = 0; i < idle.size(); ++i) {
    if (got[i].empty() && !ended[i]) continue;  // held: the server serves it
    ++answered;
    EXPECT_EQ(got[i].rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u)
        << "connection " << i << " ended with: " << got[i];
    EXPECT_NE(got[i].find("\r\n\r\n" + expected_line + "\n"), std::string::npos) << got[i];
  }
  EXPECT_GT(answered, 0) << "the idle clients took every descriptor and none was answered: "
                         << server.stderr_text();
  EXPECT_LT(answered, kIdleClients) << "no connection was served at all";

  // A WebSocket client arriving now is told at once, not left waiting.
  WsClient::Options quick;
  quick.timeout = 3s;
  auto refused = WsClient::Connect(url + kSocketPath, quick);
  EXPECT_FALSE(refused->connected());
  EXPECT_EQ(refused->http_status().value_or(0), 503) << refused->error();

  // Held long enough for a server spinning on accept() to show it in its log.
  std::this_thread::sleep_for(300ms);
  for (int fd : idle) close(fd);
  std::unique_ptr<WsClient> again;
  for (int tries = 0; tries < 50; ++tries) {  // until the server has seen the idle ones go
    again = WsClient::Connect(url + kSocketPath, quick);
    if (again->connected()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(again->connected()) << again->error() << "\n" << server.stderr_text();
  again->Close(1000, "done");
  again->WaitClosed(5s);
}

class AcceptExhaustion : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
  }
};

TEST_F(AcceptExhaustion, SimAnswers503AndServesAgain) {
  auto sim = StartLimited({"sim"});
  std::string url = sim->WaitForListening(20s);
  ASSERT_FALSE(url.empty()) << sim->stderr_text();
  ExpectIdleClientsRefusedAtAccept(*sim, url, "sim");
  StopAndExpectNoAcceptSpin(*sim, "sim");
}

TEST_F(AcceptExhaustion, RecordAndReplayAnswer503AndServeAgain) {
  TempDir dir;
  const std::string cassette = dir.File("accept.cassette");
  Process sim({WsreplayBin(), "sim", "--listen", "127.0.0.1:0"});
  const std::string upstream = sim.WaitForListening(20s);
  ASSERT_FALSE(upstream.empty()) << sim.stderr_text();
  {
    auto record = StartLimited({"record", "--upstream", upstream, "--cassette", cassette});
    std::string url = record->WaitForListening(20s);
    ASSERT_FALSE(url.empty()) << record->stderr_text();
    ExpectIdleClientsRefusedAtAccept(*record, url, "record");
    StopAndExpectNoAcceptSpin(*record, "record");
  }
  auto replay = StartLimited({"replay", "--cassette", cassette});
  std::string url = replay->WaitForListening(20s);
  ASSERT_FALSE(url.empty()) << replay->stderr_text();
  ExpectIdleClientsRefusedAtAccept(*replay, url, "replay");
  StopAndExpectNoAcceptSpin(*replay, "replay");
}

}  // namespace
}  // namespace wsr::testing
