#include "tests/proxy/transparent_fixture.h"

#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <regex>

#include "cassettes/cassette.h"
#include "tests/support/process.h"

namespace wsr::testing {
namespace {

using namespace std::chrono_literals;

std::string Js(const std::string& script) { return SourceDir() + "/tests/js/" + script; }

// The binary under test: $WSR_TEST_WSREPLAY_BIN when set (to run these tests against another
// build), else the one this test was built with.
std::string BinaryUnderTest() {
  const char* bin = std::getenv("WSR_TEST_WSREPLAY_BIN");
  return bin && *bin ? bin : WsreplayBin();
}

// Pumps p's output until stdout holds a line for which pred is true (or p exits, or timeout).
template <typename Pred>
bool WaitForOutput(Process& p, std::chrono::milliseconds timeout, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred(p.stdout_text())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (p.Wait(20ms).has_value()) return pred(p.stdout_text());
  }
}

// The port after "listening " at the start of a line, or 0.
int ListeningPort(const std::string& out) {
  size_t pos = out.rfind("listening ", 0) == 0 ? 0 : out.find("\nlistening ");
  if (pos == std::string::npos) return 0;
  if (out[pos] == '\n') ++pos;
  if (out.find('\n', pos) == std::string::npos) return 0;
  return std::atoi(out.c_str() + pos + 10);
}

// A loopback port nobody listens on (bound, then released).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

bool IEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strcasecmp(a.c_str(), b.c_str()) == 0;
}

void Normalise(json& j) {
  static const std::regex kHostPort(R"((127\.0\.0\.1|localhost):[0-9]+)");
  if (j.is_string()) {
    j = std::regex_replace(j.get<std::string>(), kHostPort, "HOST:PORT");
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      if (j[i].is_string() && i + 1 < j.size() &&
          (IEquals(j[i].get<std::string>(), "Sec-WebSocket-Key") ||
           IEquals(j[i].get<std::string>(), "Sec-WebSocket-Accept"))) {
        j[i + 1] = "<nonce>";
        ++i;
      } else {
        Normalise(j[i]);
      }
    }
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items()) Normalise(v);
  }
}

// Removes the Host name/value pair from a raw header list.
void DropHost(json& headers) {
  if (!headers.is_array()) return;
  json kept = json::array();
  for (size_t i = 0; i + 1 < headers.size(); i += 2) {
    if (headers[i].is_string() && IEquals(headers[i].get<std::string>(), "Host")) continue;
    kept.push_back(headers[i]);
    kept.push_back(headers[i + 1]);
  }
  headers = kept;
}

std::vector<json> ParseLines(const std::string& out, bool upstream) {
  std::vector<json> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t eol = out.find('\n', start);
    if (eol == std::string::npos) eol = out.size();
    std::string line = out.substr(start, eol - start);
    start = eol + 1;
    if (line.empty() || line.rfind("listening ", 0) == 0) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) j = json{{"unparsed", line}};
    Normalise(j);
    if (upstream && j.value("ev", "") == "upgrade" && j.contains("headers")) DropHost(j["headers"]);
    lines.push_back(std::move(j));
  }
  return lines;
}

std::vector<json> Filter(const std::vector<json>& lines, const std::string& ev) {
  std::vector<json> out;
  for (const auto& j : lines) {
    if (j.is_object() && j.value("ev", "") == ev) out.push_back(j);
  }
  return out;
}

bool HasEvent(const std::string& out, const std::string& ev) {
  return out.find("{\"ev\":\"" + ev + "\"") != std::string::npos;
}

// One run: a fresh upstream, optionally a fresh proxy, then the client.
struct OneRun {
  explicit OneRun(const Scenario& scenario) : s(scenario) {}
  const Scenario& s;
  std::unique_ptr<Process> upstream;
  std::string upstream_url;  // scheme://host:port + prefix

  bool StartUpstream() {
    if (s.upstream.empty()) {
      upstream_url = "ws://127.0.0.1:" + std::to_string(DeadPort()) + s.upstream_prefix;
      return true;
    }
    upstream = std::make_unique<Process>(std::vector<std::string>{
        "node", Js("ws_upstream.mjs"), s.upstream, s.upstream_options.dump()});
    bool ok = WaitForOutput(*upstream, 20s, [](const std::string& o) { return ListeningPort(o); });
    if (!ok) {
      ADD_FAILURE() << "ws_upstream.mjs did not start: " << upstream->stderr_text();
      return false;
    }
    upstream_url = std::string(s.upstream_tls ? "wss://localhost:" : "ws://127.0.0.1:") +
                   std::to_string(ListeningPort(upstream->stdout_text())) + s.upstream_prefix;
    return true;
  }

  Observed RunClient(const std::string& url, const std::map<std::string, std::string>& env) {
    Observed o;
    std::vector<std::string> argv =
        s.raw.empty()
            ? std::vector<std::string>{"node", Js("ws_client.mjs"), url + s.target, s.client.dump()}
            : std::vector<std::string>{"node", Js("raw_client.mjs"), url + s.target, s.raw};
    Process::Options opts;
    opts.env = env;
    auto t0 = std::chrono::steady_clock::now();
    RunResult r = Run(argv, opts, 60s);
    o.client_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(r.status, 0) << "client " << argv[1] << " " << argv[2] << ":\n" << r.out << r.err;
    o.client_out = r.out;
    o.client = ParseLines(r.out, false);
    return o;
  }

