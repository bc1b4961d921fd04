// Out of file descriptors: `wsreplay record` under a low RLIMIT_NOFILE (set with prlimit(1))
// answers the connections it cannot open an upstream socket for (and one more descriptor for
// the next accept) with its own 503 and one line saying so, records them as the proxy's
// refusal (not as "1006 by client"; a refusal at the very last descriptor happens at accept,
// before the request is read, and is only logged), and serves new connections again once
// descriptors are free. At start record and sim raise their soft limit to the hard one and say in
// one warning how many connections fit when fewer than 10,000 do.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/proxy/record_fixture.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;

class RecordFdExhaustion : public RecordFixture, public ::testing::WithParamInterface<int> {
 protected:
  // Like StartRecord, with RLIMIT_NOFILE lowered to `fds` for the recorder process.
  void StartRecordWithFds(const std::string& upstream_url, int fds) {
    std::string limit = "--nofile=" + std::to_string(fds) + ":" + std::to_string(fds);
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/prlimit", limit, WsreplayBin(), "record", "--upstream",
                                 upstream_url, "--cassette", cassette_, "--listen", "127.0.0.1:0"});
    url_ = proc_->WaitForListening(20s);
    ASSERT_FALSE(url_.empty()) << proc_->stderr_text();
  }
};

TEST_P(RecordFdExhaustion, FailedUpstreamSocketsAreTheProxysErrorAndServingResumes) {
  if (access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
  TestUpstream up;
  StartRecordWithFds(up.url(), GetParam());
  WsClient::Options quick;
  quick.timeout = 3s;
  std::vector<std::unique_ptr<WsClient>> open;
  int refused_503 = 0;
  for (int i = 0; i < 40 && refused_503 == 0; ++i) {
    auto c = WsClient::Connect(url_ + "/fd" + std::to_string(i), quick);
    if (c->connected()) {
      open.push_back(std::move(c));
    } else if (c->http_status() == 503) {
      ++refused_503;
    }
  }
  ASSERT_GT(refused_503, 0) << "never ran out of descriptors with " << open.size()
                            << " connections open";
  ASSERT_FALSE(open.empty());
  // The ones that got through still relay.
  open.front()->SendText("still here");
  auto echo = open.front()->Receive();
  ASSERT_TRUE(echo.has_value()) << proc_->stderr_text();
  EXPECT_EQ(echo->data, "still here");
  // Free the descriptors: the proxy serves again.
  for (auto& c : open) c->Close(1000, "");
  for (auto& c : open) c->WaitClosed(5s);
  open.clear();
  std::unique_ptr<WsClient> again;
  for (int tries = 0; tries < 50; ++tries) {  // until the proxy has released the closed legs
    again = WsClient::Connect(url_ + "/again", quick);
    if (again->connected()) break;
    if (again->http_status() == 503) ++refused_503;  // still short: refused, and recorded so
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(again->connected()) << again->error();
  again->SendText("back");
  auto back = again->Receive();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->data, "back");
  again->Close(1000, "");
  again->WaitClosed(5s);
  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();

  Recorded r = Read();
  int proxy_503 = 0;
  for (const auto& conn : r.connections) {
    if (conn.http_status == 503) {
      ++proxy_503;
      EXPECT_EQ(conn.close_initiator, "proxy") << "connection " << conn.ordinal;
      // What the client read: one line naming the shortage and the way out.
      const std::string body = conn.response_body.value_or("");
      EXPECT_EQ(body,
                "wsreplay: record is out of file descriptors (Too many open files): try again "
                "later, or raise its limit (ulimit -n) before starting it\n");
    } else {
      EXPECT_EQ(conn.http_status, 101) << "connection " << conn.ordinal;
    }
  }
  // A refusal is recorded when the request had arrived (no descriptor for the upstream
  // socket); one at the very last descriptor happens at accept(), before any request is read,
  // and only the log counts it (tests/e2e/accept_exhaustion_test.cc). Which of the two comes
  // first depends on the parity of the descriptors left: the two limits cover both.
  EXPECT_LE(proxy_503, refused_503);
  if (proxy_503 == 0) {
    EXPECT_NE(proc_->stderr_text().find("record: out of file descriptors (Too many open files): "
                                        "refused "),
              std::string::npos)
        << proc_->stderr_text();
  }
  EXPECT_NE(proc_->stderr_text().find("out of file descriptors"), std::string::npos)
      << proc_->stderr_text();
}

// Two limits of different parity: whether the last free descriptor would go to an accept() or
// to an upstream socket depends on how many the process holds already (CI inherits more than a
// shell does), and both must end in the proxy's 503, never in a client left waiting.
INSTANTIATE_TEST_SUITE_P(Limits, RecordFdExhaustion, ::testing::Values(40, 41));

// The limit under `prlimit --nofile=SOFT:HARD`, from the process's /proc/PID/limits line.
std::string MaxOpenFilesLine(pid_t pid) {
  std::string limits = ReadFile("/proc/" + std::to_string(pid) + "/limits");
  size_t at = limits.find("Max open files");
  return at == std::string::npos ? "" : limits.substr(at, limits.find('\n', at) - at);
}

TEST(FdLimitAtStart, RecordAndSimRaiseTheSoftLimitAndSayHowManyConnectionsFit) {
  if (access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string warning;  // what the one warning line must say
  };
  const std::vector<Case> cases = {
      {{"record", "--upstream", "ws://127.0.0.1:9", "--cassette", dir.File("r.cassette")},
       "record: the open-file limit (4096) leaves room for about 2032 connections (2 "
       "descriptors each), fewer than 10000; more are refused. Raise it before starting: "
       "ulimit -n 20032 (above the hard limit 4096: needs root or CAP_SYS_RESOURCE)\n"},
      {{"sim"},
       "sim: the open-file limit (4096) leaves room for about 4064 connections (1 descriptor "
       "each), fewer than 10000; more are refused. Raise it before starting: ulimit -n 10032 "
       "(above the hard limit 4096: needs root or CAP_SYS_RESOURCE)\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args[0]);
    std::vector<std::string> argv = {"/usr/bin/prlimit", "--nofile=64:4096", WsreplayBin()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    for (const char* a : {"--listen", "127.0.0.1:0"}) argv.push_back(a);
    Process p(argv);
    ASSERT_FALSE(p.WaitForListening(20s).empty()) << p.stderr_text();
    const std::string line = MaxOpenFilesLine(p.pid());
    EXPECT_NE(line.find(" 4096 "), std::string::npos) << line;
    EXPECT_EQ(line.find(" 64 "), std::string::npos) << "soft limit not raised: " << line;
    p.Signal(SIGINT);
    ASSERT_EQ(p.Wait(20s).value_or(-1), 0) << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("open-file limit raised from 64 to 4096 (the hard limit 4096)"),
              std::string::npos)
        << p.stderr_text();
    EXPECT_NE(p.stderr_text().find("wsreplay: warn: " + c.warning), std::string::npos)
        << p.stderr_text();
  }
}

}  // namespace
}  // namespace wsr::testing
