#include "replay/server_impl.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/loop_stats.h"
#include "common/lws_http.h"
#include "common/stop_signal.h"
#include "common/terminal_text.h"
#include "common/url.h"
#include "replay/request_guard.h"
#include "wire/http_head.h"

namespace wsr::replay {
namespace {

using lwshttp::HeaderCopy;
using lwshttp::MethodOf;
using lwshttp::QueryOf;

int StaticCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* impl = static_cast<ReplayServer::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (!impl) return 0;
  try {
    return impl->Callback(wsi, reason, user, in, len);
  } catch (const std::exception& e) {
    log::Error(std::string("replay: internal error, closing the connection: ") + e.what());
    return -1;
  } catch (...) {
    log::Error("replay: unknown internal error, closing the connection");
    return -1;
  }
}

std::optional<std::string> OptionalHeader(lws* wsi, lws_token_indexes token) {
  if (lws_hdr_total_length(wsi, token) <= 0) return std::nullopt;
  return HeaderCopy(wsi, token);
}

}  // namespace

ReplayServer::Impl::Impl(std::unique_ptr<cassette::SessionSource> source, ServerOptions options)
    : host_(options.host),
      session_(source->session()),
      source_(std::move(source)),
      options_(std::move(options)),
      matcher_(source_->Connections()),
      causal_(source_->Exchanges()),
      faults_(options_.replay.faults, options_.replay.breaks, options_.replay.after_fault),
      http_matcher_(source_->Exchanges(), options_.replay.match_body, options_.replay.ignore_json),
      speed_(options_.replay.speed) {
  if (options_.replay.manual_clock) {
    auto m = std::make_unique<ManualClock>(0);
    manual_ = m.get();
    clock_ = std::move(m);
  } else {
    clock_ = std::make_unique<SteadyClock>();
  }
  protocol_names_.push_back("wsreplay");
  for (const auto& c : matcher_.recorded()) {
    if (c.subprotocol.empty() || c.subprotocol.rfind("redacted:", 0) == 0) continue;
    if (std::find(protocol_names_.begin(), protocol_names_.end(), c.subprotocol) ==
        protocol_names_.end()) {
      protocol_names_.push_back(c.subprotocol);
    }
  }
  for (const auto& name : protocol_names_) {
    lws_protocols p{};
    p.name = name.c_str();
    p.callback = StaticCallback;
    p.rx_buffer_size = 0;
    p.tx_packet_size = kMaxSend;  // a batch of frames in one send() (0 would mean 4 KiB)
    protocols_.push_back(p);
  }
  protocols_.push_back(lws_protocols{});
  sul_.self = this;
  final_report_.cassette = source_->origin();
  final_report_.session = session_.name;
}

ReplayServer::Impl::~Impl() {
  RequestStop();
  Join();
}

void ReplayServer::Impl::Listen() {
  lws_context_creation_info info{};
  info.port = options_.port;
  info.iface = host_.c_str();
  info.protocols = protocols_.data();
  info.user = this;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  if (host_.find(':') != std::string::npos) {
    info.options &= ~static_cast<uint64_t>(LWS_SERVER_OPTION_DISABLE_IPV6);
  }
  info.server_string = "wsreplay";
  // No lws validity timers: by default lws 4.1 pings a connection idle for 300 s and hangs up
  // at 310 s (frames the recording never had), and re-files every connection's validity timer
  // on each frame it reads into one sorted list, O(connections) per frame.
  static const lws_retry_bo_t kNoValidityTimers = {};
  info.retry_and_idle_policy = &kNoValidityTimers;
  ctx_ = CreateContextOnEvLoop(&info, &ev_, "replay");
  if (!ctx_) {
    throw Error("cannot listen on " + host_ + ":" + std::to_string(options_.port) +
                " (address in use or not local? pick another --listen, port 0 = any free port)");
  }
  lws_vhost* vh = lws_get_vhost_by_name(ctx_, "default");
  port_ = vh ? lws_get_vhost_listen_port(vh) : options_.port;
  std::lock_guard<std::mutex> lock(mu_);
  wake_ctx_ = ctx_;
  if (options_.stop_on_signal) RegisterForStopWakeup(ctx_);
}

