// `wsreplay record` relays plain HTTP/1.1 (the REST half) on its WebSocket listener: through the
// real binary, between a small HTTP upstream and a raw-socket client on 127.0.0.1. One
// keep-alive connection carries a GET and a POST with JSON, a chunked response, a gzip response
// and a 401; a registration response's api_key is redacted; a dead upstream gives a 502. Then
// the cassette holds the exchanges with no secret bytes in any file, and `show` lists them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/proxy/record_fixture.h"
#include "wire/http_body.h"
#include "wire/http_head.h"

namespace wsr::testing {
namespace {

const std::string kAgentKey = "AGENTKEY5ecret0101";
const std::string kNewKey = "NEWKEY5ecret0102";
const std::string kQueryKey = "QUERYKEY5ecret0103";

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

int Listen(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads one HTTP message (head and body) from fd, with `buffered` holding bytes read before.
// Returns the raw bytes of the message; "" on EOF/timeout/parse error.
struct Message {
  std::string raw;
  wire::HttpHead head;
  std::string body;  // decoded from chunked
};
std::optional<Message> ReadMessage(int fd, std::string* buffered, wire::HttpHeadParser::Kind kind,
                                   bool head_request = false) {
  wire::HttpHeadParser parser(kind);
  std::optional<wire::HttpBodyReader> body;
  Message m;
  for (;;) {
    while (!buffered->empty()) {
      size_t used = 0;
      if (!body) {
        auto st = parser.Feed(*buffered, &used);
        m.raw += buffered->substr(0, used);
        buffered->erase(0, used);
        if (st == wire::HttpHeadParser::Status::kError) return std::nullopt;
        if (st == wire::HttpHeadParser::Status::kNeedMore) continue;
        m.head = parser.head();
        uint64_t length = 0;
        std::string error;
        auto framing = wire::HttpBodyReader::FramingOf(m.head, &length, &error);
        if (head_request) framing = wire::HttpBodyReader::Framing::kNone;
        body.emplace(framing, length, 1 << 20);
        if (framing == wire::HttpBodyReader::Framing::kNone) return m;
        continue;
      }
      auto st = body->Feed(*buffered, &used);
      m.raw += buffered->substr(0, used);
      buffered->erase(0, used);
      if (st == wire::HttpBodyReader::Status::kError) return std::nullopt;
      if (st == wire::HttpBodyReader::Status::kDone) {
        m.body = body->content();
        return m;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return std::nullopt;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return std::nullopt;
    buffered->append(buf, static_cast<size_t>(n));
  }
}

// A keep-alive HTTP/1.1 upstream on its own thread: one thread per connection, answering by
// path. It records the requests it got (head raw bytes).
class HttpUpstream {
 public:
  HttpUpstream() {
    listen_fd_ = Listen(&port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~HttpUpstream() {
    StopListening();
    if (accept_thread_.joinable()) accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    for (int fd : conn_fds_) ::close(fd);
  }
  int port() const { return port_; }
  // Closes the listening socket: later connections are refused.
  void StopListening() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      conn_fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  void Serve(int fd) {
    std::string buffered;
    for (;;) {
      auto req = ReadMessage(fd, &buffered, wire::HttpHeadParser::Kind::kRequest);
      if (!req) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req->head.raw);
      }
      SendAll(fd, Answer(*req));
    }
  }
  static std::string WithLength(const std::string& status, const std::string& headers,
                                const std::string& body) {
    return "HTTP/1.1 " + status + "\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  std::string Answer(const Message& req) {
    const auto* key = req.head.Find("X-API-Key");
    std::string t = req.head.target;  // the proxy adds --upstream's path prefix
    if (t.rfind("/prefix/", 0) == 0) t = t.substr(7);
    if (!key || key->value != kAgentKey) {
      return WithLength("401 Unauthorized", "Content-Type: application/json\r\n",
                        R"({"error":"unauthorized","message":"Invalid or missing API key"})");
    }
    if (t.rfind("/api/v1/agent/me", 0) == 0) {
      return WithLength("200 OK", "Content-Type: application/json\r\nX-Request-ID: r1\r\n",
                        R"({"data":{"id":"agent-1","name":"Smoke"}})");
    }
    if (t == "/api/v1/agent/chats/c1/messages" && req.head.method == "POST") {
      return WithLength("201 Created", "Content-Type: application/json\r\n",
                        R"({"data":{"id":"m1","echo":)" + req.body + "}}");
    }
    if (t == "/api/v1/agent/chats") {
      // Chunked, with a chunk extension and a trailer.
      std::string out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
      const char* ext = "";
      for (const std::string piece : {R"({"data":[{")", R"(id":"c1"}],"m)", R"(etadata":{}})"}) {
        char size[16];
        std::snprintf(size, sizeof(size), "%zx", piece.size());
        out += std::string(size) + ext + "\r\n" + piece + "\r\n";
        ext = ";ext=1";
      }
      return out + "0\r\nX-Trailer: t\r\n\r\n";
    }
    if (t == "/api/v1/agent/peers") {
      std::string gz = Gzip(R"({"data":[{"id":"peer-1"}],"metadata":{"page":1}})");
      return WithLength("200 OK", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
                        gz);
    }
    if (t == "/api/v1/me/agents/register") {
      return WithLength("201 Created", "Content-Type: application/json\r\n",
                        R"({"data":{"agent":{"id":"a2"},"api_key":")" + kNewKey + R"("}})");
    }
    return WithLength("404 Not Found", "", "no");
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conn_fds_;
  std::vector<std::thread> threads_;
  std::vector<std::string> requests_;
};

class RecordHttp : public RecordFixture {};

TEST_F(RecordHttp, RestRequestsAreRelayedAndRecordedWithSecretsRedacted) {
  HttpUpstream up;
  ASSERT_GT(up.port(), 0);
  StartRecord("ws://127.0.0.1:" + std::to_string(up.port()) + "/prefix");
  const int proxy_port = PortOf(url_);

  int fd = Connect(proxy_port);
  ASSERT_GE(fd, 0);
  std::string buffered;
  auto exchange = [&](const std::string& request, bool head = false) {
    SendAll(fd, request);
    auto m = ReadMessage(fd, &buffered, wire::HttpHeadParser::Kind::kResponse, head);
    EXPECT_TRUE(m) << "no response to " << request;
    return m.value_or(Message{});
  };
  const std::string auth = "X-API-Key: " + kAgentKey + "\r\n";
  Message me =
      exchange("GET /api/v1/agent/me?api_key=" + kQueryKey +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n" + auth + "\r\n");
  EXPECT_EQ(me.head.status, 200);
  EXPECT_EQ(me.body, R"({"data":{"id":"agent-1","name":"Smoke"}})");
  const std::string post_body = R"({"message":{"content":"hi @Smoke"}})";
  Message post = exchange("POST /api/v1/agent/chats/c1/messages HTTP/1.1\r\nHost: x\r\n" + auth +
                          "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(post_body.size()) + "\r\n\r\n" + post_body);
  EXPECT_EQ(post.head.status, 201);
  EXPECT_EQ(post.body, R"({"data":{"id":"m1","echo":)" + post_body + "}}");
  Message chats = exchange("GET /api/v1/agent/chats HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
  EXPECT_NE(chats.raw.find(";ext=1\r\n"), std::string::npos) << "relayed as sent: " << chats.raw;
  EXPECT_NE(chats.raw.find("\r\n0\r\nX-Trailer: t\r\n\r\n"), std::string::npos) << chats.raw;
  EXPECT_EQ(chats.body, R"({"data":[{"id":"c1"}],"metadata":{}})");
  Message peers = exchange("GET /api/v1/agent/peers HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
  EXPECT_EQ(peers.head.Find("Content-Encoding")->value, "gzip");
  EXPECT_NE(peers.body.substr(0, 2), "{\"") << "the client gets the gzip bytes as sent";
  Message reg = exchange("POST /api/v1/me/agents/register HTTP/1.1\r\nHost: x\r\n" + auth +
                         "Content-Length: 2\r\n\r\n{}");
  EXPECT_NE(reg.body.find(kNewKey), std::string::npos) << "the client gets the real new key";
  Message denied = exchange("GET /api/v1/agent/me HTTP/1.1\r\nHost: x\r\nX-API-Key: wrong\r\n\r\n");
  EXPECT_EQ(denied.head.status, 401);
  Message head = exchange("HEAD /api/v1/agent/me HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n", true);
  EXPECT_EQ(head.head.status, 200);
  ::close(fd);

  // One upstream connection carried them all, with Host and the target rewritten.
  auto seen = up.requests();
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen[0].rfind("GET /prefix/api/v1/agent/me?api_key=" + kQueryKey +
                              " HTTP/1.1\r\n"
                              "Host: 127.0.0.1:" +
                              std::to_string(up.port()) + "\r\n",
                          0),
            0u)
      << seen[0];

  // Upstream gone: a new client connection gets a 502.
  up.StopListening();
  int fd2 = Connect(proxy_port);
  ASSERT_GE(fd2, 0);
  std::string buffered2;
  SendAll(fd2, "GET /api/v1/agent/me HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n");
  auto bad = ReadMessage(fd2, &buffered2, wire::HttpHeadParser::Kind::kResponse);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->head.status, 502);
  ::close(fd2);

  ASSERT_EQ(StopRecord(), 0) << proc_->stderr_text();

  std::string files;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) files += ReadFile(cassette_ + suffix);
  ASSERT_FALSE(files.empty());
  for (const auto& secret : {kAgentKey, kNewKey, kQueryKey}) {
    EXPECT_EQ(files.find(secret), std::string::npos) << secret << " leaked into the cassette";
    EXPECT_EQ(proc_->stderr_text().find(secret), std::string::npos) << secret << " in the logs";
  }

  auto c = cassette::Cassette::Open(cassette_, cassette::Cassette::Mode::kReadOnly);
  auto session = c->ResolveSession(std::nullopt);
  auto ex = c->Exchanges(session.id);
  ASSERT_EQ(ex.size(), 8u);
  EXPECT_TRUE(c->Connections(session.id).empty()) << "no WebSocket connection rows";
  for (size_t i = 0; i < ex.size(); ++i) {
    EXPECT_EQ(ex[i].ordinal, static_cast<int>(i + 1));
    EXPECT_EQ(ex[i].http_connection, i < 7 ? 1 : 2);
    ASSERT_TRUE(ex[i].response_ns) << i;
    EXPECT_LE(ex[i].request_ns, *ex[i].response_ns);
    if (i && ex[i - 1].response_ns) {
      EXPECT_GE(ex[i].request_ns, *ex[i - 1].response_ns) << "one at a time, in order";
    }
  }
  EXPECT_EQ(ex[0].path, "/api/v1/agent/me");
  EXPECT_NE(ex[0].query.find("api_key=redacted:api_key:"), std::string::npos);
  EXPECT_EQ(ex[0].response_body, me.body);
  EXPECT_EQ(ex[1].method, "POST");
  EXPECT_EQ(ex[1].request_body, post_body);
  EXPECT_EQ(ex[1].status, 201);
  EXPECT_EQ(ex[2].response_body, chats.body) << "stored de-chunked";
  EXPECT_EQ(ex[3].response_body, R"({"data":[{"id":"peer-1"}],"metadata":{"page":1}})");
  EXPECT_EQ(ex[3].flags, cassette::kResponseBodyDecoded);
  EXPECT_NE(ex[4].response_body.find(R"("api_key":"redacted:api_key:)"), std::string::npos);
  EXPECT_EQ(ex[5].status, 401);
  EXPECT_EQ(ex[6].method, "HEAD");
  EXPECT_EQ(ex[7].status, 502);
  EXPECT_EQ(ex[7].initiator, "proxy");

  RunResult ls = testing::Run({WsreplayBin(), "ls", cassette_});
  EXPECT_EQ(ls.status, 0) << ls.err;
  EXPECT_NE(ls.out.find("8 HTTP exchange(s)"), std::string::npos) << ls.out;
  RunResult show = testing::Run({WsreplayBin(), "show", cassette_});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("h1   -> HTTP  POST /api/v1/agent/chats/c1/messages  201  "),
            std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("h2   -> HTTP  GET /api/v1/agent/me  502  "), std::string::npos)
      << show.out;
  EXPECT_EQ(show.out.find(kAgentKey), std::string::npos);
}

}  // namespace
}  // namespace wsr::testing