  // After the client is done: the upstream's last line of a connection it accepted.
  void FinishUpstream(Observed* o) {
    if (!upstream) return;
    const std::string& out = upstream->stdout_text();
    if (s.upstream != "silent" && HasEvent(out, "upgrade")) {
      WaitForOutput(*upstream, 5s, [](const std::string& text) {
        return HasEvent(text, "close") || HasEvent(text, "refused");
      });
    } else {
      upstream->Wait(100ms);  // whatever it printed meanwhile
    }
    o->upstream_out = upstream->stdout_text();
    o->upstream = ParseLines(o->upstream_out, true);
    upstream.reset();  // SIGKILL and reap
  }
};

}  // namespace

json Observed::Client(const std::string& ev) const {
  auto all = ClientAll(ev);
  return all.empty() ? json::object() : all.front();
}
json Observed::Upstream(const std::string& ev) const {
  auto all = UpstreamAll(ev);
  return all.empty() ? json::object() : all.front();
}
std::vector<json> Observed::ClientAll(const std::string& ev) const { return Filter(client, ev); }
std::vector<json> Observed::UpstreamAll(const std::string& ev) const {
  return Filter(upstream, ev);
}
std::string Observed::Dump() const {
  return "client:\n" + Lines(client) + "upstream:\n" + Lines(upstream);
}

std::string Lines(const std::vector<json>& v) {
  std::string s;
  for (const auto& j : v) s += j.dump() + "\n";
  return s;
}

std::string HeaderValue(const json& raw_headers, const std::string& name) {
  if (!raw_headers.is_array()) return "";
  for (size_t i = 0; i + 1 < raw_headers.size(); i += 2) {
    if (raw_headers[i].is_string() && IEquals(raw_headers[i].get<std::string>(), name)) {
      return raw_headers[i + 1].is_string() ? raw_headers[i + 1].get<std::string>() : "";
    }
  }
  return "";
}

Observed TransparentFixture::RunDirect(const Scenario& s) {
  OneRun run(s);
  if (!run.StartUpstream()) return {};
  Observed o = run.RunClient(run.upstream_url, s.client_env);
  run.FinishUpstream(&o);
  return o;
}

Observed TransparentFixture::RunProxied(const Scenario& s) {
  OneRun run(s);
  if (!run.StartUpstream()) return {};
  cassette_ = dir_.File("run" + std::to_string(++runs_) + ".cassette");
  std::vector<std::string> argv = {BinaryUnderTest(), "record",  "--upstream", run.upstream_url,
                                   "--cassette",      cassette_, "--listen",   "127.0.0.1:0"};
  argv.insert(argv.end(), s.record_args.begin(), s.record_args.end());
  Process::Options opts;
  opts.env = s.record_env;
  Process record(argv, opts);
  std::string url = record.WaitForListening(20s);
  if (url.empty()) {
    record.Wait(5s);
    record_stderr_ = record.stderr_text();
    ADD_FAILURE() << "wsreplay record did not start: " << record_stderr_;
    return {};
  }
  Observed o = run.RunClient(url, {});
  run.FinishUpstream(&o);
  record.Signal(SIGINT);
  record_exit_ = record.Wait(30s).value_or(-1);
  record_stderr_ = record.stderr_text();
  EXPECT_EQ(record_exit_, 0) << record_stderr_;
  return o;
}

Observed TransparentFixture::RunBoth(const Scenario& s) {
  Observed direct = RunDirect(s);
  EXPECT_FALSE(direct.client.empty()) << "the direct run observed nothing";
  Observed proxied = RunProxied(s);
  EXPECT_EQ(Lines(proxied.client), Lines(direct.client))
      << "the client observed something else through the proxy than directly";
  EXPECT_EQ(Lines(proxied.upstream), Lines(direct.upstream))
      << "the upstream observed something else through the proxy than directly";
  return proxied;
}

RecordedSession TransparentFixture::Read() {
  RecordedSession r;
  try {
    auto c = cassette::Cassette::Open(cassette_, cassette::Cassette::Mode::kReadOnly);
    r.session = c->ResolveSession(std::nullopt);
    r.connections = c->Connections(r.session.id);
    for (const auto& conn : r.connections) {
      cassette::FrameFilter filter;
      filter.connection_id = conn.id;
      filter.include_control = true;
      auto cur = c->Frames(filter);
      std::vector<cassette::Frame> frames;
      cassette::Frame f;
      while (cur.Next(&f)) frames.push_back(f);
      std::sort(frames.begin(), frames.end(),
                [](const auto& a, const auto& b) { return a.seq < b.seq; });
      r.frames.push_back(std::move(frames));
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reading " << cassette_ << ": " << e.what();
  }
  return r;
}

std::string TransparentFixture::CassetteBytes() {
  return ReadFile(cassette_) + ReadFile(cassette_ + "-wal") + ReadFile(cassette_ + "-journal");
}

}  // namespace wsr::testing