void ReplayServer::Impl::RunThread() {
  thread_ = std::thread([this] {
    // Timer slack 1 ns instead of Linux's default 50 us: the loop's timer (epoll_wait) and
    // SleepUntilDue() wake when asked, not up to 50 us later (per thread; this one only).
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    using SteadyTp = std::chrono::steady_clock::time_point;
    SteadyTp deadline{};
    bool shutting_down = false;
    std::unique_ptr<LoopTurnStats> loop_stats;
    if (LoopTurnStats::Enabled()) loop_stats = std::make_unique<LoopTurnStats>();
    while (true) {
      bool stop = stop_requested_.load() || (options_.stop_on_signal && StopRequested());
      if (stop && !shutting_down) {
        shutting_down = true;
        ShutdownConnections();
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      }
      if (shutting_down && (live_.empty() || std::chrono::steady_clock::now() > deadline)) break;
      if (loop_stats) loop_stats->Begin();
      int serviced = 0;
      if (ev_) {
        ev_->RunOnce();
      } else {
        serviced = lws_service(ctx_, 0);
      }
      if (loop_stats) loop_stats->End();
      if (serviced < 0) break;
      DrainCommands();
    }
    if (loop_stats) log::Info(loop_stats->Line());
    lws_sul_cancel(&sul_.sul);
    if (ev_) ev_->CancelTimer();
    final_report_ = DoReport();
    destroying_ = true;
    // The sessions go before the context: the callbacks its destruction may still make find
    // no connection to finish (the report above is final).
    schedule_.clear();
    by_index_.clear();
    live_.clear();
    if (options_.stop_on_signal) UnregisterForStopWakeup(ctx_);
    {
      // From here on no other thread wakes the context: it is about to be freed.
      std::lock_guard<std::mutex> lock(mu_);
      wake_ctx_ = nullptr;
    }
    lws_context* ctx = ctx_;
    lws_context_destroy(ctx);  // may still call back for leftover connections
    ctx_ = nullptr;
    ev_.reset();
    std::deque<std::function<void()>> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_.store(true);
      left.swap(commands_);
    }
    for (auto& fn : left) fn();
    cv_.notify_all();
  });
}

void ReplayServer::Impl::RequestStop() {
  stop_requested_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  if (wake_ctx_) lws_cancel_service(wake_ctx_);
}

void ReplayServer::Impl::Join() {
  if (thread_.joinable()) thread_.join();
}

void ReplayServer::Impl::WaitStopped() {
  // A timed wait, not a bare join: under ThreadSanitizer a SIGTERM that lands on a thread
  // parked in pthread_join is only handled once the join returns, which it then never does.
  {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopped_.load()) cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  Join();
}

void ReplayServer::Impl::DrainCommands() {
  std::deque<std::function<void()>> todo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    todo.swap(commands_);
  }
  for (auto& fn : todo) fn();
}

void ReplayServer::Impl::ShutdownConnections() {
  for (auto& [wsi, c] : live_) {
    c->s->Close(1001, "wsreplay stopping");
    Apply(*c);
  }
}

// ---------------- timing ----------------

void ReplayServer::Impl::TimerCb(lws_sorted_usec_list_t* sul) {
  auto* s = lws_container_of(sul, Sul, sul);
  try {
    s->self->SleepUntilDue();
    s->self->PollDue();
  } catch (const std::exception& e) {
    log::Error(std::string("replay: internal error in timer: ") + e.what());
  }
}

void ReplayServer::Impl::SleepUntilDue() {
  if (manual_ || !next_deadline_) return;
  const int64_t due = *next_deadline_;
  int64_t left = due - clock_->NowNs();
  if (left <= 0 || left > 2 * kEarlyWakeNs) return;
  if (left > kSpinNs) std::this_thread::sleep_for(std::chrono::nanoseconds(left - kSpinNs));
  while (clock_->NowNs() < due) {
    // the last stretch (at most kSpinNs plus what the sleep took): no wake-up latency
  }
}

void ReplayServer::Impl::PollAll() {
  int64_t now = clock_->NowNs();
  ReleaseDueResponses(now);
  for (auto& [wsi, c] : live_) {
    c->s->Poll(now);  // a busy one is polled when its queue drained
    Apply(*c);
  }
  Reschedule();
}

