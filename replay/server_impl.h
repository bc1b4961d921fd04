// ReplayServer::Impl (internal): the libwebsockets service thread, its connections and the
// command queue other threads use. Everything below runs on the service thread except
// Post()/Call(), which other threads use to hand it work. See replay_server.h.
//
// For replayed WebSocket connections it is the thin lws transport: each live connection's
// logic is a ReplaySession (replay_session.h, sans-I/O); the callbacks here translate lws
// events into session events and the session's commands into lws_write, lws_close_reason,
// lws_set_timeout (drop) and lws_callback_on_writable. One timer serves every connection,
// armed for the earliest entry of the Schedule (schedule.h). The HTTP half lives in
// http_replay.cc, the control endpoint in control_endpoint.cc (routes: control_api.h).
#pragma once

#include <libwebsockets.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cassettes/session_source.h"
#include "common/accept_guard.h"
#include "common/clock.h"
#include "common/ev_loop.h"
#include "replay/causal_gate.h"
#include "replay/connection_matcher.h"
#include "replay/control_api.h"
#include "replay/engine.h"
#include "replay/fault_stage.h"
#include "replay/http_matcher.h"
#include "replay/http_reply.h"
#include "replay/live_feed.h"
#include "replay/outgoing_queue.h"
#include "replay/replay_server.h"
#include "replay/replay_session.h"
#include "replay/schedule.h"

namespace wsr::replay {

class ReplayServer::Impl {
 public:
  Impl(std::unique_ptr<cassette::SessionSource> source, ServerOptions options);
  ~Impl();

  void Listen();  // creates the lws context; throws wsr::Error
  void RunThread();
  // Runs fn on the service thread and waits for its result (runs inline once stopped).
  template <typename T>
  T Call(std::function<T()> fn);
  void RequestStop();
  void Join();
  // Blocks until the service thread has stopped (on a signal or RequestStop), then joins it.
  void WaitStopped();

  // --- service thread ---
  int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  // Polls every live connection, then Reschedule(): for control actions (advance, step,
  // pause, resume, speed, faults), which change every connection's schedule.
  void PollAll();
  // Recomputes every connection's deadline and arms the timer for the earliest (O(n log n)).
  void Reschedule();
  void SleepUntilDue();  // the last stretch before the next deadline (see Reschedule)
  void DoAdvance(int64_t ms);
  bool DoStep();
  void DoPause();
  void DoResume();
  void DoSetSpeed(double speed);
  void DoAddFault(const FaultSpec& spec);
  void DoAddBreak(const FaultSpec& spec);
  bool DoRemoveBreak(const FaultSpec& spec);
  nlohmann::json DoStatus();
  wsr::replay::Report DoReport();
  // Control endpoint, live page, request guards: takes the request apart for control_api.h
  // and applies the state change it asks for (control_endpoint.cc).
  ControlAnswer HandleHttp(const std::string& method, const std::string& path, lws* wsi);

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& session_name() const { return session_.name; }
  // The report as the service thread left it; read it once the thread has stopped.
  const wsr::replay::Report& final_report() const { return final_report_; }

 private:
  ControlOutcome ApplyControl(const ControlRequest& req);

  std::string host_;
  int port_ = 0;
  cassette::Session session_;
  std::atomic<bool> stopped_{false};
  wsr::replay::Report final_report_;

  // lws sends up to kMaxSend bytes of a connection's batches (OutgoingQueue) per send().
  static constexpr size_t kMaxSend = 256 * 1024;
  // A live replayed connection: its socket and its session (replay_session.h, sans-I/O),
  // whose events this file feeds from lws callbacks and whose commands it carries out.
  struct Live {
    lws* wsi = nullptr;
    std::unique_ptr<ReplaySession> s;
  };
  // An accepted upgrade, between LWS_CALLBACK_HTTP_CONFIRM_UPGRADE and ESTABLISHED: its
  // replayer is built here (reading the cassette), before the 101 goes out, so that the
  // connection's timeline, anchored when the upgrade is established, never waits for it.
  struct Pending {
    int recorded_index = -1;
    std::string path, query;
    std::shared_ptr<const ResumeFrom> resume = nullptr;  // continues a connection a fault ended
    int resumes = 0;
    std::unique_ptr<ConnectionReplayer> engine;
    double speed = 0;  // the speed it was built with
  };
  // Builds p.engine (MakeReplayer) for an accepted upgrade.
  void Prepare(Pending& p);

