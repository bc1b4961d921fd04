// AcceptGuard: refusing a new connection, right after accept(), when descriptors run out.
//
// libwebsockets 4.1 polls its listening socket level-triggered and, when accept() fails with
// EMFILE, logs one error line and returns to the loop, which wakes again at once: a core spun
// (and a log line per try) for as long as idle clients hold every descriptor, while the
// clients behind them wait unanswered. A server therefore checks each accepted connection at
// LWS_CALLBACK_FILTER_NETWORK_CONNECTION (its protocols[0] callback, before lws builds anything
// for it; record, which has no lws, right after its accept4): when fewer than `spare` more
// descriptors could be opened after it, the connection is answered at once with the server's
// 503 and closed (lws closes it when the callback returns non-zero; record closes it itself),
// so accept() always has a descriptor left, never fails, and never spins.
// `spare` is 1 (a descriptor for the next accept) for every server: record checks for its
// upstream socket once the request has arrived, so that its refusal there is recorded.
//
// Owned by one server; Admit() runs on its service thread only (not thread-safe).
#pragma once

#include <cstdint>
#include <string>

namespace wsr {

// True when `n` more descriptors can be opened now (it opens and closes them). False only for
// EMFILE/ENFILE, with the errno in *err; any other failure counts as room.
bool HaveSpareDescriptors(int n, int* err);

class AcceptGuard {
 public:
  // `command` names the server in the log and the answer ("record"). With `answer`, a refused
  // connection is sent `HTTP/1.1 503` with one line (OutOfDescriptorsLine) before it is closed;
  // without (a TLS listener: plain text would not be understood), it is closed unanswered.
  AcceptGuard(std::string command, int spare, bool answer);

  // Call with the accepted socket. True: serve it. False: it was answered (best effort,
  // non-blocking) and the caller must close it (under lws: return non-zero from the callback).
  // Logs the first refusal, then at most one line per second with the count since the last.
  bool Admit(int fd, int64_t now_ns);

  uint64_t refused() const { return refused_; }

 private:
  std::string command_;
  int spare_;
  bool answer_;
  uint64_t refused_ = 0;
  uint64_t unlogged_ = 0;
  int64_t last_log_ns_ = INT64_MIN;
};

// The one line every server's 503 says when it is short of descriptors (no "wsreplay: "
// prefix, no newline): who is short, the errno text `why`, and the way out.
std::string OutOfDescriptorsLine(const std::string& command, const std::string& why);

}  // namespace wsr
