#include "replay/replay_flags.h"

#include <cstdio>
#include <fstream>

#include "common/duration.h"
#include "common/error.h"
#include "common/fd_limit.h"
#include "common/log.h"
#include "common/stop_signal.h"
#include "common/terminal_text.h"
#include "common/url.h"

namespace wsr::replay {

void AddReplayFlags(CLI::App* cmd, ReplayFlags* f) {
  cmd->add_option("--cassette", f->cassette, "Cassette file to replay (opened read-only)")
      ->required();
  cmd->add_option("--session", f->session, "Session to replay (default: the only one)");
  cmd->add_option("--speed", f->speed, "Playback speed: 1 (recorded gaps), 10, 0.5, or max")
      ->capture_default_str();
  cmd->add_option("--max-gap", f->max_gap, "Cap any single wait, e.g. 2s");
  cmd->add_option("--clock", f->clock,
                  "real, or manual: time moves only through the control endpoint")
      ->capture_default_str();
  cmd->add_option("--on-mismatch", f->on_mismatch,
                  "Client frame not in the cassette: reply-error (phx_reply error) or close (4400)")
      ->capture_default_str();
  cmd->add_flag("--strict", f->strict,
                "Exit non-zero when there are mismatches or undelivered frames");
  cmd->add_option("--protocol", f->protocol, "auto (Phoenix when detected) or raw")
      ->capture_default_str();
  cmd->add_option("--join-timeout", f->join_timeout,
                  "Skip pushes held for a topic not joined this long after they were due")
      ->capture_default_str();
  cmd->add_option("--order", f->order,
                  "connection: pushes in recorded order; topic: per-topic order only")
      ->capture_default_str();
  cmd->add_option("--ignore-json", f->ignore_json,
                  "JSON pointer ignored when comparing client frames (repeatable), e.g. /id");
  cmd->add_option("--match-body", f->match_body,
                  "Plain HTTP requests: compare bodies as json (ignoring volatile fields), exact "
                  "bytes, or none")
      ->capture_default_str();
  cmd->add_option("--causality", f->causality,
                  "on: pushes wait for the HTTP requests recorded before them, responses for the "
                  "pushes before them; off: time and joins only")
      ->capture_default_str();
  cmd->add_option("--report-json", f->report_json, "Also write the report as JSON to this file");
  auto check = [](bool fault) {
    return CLI::Validator(
        [fault](std::string& s) {
          auto r = fault ? ParseFaultSpec(s) : ParseBreakSpec(s);
          auto* err = std::get_if<std::string>(&r);
          return err ? *err : std::string();
        },
        fault ? "SPEC" : "TRIGGER");
  };
  cmd->add_option("--fault", f->faults,
                  "Inject a fault (repeatable): ACTION@TRIGGER[,conn=K], e.g. close:1012@event:"
                  "message_created, drop@frame:5, delay:2s@frame:3, skip@event:E, "
                  "duplicate@frame:4, stall@time:1s, refuse:429@connect:1")
      ->check(check(true));
  cmd->add_option("--break", f->breaks,
                  "Pause the clock just before a frame (repeatable): event:NAME[:TOPIC-PREFIX], "
                  "frame:N, time:D or mismatch")
      ->check(check(false));
  cmd->add_option("--after-fault", f->after_fault,
                  "After a fault ends a connection, the reconnect resumes it (resume) or gets the "
                  "next recorded connection (next)")
      ->capture_default_str();
  cmd->add_option("--allow-origin", f->allow_origins,
                  "Accept WebSocket clients from this web origin too, e.g. http://app.test:8080 "
                  "(repeatable; * = any; loopback origins are always accepted)");
}

ServerOptions ToServerOptions(const ReplayFlags& f) {
  ServerOptions o;
  ReplayOptions& r = o.replay;
  if (!f.session.empty()) r.session = f.session;
  r.speed = ParseSpeed(f.speed);
  if (!f.max_gap.empty()) r.max_gap_ns = ParseDurationFlag("--max-gap", f.max_gap);
  if (f.clock == "manual") {
    r.manual_clock = true;
  } else if (f.clock != "real") {
    throw Error("bad --clock '" + f.clock + "': use real or manual");
  }
  r.on_mismatch = ParseOnMismatch(f.on_mismatch);
  r.strict = f.strict;
  r.protocol = ParseProtocol(f.protocol);
  r.join_timeout_ns = ParseDurationFlag("--join-timeout", f.join_timeout);
  r.order = ParseOrder(f.order);
  for (const auto& p : f.ignore_json) {
    if (!p.empty() && p[0] != '/') {
      throw Error("bad --ignore-json '" + p + "': a JSON pointer starts with '/', e.g. /id");
    }
  }
  r.ignore_json = f.ignore_json;
  r.match_body = ParseBodyMatch(f.match_body);
  r.causality = ParseCausality(f.causality);
  for (const auto& spec : f.faults) {
    auto p = ParseFaultSpec(spec);
    if (auto* err = std::get_if<std::string>(&p)) throw Error(*err);
    r.faults.push_back(std::get<FaultSpec>(p));
  }
  for (const auto& spec : f.breaks) {
    auto p = ParseBreakSpec(spec);
    if (auto* err = std::get_if<std::string>(&p)) throw Error(*err);
    r.breaks.push_back(std::get<FaultSpec>(p));
  }
  r.after_fault = ParseAfterFault(f.after_fault);
  for (const auto& a : f.allow_origins) {
    if (a != "*" && a != "null" && a.find("://") == std::string::npos) {
      throw Error("bad --allow-origin '" + a +
                  "': give a web origin such as http://app.test:8080 (scheme://host[:port]) or *");
    }
  }
  o.allow_origins = f.allow_origins;
  return o;
}

int PrintReport(const Report& report, const ReplayFlags& flags) {
  std::string text = report.ToText();
  PrintSafe(stderr, text);
  std::fflush(stderr);
  if (!flags.report_json.empty()) {
    std::ofstream out(flags.report_json);
    out << report.ToJson().dump(2) << "\n";
    if (!out) throw Error("cannot write the report to '" + flags.report_json + "'");
  }
  return flags.strict && !report.Clean() ? kStrictFailureExit : 0;
}

int ServeUntilSignal(const ReplayFlags& flags, const std::string& listen) {
  ServerOptions opts = ToServerOptions(flags);
  ListenAddr addr = ParseListenAddr(listen);
  opts.host = addr.host;
  opts.port = addr.port;
  opts.stop_on_signal = true;
  InstallStopSignals();
  const FdLimit fd_limit = RaiseFdLimit();  // before lws sizes its tables from it
  auto server = ReplayServer::Start(flags.cassette, opts);
  LogFdHeadroom(fd_limit, "replay", 1, kTargetConnections);
  std::printf("listening on %s\n", server->url().c_str());
  std::fflush(stdout);
  log::Info("replay: live page at http" + server->url().substr(2) + "/__wsreplay/");
  return PrintReport(server->Wait(), flags);
}

}  // namespace wsr::replay