void ReplayServer::Impl::Apply(Live& c) {
  ReplaySession::Commands cmd = c.s->TakeCommands();
  if (cmd.want_writable) lws_callback_on_writable(c.wsi);
  if (cmd.feed_published) NotifySubscribers();
  if (cmd.pause_clock && !paused_) {
    log::Info("replay: breakpoint on connection " + std::to_string(c.s->index()) +
              ": clock paused (step, resume or advance to go on)");
    DoPause();
  }
}

void ReplayServer::Impl::Touch(Live& c) {
  schedule_.Set(c.s->index(), manual_ ? std::nullopt : c.s->DueAt());
}

void ReplayServer::Impl::Reschedule() {
  for (auto& [wsi, c] : live_) Touch(*c);
  ArmTimer();
}

void ReplayServer::Impl::Reschedule(Live& c) {
  Touch(c);
  ArmTimer();
}

void ReplayServer::Impl::ArmTimer() {
  if (!ctx_ || destroying_) return;
  lws_sul_cancel(&sul_.sul);
  if (ev_) ev_->CancelTimer();
  next_deadline_.reset();
  if (manual_) return;  // manual time moves only through Advance/Step
  std::optional<int64_t> earliest;
  if (auto r = NextHeldResponse(); r && r->first != Timeline::kNever) earliest = r->first;
  if (auto d = schedule_.Earliest(); d && (!earliest || *d < *earliest)) earliest = d;
  if (!earliest) return;
  int64_t best = *earliest;
  // lws_sul wakes up with about 1 ms resolution: wake up early, then SleepUntilDue() sleeps
  // the rest precisely, so frames leave close to their deadline. The EvLoop's timer (a timerfd)
  // wakes to the microsecond: wake kSpinNs early and spin, so the loop never sleeps while
  // other connections have work (at 10,000 connections there is a deadline every few
  // hundred microseconds).
  const int64_t early_ns = ev_ ? kSpinNs : kEarlyWakeNs;
  int64_t wait_ns = std::max<int64_t>(0, best - clock_->NowNs() - early_ns);
  if (ev_) {
    ev_->ArmTimer(wait_ns, [this] {
      SleepUntilDue();
      PollDue();
      // lws's libev plugin re-arms its own timers (lws_set_timeout, e.g. a drop fault's
      // async kill) only after socket activity: give it some.
      if (ctx_) lws_cancel_service(ctx_);
    });
  } else {
    lws_sul_schedule(ctx_, 0, &sul_.sul, TimerCb, static_cast<lws_usec_t>(wait_ns / 1000));
  }
  next_deadline_ = best;
}

void ReplayServer::Impl::PollDue() {
  int64_t now = clock_->NowNs();
  if (ReleaseDueResponses(now)) {
    PollAll();  // what the released responses caused may be due too
    return;
  }
  due_ids_.clear();
  schedule_.TakeDue(now, &due_ids_);
  for (int id : due_ids_) {
    Live* c = by_index_[static_cast<size_t>(id)];
    if (!c) continue;
    // A connection that became busy since it was filed is polled when its queue drains.
    if (c->s->idle()) {
      c->s->Poll(now);
      Apply(*c);
      WriteDueNow(*c);
    }
    Touch(*c);
  }
  ArmTimer();
}

// ---------------- connections ----------------

int ReplayServer::Impl::OnWriteable(Live& c) {
  OutgoingQueue::Entry* o = c.s->Front();
  if (!o) return 0;
  if (o->kind == OutgoingQueue::Entry::Kind::kClose) {
    lws_close_reason(c.wsi, static_cast<lws_close_status>(o->close_code),
                     reinterpret_cast<unsigned char*>(o->close_reason.data()),
                     o->close_reason.size());
    return -1;
  }
  if (o->kind == OutgoingQueue::Entry::Kind::kDrop) {
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    c.s->OnDropping();
    return 0;
  }
  if (!WriteFrontBatch(c)) return -1;
  if (c.s->Front()) {
    lws_callback_on_writable(c.wsi);
  } else if (!c.s->close_queued()) {
    // Drained: release what became due meanwhile (bounded batches keep memory flat).
    c.s->Poll(clock_->NowNs());
    Apply(c);
    Reschedule(c);
  }
  return 0;
}