  // Carries out what the session asked for after an event: a writable callback, waking the
  // live page's subscribers, pausing the clock when a breakpoint fired.
  void Apply(Live& c);
  // The schedule (schedule.h) holds every connection that is idle (nothing queued, no close
  // pending) and has a next deadline, so that an event costs O(log n) and a timer turn polls
  // only the connections that are due, never all of them.
  void Touch(Live& c);       // files c under its current deadline (or removes it)
  void Reschedule(Live& c);  // Touch(c), then ArmTimer()
  void ArmTimer();           // the lws timer for the earliest entry of the schedule
  void PollDue();            // the timer: polls the connections whose deadline has come
  bool WriteFaultRefusal(lws* wsi, int status);
  int OnWriteable(Live& c);
  // Hands the front data batch to lws (lws_write), notes each frame's lateness, pops it; false
  // when the socket failed.
  bool WriteFrontBatch(Live& c);
  // The timer's write: the timed batch a timer turn just released goes out at once, not one
  // loop turn later in the writable callback (which lws_callback_on_writable would cost), when
  // lws holds nothing unsent for the connection; otherwise the writable callback writes it.
  void WriteDueNow(Live& c);
  int OnEstablished(lws* wsi);
  void OnClosed(lws* wsi);
  int OnConfirmUpgrade(lws* wsi);
  bool WriteRecordedRefusal(lws* wsi, const ConnectionMatcher::Choice& choice);
  int OnHttp(lws* wsi, const char* uri);
  // The REST half (http_replay.cc): requests outside /__wsreplay/ answered from the recorded
  // exchanges. A request with a body is answered once LWS_CALLBACK_HTTP_BODY_COMPLETION came.
  static bool IsRestPath(const std::string& path);
  int OnRestRequest(lws* wsi, const std::string& path, const std::string& method);
  int OnRestBody(lws* wsi, const char* data, size_t len);
  int OnRestBodyDone(lws* wsi);
  int AnswerRest(lws* wsi, const HttpRequest& req);
  int WriteRestReply(lws* wsi, const HttpReply& reply);
  int WriteRestReply(lws* wsi, int status, const std::string& message);
  HttpSummary HttpReport() const;
  // Held responses (causal_gate.h): a matched request's recorded response waits until
  // ResponseDeadline (its recorded latency, and every live connection's replay reaching its
  // recorded end); released, it is written on the connection's next writable callback.
  struct HeldResponse {
    int index = -1;  // into http_matcher_.recorded()
    HttpReply reply;
    int64_t arrival = 0;    // on clock_
    std::string request;    // the live "POST /x"
    bool released = false;  // due: the head goes out when writable
  };
  // When h may be sent, and what decides it: a live connection whose replay must first reach
  // the response's recorded end (its live index), or 0 for the response's own recorded time.
  struct HeldWait {
    int64_t deadline = 0;
    int connection = 0;
  };
  HeldWait HeldWaitOf(const HeldResponse& h) const;
  int64_t HeldDeadline(const HeldResponse& h) const { return HeldWaitOf(h).deadline; }
  // "its time, in 1.000ms", "connection 1's pushes recorded before it, in 101.000ms", "paused".
  static std::string HeldWaitText(const HeldWait& w, int64_t now);
  // The status's "http": the report's section plus `pending` (held responses, what each waits
  // for) and `recent` (the last exchanges served, newest first).
  nlohmann::json HttpStatus() const;
  // Marks h's response sent (asking for wsi's writable callback, which writes it, unless
  // `wake` is false: the caller writes it at once) and tells every replayer its exchange was
  // answered; the caller polls the connections afterwards.
  void ReleaseResponse(lws* wsi, HeldResponse& h, int64_t now, bool wake = true);
  bool ReleaseDueResponses(int64_t now);  // true when one was released
  int WriteHeldResponse(lws* wsi);        // HTTP writable: a released response's head
  // The HTTP connection wsi closed: a response still held on it is reported as abandoned.
  void ForgetHeldResponse(lws* wsi);
  // The held response due first: (deadline, wsi); nullopt when none is held.
  std::optional<std::pair<int64_t, lws*>> NextHeldResponse() const;
  void DrainCommands();
  // The live page's event stream (GET /__wsreplay/events): subscribers read feed_ from their
  // cursor when writable; NotifySubscribers() asks lws to call them back after a publish.
  int StartEventStream(lws* wsi);
  int WriteEvents(lws* wsi);
  void NotifySubscribers();
  void ShutdownConnections();
  static void TimerCb(lws_sorted_usec_list_t* sul);

