// What the relay's connection state machine asks its transport to do. Plain values; the
// transport (proxy/relay_server.cc) carries them out in order, right after the call that
// produced them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wsr::proxy {

enum class Side { kClient, kUpstream };
inline const char* SideName(Side s) { return s == Side::kClient ? "client" : "upstream"; }
inline Side OtherSide(Side s) { return s == Side::kClient ? Side::kUpstream : Side::kClient; }

struct RelayCommand {
  enum class Kind {
    kConnectUpstream,  // open the TCP (and TLS) connection to the upstream
    kSend,             // write `bytes()` to `side`
    kPauseReading,     // stop reading `side` (the recorder is over its high mark)
    kResumeReading,
    kClose,     // end `side`'s TCP connection once what was sent to it is written
    kSetTimer,  // call OnTimer at `deadline_ns` (replaces any earlier timer)
    kCancelTimer,
    kLogInfo,  // `text` for the log (the transport adds the connection prefix)
    kLogWarn,
  };
  Kind kind = Kind::kSend;
  Side side = Side::kClient;
  // kSend: either a view into the bytes passed to the call that produced the command (valid
  // until that call's commands are carried out), or `owned` bytes.
  std::string_view view;
  std::string owned;
  int64_t deadline_ns = 0;
  std::string text;

  std::string_view bytes() const { return owned.empty() ? view : std::string_view(owned); }
};

}  // namespace wsr::proxy