bool ReplayServer::Impl::WriteFrontBatch(Live& c) {
  OutgoingQueue::Entry& o = *c.s->Front();
  size_t len = o.buf.size() - LWS_PRE;
  // Whole frames framed by OutgoingQueue: lws writes them as they are (and keeps what the
  // socket did not take, sending it before anything written later).
  int n = lws_write(c.wsi, o.buf.data() + LWS_PRE, len, LWS_WRITE_RAW);
  if (n < static_cast<int>(len)) return false;
  // Lateness is measured now, when the bytes are written (the clock is read only then).
  c.s->OnWritten(o.deadlines.empty() ? 0 : clock_->NowNs());
  return true;
}

void ReplayServer::Impl::WriteDueNow(Live& c) {
  OutgoingQueue::Entry* o = c.s->Front();
  if (!o || o->kind != OutgoingQueue::Entry::Kind::kData || o->deadlines.empty() ||
      lws_partial_buffered(c.wsi)) {
    return;  // the writable callback the session asked for writes it
  }
  if (!WriteFrontBatch(c)) {
    // The socket failed: end the connection as the writable callback would have.
    c.s->OnDropping();
    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
  // Whatever is left (a close behind the frames) goes in the writable callback, which an
  // empty queue turns into a no-op.
}

// Answers an upgrade with a recorded refusal: its status, its headers (the framing ones are
// written for the body served) and its body. False when the recorded head cannot be read or
// does not fit, so that the caller answers with the status alone.
bool ReplayServer::Impl::WriteRecordedRefusal(lws* wsi, const ConnectionMatcher::Choice& choice) {
  wire::HttpHeadParser parser(wire::HttpHeadParser::Kind::kResponse);
  size_t used = 0;
  if (parser.Feed(choice.recorded_head, &used) != wire::HttpHeadParser::Status::kDone) return false;
  const std::string& body = choice.recorded_body;
  std::vector<unsigned char> buf(LWS_PRE + choice.recorded_head.size() + 256 + body.size());
  unsigned char* start = buf.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf.data() + buf.size() - 1;
  if (lws_add_http_header_status(wsi, static_cast<unsigned int>(choice.status), &p, end)) {
    return false;
  }
  for (const auto& h : parser.head().headers) {
    std::string lower = h.name;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
        lower == "keep-alive") {
      continue;
    }
    std::string name = h.name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name.c_str()),
                                    reinterpret_cast<const unsigned char*>(h.value.data()),
                                    static_cast<int>(h.value.size()), &p, end)) {
      return false;
    }
  }
  if (lws_add_http_header_content_length(wsi, body.size(), &p, end) ||
      lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("connection:"),
                                  reinterpret_cast<const unsigned char*>("close"), 5, &p, end) ||
      lws_finalize_http_header(wsi, &p, end)) {
    return false;
  }
  if (static_cast<size_t>(end - p) < body.size()) return false;
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  return lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS) >= 0;
}

// Answers an upgrade with the status a refuse fault names (429 and 503 with Retry-After: 1).
bool ReplayServer::Impl::WriteFaultRefusal(lws* wsi, int status) {
  std::string body = "wsreplay: upgrade refused with HTTP " + std::to_string(status) +
                     " by a fault (--fault refuse:" + std::to_string(status) + "@connect:N)\n";
  std::vector<unsigned char> buf(LWS_PRE + 1024 + body.size());
  unsigned char* start = buf.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf.data() + buf.size() - 1;
  auto header = [&](const char* name, const std::string& value) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  if (lws_add_http_header_status(wsi, static_cast<unsigned int>(status), &p, end)) return false;
  if ((status == 429 || status == 503) && !header("retry-after:", "1")) return false;
  if (!header("content-type:", "text/plain") || !header("connection:", "close") ||
      lws_add_http_header_content_length(wsi, body.size(), &p, end) ||
      lws_finalize_http_header(wsi, &p, end)) {
    return false;
  }
  std::memcpy(p, body.data(), body.size());
  p += body.size();
  return lws_write(wsi, start, static_cast<size_t>(p - start), LWS_WRITE_HTTP_HEADERS) >= 0;
}