  std::unique_ptr<cassette::SessionSource> source_;  // the recorded session served
  ServerOptions options_;
  AcceptGuard accept_guard_{"replay", 1, true};  // 503 at accept when descriptors run out
  std::unique_ptr<Clock> clock_;
  ManualClock* manual_ = nullptr;
  ConnectionMatcher matcher_;
  // Which recorded exchanges were answered, lent to every replayer (outlives live_).
  CausalGate causal_;
  FaultPlan faults_;
  lws_context* ctx_ = nullptr;
  // The epoll loop ctx_ runs on; null when serving with lws's poll() loop (the plugin is
  // missing, or WSREPLAY_EVENT_LOOP=poll). Destroyed after ctx_.
  std::unique_ptr<EvLoop> ev_;
  std::vector<lws_protocols> protocols_;
  std::vector<std::string> protocol_names_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};

  std::mutex mu_;  // guards commands_, wake_ctx_ and the stopped_ transition
  // ctx_ as other threads may wake it (lws_cancel_service, under mu_ only): cleared before
  // the context is destroyed, so a late Stop() or Call() never touches a dying context.
  lws_context* wake_ctx_ = nullptr;
  std::mutex inline_mu_;  // serializes calls that run inline after the thread stopped
  std::condition_variable cv_;
  std::deque<std::function<void()>> commands_;

  std::map<lws*, std::unique_ptr<Live>> live_;
  std::vector<Live*> by_index_;  // live_ by live index (null once closed)
  Schedule schedule_;            // by live index
  std::vector<int> due_ids_;     // PollDue's scratch
  std::map<lws*, Pending> pending_;
  std::map<lws*, std::string> http_bodies_;
  HttpMatcher http_matcher_;
  std::map<lws*, HttpRequest> rest_requests_;  // waiting for their bodies
  // What HttpReport() starts from: the mismatches and the abandoned held responses.
  HttpSummary http_summary_;
  int64_t http_answered_ = 0;
  std::map<lws*, HeldResponse> held_;
  // Exchanges answered: the first ConnectionReport::kMaxListed (the report's http.served) and
  // the last kRecentServed (a ring indexed by http_answered_), turned into text on demand.
  struct Served {
    int index = -1;  // into http_matcher_.recorded()
    int status = 0;
  };
  std::string ServedLine(const Served& s) const;  // "#2 POST /x -> 201"
  std::vector<Served> http_served_;
  static constexpr size_t kRecentServed = 10;
  std::array<Served, kRecentServed> http_recent_{};
  static constexpr size_t kMaxRestBody = 64 * 1024 * 1024;
  std::vector<unsigned char> rest_out_;  // WriteRestReply's buffer, reused
  LiveFeed feed_;
  struct Subscriber {
    uint64_t cursor = 0;
    bool wake_requested = false;
  };
  std::map<lws*, Subscriber> subscribers_;
  static constexpr size_t kMaxSubscribers = 16;
  static constexpr size_t kEventChunk = 32 * 1024;  // bytes of events per write
  std::vector<ConnectionReport> reports_;  // by live index - 1 (open ones refreshed on demand)
  int64_t refused_ = 0;
  int next_index_ = 1;
  bool paused_ = false;
  bool destroying_ = false;
  std::optional<int64_t> next_deadline_;
  // How early the lws_sul timer (poll() fallback, ~1 ms resolution) wakes before a deadline.
  static constexpr int64_t kEarlyWakeNs = 1'500'000;
  // SleepUntilDue() sleeps until this long before the deadline, then spins: a thread woken
  // from sleep runs tens of microseconds later (more on a VM), one that spins does not. The
  // EvLoop's timerfd wakes this long before the deadline (no sleep: the loop stays free).
  static constexpr int64_t kSpinNs = 100'000;
  double speed_;
  struct Sul {
    lws_sorted_usec_list_t sul;
    Impl* self;
  } sul_{};
};

template <typename T>
T ReplayServer::Impl::Call(std::function<T()> fn) {
  auto task = std::make_shared<std::packaged_task<T()>>(std::move(fn));
  auto fut = task->get_future();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_.load()) {
      lock.unlock();
      std::lock_guard<std::mutex> inline_lock(inline_mu_);
      (*task)();
      return fut.get();
    }
    commands_.push_back([task] { (*task)(); });
    if (wake_ctx_) lws_cancel_service(wake_ctx_);
  }
  // The service thread runs it, or runs every leftover command when it stops.
  return fut.get();
}

}  // namespace wsr::replay
