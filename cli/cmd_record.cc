// `wsreplay record`: relay WebSocket clients to an upstream and record every connection into
// a cassette (see proxy/README.md and cassettes/README.md).
//
// Order of work, so that a failing start leaves nothing behind: validate the flags, check the
// cassette (a taken session name is refused before listening), bind the listening socket,
// and only then create the session in the cassette (this creates the file if it is new).
// The readiness line is printed once all of that succeeded.
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "cassettes/cassette.h"
#include "cassettes/writer.h"
#include "cli/commands.h"
#include "cli/version.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/fd_limit.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "common/url.h"
#include "proxy/relay_server.h"
#include "recorder/connection_recorder.h"
#include "recorder/redactor.h"

namespace wsr::cli {
namespace {
struct RecordFlags {
  std::string upstream;
  std::string cassette;
  std::string listen = "127.0.0.1:8765";
  std::string session;
  std::vector<std::string> redact_params, redact_headers, redact_json;
  bool insecure = false;
  std::string upstream_ca;
  std::string upstream_timeout = "10s";
  std::string tls_cert, tls_key;
  uint64_t max_message_size = 16u << 20;
};

std::string DefaultSessionName() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "rec-%Y%m%d-%H%M%S", &tm);
  return buf;
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

int RunRecord(const RecordFlags& f) {
  proxy::RelayServer::Options opts;
  opts.upstream = ParseWsUrl(f.upstream);
  opts.listen = ParseListenAddr(f.listen);
  opts.insecure = f.insecure;
  opts.upstream_ca = f.upstream_ca;
  opts.upstream_timeout_ns = ParseDurationFlag("--upstream-timeout", f.upstream_timeout);
  if (opts.upstream_timeout_ns <= 0)
    throw Error("--upstream-timeout must be more than 0, e.g. 10s");
  opts.tls_cert = f.tls_cert;
  opts.tls_key = f.tls_key;
  CheckMaxMessageSize(f.max_message_size);

  RedactionRules rules;
  for (const auto& p : f.redact_params) rules.AddParam(p);
  for (const auto& h : f.redact_headers) rules.AddHeader(h);
  for (const auto& j : f.redact_json) rules.AddJsonPointer(j);
  const Redactor redactor(rules);

  const std::string session_name = f.session.empty() ? DefaultSessionName() : f.session;
  if (FileExists(f.cassette)) {
    auto c = cassette::Cassette::Open(f.cassette, cassette::Cassette::Mode::kReadOnly);
    if (c->FindSession(session_name)) {
      throw Error("session '" + session_name + "' already exists in " + f.cassette +
                  ": choose another --session name");
    }
  }

  SteadyClock clock;  // the relay's clock too: offsets are steady-clock differences
  recorder::RecordingContext rec;
  rec.redactor = &redactor;
  rec.max_message_size = static_cast<size_t>(f.max_message_size);

  InstallStopSignals();
  const FdLimit fd_limit = RaiseFdLimit();  // before lws sizes its tables from it
  proxy::RelayServer server(opts, rec);
  server.Start();
  // Each relayed connection holds two descriptors: the client's socket and the upstream's.
  LogFdHeadroom(fd_limit, "record", 2, kTargetConnections);

  cassette::Session session;
  session.name = session_name;
  session.started_at_ns = WallClockNs();
  session.upstream = opts.upstream.ToString();
  session.source = "record";
  session.tool_version = kVersion;
  cassette::CassetteWriter writer(f.cassette, session);
  const int64_t start_ns = clock.NowNs();
  server.SetRecording(&writer, start_ns);

  std::printf("listening on %s\n", server.url().c_str());
  std::fflush(stdout);
  log::Info("recording session '" + session_name + "' into " + f.cassette + ", upstream " +
            opts.upstream.ToString());

  server.Run();

  const int64_t duration_ns = clock.NowNs() - start_ns;
  if (!writer.Stop(duration_ns)) {
    throw Error("writing the cassette " + f.cassette + " failed: " + writer.error());
  }
  auto stats = writer.stats();
  log::Info("stopped: " + std::to_string(stats.frames_written) + " frame(s) recorded in session '" +
            session_name + "'" +
            (stats.pauses == 0 ? std::string()
                               : "; relaying paused " + std::to_string(stats.pauses) +
                                     " time(s) until the cassette caught up"));
  return 0;
}
}  // namespace

void AddRecord(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<RecordFlags>();
  auto* cmd = app.add_subcommand(
      "record", "Relay WebSocket clients to an upstream and record everything into a cassette");
  cmd->add_option("--upstream", flags->upstream,
                  "Upstream base URL (ws:// or wss://HOST[:PORT][/PREFIX]); the client's path and "
                  "query are appended")
      ->required();
  cmd->add_option("--cassette", flags->cassette, "Cassette file (SQLite), created if missing")
      ->required();
  cmd->add_option("--listen", flags->listen,
                  "HOST:PORT to accept clients on (port 0 = any free port)")
      ->capture_default_str();
  cmd->add_option("--session", flags->session, "Session name (default rec-YYYYmmdd-HHMMSS, UTC)");
  cmd->add_option("--redact-param", flags->redact_params,
                  "Also redact this query parameter (api_key and token always are)");
  cmd->add_option("--redact-header", flags->redact_headers,
                  "Also redact this handshake header in the cassette (Authorization, Cookie, "
                  "Set-Cookie, X-Api-Key always are); every header is forwarded unchanged");
  cmd->add_option("--redact-json", flags->redact_json,
                  "Redact this JSON pointer inside text frames (Phoenix payloads), e.g. /token");
  cmd->add_flag("--insecure", flags->insecure, "Do not verify the upstream's TLS certificate");
  cmd->add_option("--upstream-ca", flags->upstream_ca,
                  "PEM file of CA certificates to trust for a wss upstream, besides the system's "
                  "(SSL_CERT_FILE works too)");
  cmd->add_option("--upstream-timeout", flags->upstream_timeout,
                  "How long the upstream may take to answer the upgrade, its host name lookup "
                  "and connect included, before the client gets HTTP 504 (e.g. 10s, 500ms)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", flags->tls_cert, "PEM certificate: accept clients over wss");
  cmd->add_option("--tls-key", flags->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--max-message-size", flags->max_message_size,
                  "Largest message recorded, in bytes; a bigger one ends the connection with 1009 "
                  "on both sides")
      ->capture_default_str();
  cmd->callback([flags, exit_code] { *exit_code = RunRecord(*flags); });
}

}  // namespace wsr::cli