int ReplayServer::Impl::OnConfirmUpgrade(lws* wsi) {
  std::string path = HeaderCopy(wsi, WSI_TOKEN_GET_URI);
  std::string query = QueryOf(wsi);
  auto origin = OptionalHeader(wsi, WSI_TOKEN_ORIGIN);
  if (!UpgradeOriginAllowed(origin, options_.allow_origins)) {
    // Before the fault stage counts the attempt: a foreign page is not a connection attempt.
    std::string shown = EscapeControls(origin->substr(0, 200));
    log::Warn("replay: refusing WebSocket upgrade of " + EscapeControls(path) + " from origin '" +
              shown +
              "' with HTTP 403: only loopback origins are accepted by default; pass "
              "--allow-origin " +
              shown + " to accept it");
    ConnectionReport r;
    r.live_index = next_index_++;
    r.path = path;
    r.query = query;
    r.mode = "refused";
    r.http_status = 403;
    ++refused_;
    reports_.push_back(r);
    lws_return_http_status(wsi, 403,
                           "this Origin is not allowed: start wsreplay with --allow-origin ORIGIN");
    return 1;
  }
  if (int refuse = faults_.OnUpgradeAttempt(clock_->NowNs(), next_index_)) {
    ConnectionReport r;
    r.live_index = next_index_++;
    r.path = path;
    r.query = query;
    r.mode = "refused";
    r.http_status = refuse;
    r.close = "refused by a fault";
    reports_.push_back(r);
    log::Info("replay: refusing upgrade of " + path + " with HTTP " + std::to_string(refuse) +
              " (fault)");
    if (!WriteFaultRefusal(wsi, refuse)) {
      lws_return_http_status(wsi, static_cast<unsigned int>(refuse), "refused by a wsreplay fault");
    }
    return 1;
  }
  if (faults_.after_fault() == AfterFault::kResume) {
    if (auto rp = faults_.TakeResumePoint(path, query)) {
      Pending& p = pending_[wsi];
      p.recorded_index = rp->recorded_index;
      p.path = path;
      p.query = query;
      p.resume = rp->from;
      p.resumes = rp->live_index;
      Prepare(p);
      return 0;
    }
  }
  auto choice = matcher_.Choose(path, query);
  if (choice.status == 101) {
    Pending& p = pending_[wsi];
    p.recorded_index = choice.index;
    p.path = path;
    p.query = query;
    Prepare(p);
    return 0;
  }
  ConnectionReport r;
  r.live_index = next_index_++;
  r.recorded_ordinal = choice.index >= 0 ? matcher_.recorded()[choice.index].ordinal : 0;
  r.path = path;
  r.query = query;
  r.mode = "refused";
  r.http_status = choice.status;
  if (choice.index < 0) ++refused_;
  reports_.push_back(r);
  log::Info("replay: refusing upgrade of " + path + " with HTTP " + std::to_string(choice.status) +
            ": " + choice.message);
  if (!choice.recorded_head.empty() && WriteRecordedRefusal(wsi, choice)) return 1;
  lws_return_http_status(wsi, static_cast<unsigned int>(choice.status), choice.message.c_str());
  return 1;
}

void ReplayServer::Impl::Prepare(Pending& p) {
  ReplayOptions o = options_.replay;
  o.speed = speed_;
  p.speed = speed_;
  p.engine = MakeReplayer(*source_, matcher_.recorded()[p.recorded_index], o, p.resume,
                          options_.replay.causality ? &causal_ : nullptr);
  p.engine->MeasureLatenessAtWrite();
}

