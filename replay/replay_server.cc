#include "replay/replay_server.h"

#include "cassettes/cassette_session.h"
#include "common/error.h"
#include "common/url.h"
#include "replay/server_impl.h"

namespace wsr::replay {

std::unique_ptr<ReplayServer> ReplayServer::Start(const std::string& cassette_path,
                                                  ServerOptions options) {
  auto cassette = cassette::Cassette::Open(cassette_path, cassette::Cassette::Mode::kReadOnly);
  cassette::Session session = cassette->ResolveSession(options.replay.session);
  auto impl = std::make_unique<Impl>(
      std::make_unique<cassette::CassetteSession>(std::move(cassette), std::move(session)),
      std::move(options));
  impl->Listen();
  impl->RunThread();
  return std::unique_ptr<ReplayServer>(new ReplayServer(std::move(impl)));
}

ReplayServer::ReplayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReplayServer::~ReplayServer() { Stop(); }

std::string ReplayServer::url() const { return "ws://" + HostPort(impl_->host(), impl_->port()); }
int ReplayServer::port() const { return impl_->port(); }
const std::string& ReplayServer::session() const { return impl_->session_name(); }

void ReplayServer::Advance(int64_t ms) {
  impl_->Call<int>([this, ms] {
    impl_->DoAdvance(ms);
    return 0;
  });
}
bool ReplayServer::Step() {
  return impl_->Call<bool>([this] { return impl_->DoStep(); });
}
void ReplayServer::Pause() {
  impl_->Call<int>([this] {
    impl_->DoPause();
    return 0;
  });
}
void ReplayServer::Resume() {
  impl_->Call<int>([this] {
    impl_->DoResume();
    return 0;
  });
}
void ReplayServer::SetSpeed(double speed) {
  impl_->Call<int>([this, speed] {
    impl_->DoSetSpeed(speed);
    return 0;
  });
}
namespace {
FaultSpec Parsed(std::variant<FaultSpec, std::string> r) {
  if (auto* err = std::get_if<std::string>(&r)) throw Error(*err);
  return std::get<FaultSpec>(std::move(r));
}
}  // namespace

void ReplayServer::AddFault(const FaultSpec& spec) {
  impl_->Call<int>([this, spec] {
    impl_->DoAddFault(spec);
    return 0;
  });
}
void ReplayServer::AddFault(const std::string& spec) { AddFault(Parsed(ParseFaultSpec(spec))); }
void ReplayServer::AddBreak(const FaultSpec& spec) {
  impl_->Call<int>([this, spec] {
    impl_->DoAddBreak(spec);
    return 0;
  });
}
void ReplayServer::AddBreak(const std::string& spec) { AddBreak(Parsed(ParseBreakSpec(spec))); }
bool ReplayServer::RemoveBreak(const std::string& spec) {
  FaultSpec s = Parsed(ParseBreakSpec(spec));
  return impl_->Call<bool>([this, s] { return impl_->DoRemoveBreak(s); });
}

nlohmann::json ReplayServer::Status() {
  return impl_->Call<nlohmann::json>([this] { return impl_->DoStatus(); });
}
wsr::replay::Report ReplayServer::Report() {
  return impl_->Call<wsr::replay::Report>([this] { return impl_->DoReport(); });
}
wsr::replay::Report ReplayServer::Stop() {
  impl_->RequestStop();
  impl_->Join();
  return impl_->final_report();
}
wsr::replay::Report ReplayServer::Wait() {
  impl_->WaitStopped();
  return impl_->final_report();
}

}  // namespace wsr::replay