int ReplayServer::Impl::OnEstablished(lws* wsi) {
  // The connection's timeline starts here, when the upgrade is accepted: before anything
  // else this callback does, so that nothing shifts its schedule.
  int64_t now = clock_->NowNs();
  auto it = pending_.find(wsi);
  const int index = next_index_++;
  reports_.emplace_back();
  if (it == pending_.end()) {
    log::Error("replay: established connection without a chosen recording");
    reports_.back().live_index = index;
    static char kWhy[] = "wsreplay: no recording chosen";
    lws_close_reason(wsi, static_cast<lws_close_status>(1011),
                     reinterpret_cast<unsigned char*>(kWhy), sizeof kWhy - 1);
    return -1;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (!p.engine) Prepare(p);
  auto c = std::make_unique<Live>();
  c->wsi = wsi;
  c->s = std::make_unique<ReplaySession>(
      ReplaySession::Identity{index, p.recorded_index, p.path, p.query, p.resume, p.resumes},
      std::move(p.engine), &faults_, &feed_, LWS_PRE);
  if (p.resumes > 0) {
    // The connection it resumes owes nothing any more: what is still undelivered is this one's.
    ConnectionReport& old = reports_[static_cast<size_t>(p.resumes - 1)];
    old.resumed_by = index;
    old.undelivered.clear();
    old.undelivered_count = 0;
  }
  c->s->Start(now);
  if (p.speed != speed_) c->s->SetSpeed(now, speed_);  // changed since it was prepared
  if (paused_) c->s->Pause(now);
  log::Info("replay: connection " + std::to_string(index) + " " + p.path + " served by recorded #" +
            std::to_string(matcher_.recorded()[p.recorded_index].ordinal) + " [" + c->s->mode() +
            "]" + (p.resumes ? " resuming connection " + std::to_string(p.resumes) : ""));
  Live& ref = *c;
  live_[wsi] = std::move(c);
  if (by_index_.size() <= static_cast<size_t>(index))
    by_index_.resize(static_cast<size_t>(index) + 1, nullptr);
  by_index_[static_cast<size_t>(index)] = &ref;
  ref.s->Poll(now);
  Apply(ref);
  Reschedule(ref);
  return 0;
}

void ReplayServer::Impl::OnClosed(lws* wsi) {
  pending_.erase(wsi);
  auto it = live_.find(wsi);
  if (it == live_.end()) return;
  Live& c = *it->second;
  const int index = c.s->index();
  c.s->OnSocketEnded(clock_->NowNs());
  reports_[static_cast<size_t>(index - 1)] = c.s->Report();
  if (c.s->TakeCommands().feed_published) NotifySubscribers();
  schedule_.Remove(index);
  by_index_[static_cast<size_t>(index)] = nullptr;
  live_.erase(it);
  ArmTimer();
}

// ---------------- the callback ----------------

int ReplayServer::Impl::Callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in,
                                 size_t len) {
  switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:  // accepted, nothing built yet
      return accept_guard_.Admit(static_cast<int>(reinterpret_cast<intptr_t>(in)),
                                 SteadyClock().NowNs())
                 ? 0
                 : 1;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      if (in && std::strcmp(static_cast<const char*>(in), "websocket") == 0) {
        return OnConfirmUpgrade(wsi);
      }
      return 0;
    case LWS_CALLBACK_ESTABLISHED:
      return OnEstablished(wsi);
    case LWS_CALLBACK_RECEIVE: {
      auto it = live_.find(wsi);
      if (it == live_.end()) return -1;
      Live& c = *it->second;
      // A new message starts with its opcode (1 text, 2 binary); its continuations carry 0.
      int opcode = lws_is_first_fragment(wsi) ? (lws_frame_is_binary(wsi) ? 2 : 1) : 0;
      bool fin = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
      c.s->OnClientFrame(clock_->NowNs(), opcode,
                         std::string_view(static_cast<const char*>(in), len), fin);
      Apply(c);
      if (fin) Reschedule(c);
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      auto it = live_.find(wsi);
      if (it == live_.end()) return 0;
      return OnWriteable(*it->second);
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      auto it = live_.find(wsi);
      if (it == live_.end()) return 0;
      int code = 1005;
      std::string why;
      auto* b = static_cast<const unsigned char*>(in);
      if (len >= 2) {
        code = (b[0] << 8) | b[1];
        why.assign(reinterpret_cast<const char*>(b) + 2, len - 2);
      }
      it->second->s->OnPeerClosed(clock_->NowNs(), code, why);
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      OnClosed(wsi);
      return 0;
    case LWS_CALLBACK_HTTP:
      return OnHttp(wsi, static_cast<const char*>(in));
    case LWS_CALLBACK_HTTP_WRITEABLE: {
      if (subscribers_.count(wsi)) return WriteEvents(wsi);
      if (held_.count(wsi)) return WriteHeldResponse(wsi);
      auto it = http_bodies_.find(wsi);
      if (it == http_bodies_.end()) return 0;
      std::string body = std::move(it->second);
      http_bodies_.erase(it);
      std::vector<unsigned char> buf(LWS_PRE + body.size());
      if (!body.empty()) std::memcpy(buf.data() + LWS_PRE, body.data(), body.size());
      if (!body.empty() && lws_write(wsi, buf.data() + LWS_PRE, body.size(), LWS_WRITE_HTTP_FINAL) <
                               static_cast<int>(body.size())) {
        return -1;
      }
      return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_HTTP_BODY:
      // REST requests collect their bodies; control requests carry their arguments in the
      // query and their bodies are ignored.
      return OnRestBody(wsi, static_cast<const char*>(in), len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return OnRestBodyDone(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
      http_bodies_.erase(wsi);
      rest_requests_.erase(wsi);
      ForgetHeldResponse(wsi);  // the client may have left before its response was due
      subscribers_.erase(wsi);
      pending_.erase(wsi);
      return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      DrainCommands();
      return 0;
    default:
      return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
  }
}

int ReplayServer::Impl::OnHttp(lws* wsi, const char* uri) {
  std::string path = uri ? uri : "";
  if (IsRestPath(path)) return OnRestRequest(wsi, path, MethodOf(wsi));
  ControlAnswer a = HandleHttp(MethodOf(wsi), path, wsi);
  if (a.event_stream) return StartEventStream(wsi);
  unsigned char headers[LWS_PRE + 1024];
  unsigned char* start = headers + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = headers + sizeof headers - 1;
  if (lws_add_http_common_headers(wsi, static_cast<unsigned int>(a.status), a.content_type.c_str(),
                                  a.body.size(), &p, end)) {
    return 1;
  }
  auto add = [&](const char* name, const std::string& value) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end) == 0;
  };
  if (!add("cache-control:", "no-store") || (!a.allow.empty() && !add("allow:", a.allow)) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  http_bodies_[wsi] = std::move(a.body);
  lws_callback_on_writable(wsi);
  return 0;
}

int ReplayServer::Impl::StartEventStream(lws* wsi) {
  if (subscribers_.size() >= kMaxSubscribers) {
    lws_return_http_status(wsi, 503, "too many live pages open (16): close one");
    return 1;
  }
  unsigned char headers[LWS_PRE + 512];
  unsigned char* start = headers + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = headers + sizeof headers - 1;
  static const std::string kNoCache = "no-store";
  if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p,
                                  end) ||
      lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>("cache-control:"),
                                  reinterpret_cast<const unsigned char*>(kNoCache.data()),
                                  static_cast<int>(kNoCache.size()), &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    return 1;
  }
  // Long-lived: no idle timeout, and its header storage goes back to the pool. (Not
  // lws_http_mark_sse(), which only applies to HTTP/2 streams and logs an error for HTTP/1.)
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  lws_http_headers_detach(wsi);
  subscribers_[wsi] = Subscriber{feed_.oldest_id(), true};
  lws_callback_on_writable(wsi);
  return 0;
}

int ReplayServer::Impl::WriteEvents(lws* wsi) {
  Subscriber& s = subscribers_[wsi];
  s.wake_requested = false;
  std::string chunk;
  if (!feed_.Read(&s.cursor, kEventChunk, &chunk)) return 0;
  std::vector<unsigned char> buf(LWS_PRE + chunk.size());
  std::memcpy(buf.data() + LWS_PRE, chunk.data(), chunk.size());
  // lws keeps what the socket did not take and calls back only once it went out, so a slow
  // page holds at most one chunk here; the feed itself is a bounded ring.
  if (lws_write(wsi, buf.data() + LWS_PRE, chunk.size(), LWS_WRITE_HTTP) <
      static_cast<int>(chunk.size())) {
    return -1;
  }
  if (s.cursor < feed_.next_id()) {
    s.wake_requested = true;
    lws_callback_on_writable(wsi);
  }
  return 0;
}

void ReplayServer::Impl::NotifySubscribers() {
  for (auto& [wsi, s] : subscribers_) {
    if (s.wake_requested) continue;
    s.wake_requested = true;
    lws_callback_on_writable(wsi);
  }
}

}  // namespace wsr::replay
