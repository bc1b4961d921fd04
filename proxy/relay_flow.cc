// RelayServer, part two: moving frames between the legs of a Link, backpressure and how a
// connection ends (close mirroring, 1006 on abnormal ends, the 1009 cap). See relay_server.h
// for the class and README.md for the semantics. Service thread only.
#include <cstring>
#include <string>

#include "common/log.h"
#include "proxy/relay_server.h"

namespace wsr::proxy {
namespace {
constexpr size_t kMaxCloseReason = 123;  // a close frame's payload is at most 125 bytes

std::string Truncate(std::string s, size_t n) {
  if (s.size() > n) s.resize(n);
  return s;
}
}  // namespace

int RelayServer::OnReceive(Link* link, Leg& leg, const uint8_t* data, size_t len) {
  if (link->closing) return 0;
  lws* wsi = leg.wsi;
  const bool first = lws_is_first_fragment(wsi);
  const bool final = lws_is_final_fragment(wsi);
  const bool binary = lws_frame_is_binary(wsi);
  const size_t left = lws_remaining_packet_payload(wsi);
  const bool frame_end = left == 0;

  auto result = link->recorder.AddPiece(leg.reads_as, binary,
                                        std::string_view(reinterpret_cast<const char*>(data), len),
                                        first, frame_end, final, left);
  if (result == recorder::ConnectionRecorder::PieceResult::kTooBig) {
    std::string reason = "message too big: over " + std::to_string(recording_.max_message_size) +
                         " bytes (--max-message-size)";
    log::Warn("connection " + std::to_string(link->recorder.ordinal()) + ": " + reason);
    CloseLink(link, 1009, reason);
    return 0;
  }

  if (!leg.reading_active) {
    leg.reading_active = true;
    leg.reading_is_start = first;
    leg.reading.len = len + left;
    leg.reading.buf.reset(new uint8_t[LWS_PRE + leg.reading.len]);
    leg.reading_fill = 0;
  }
  if (leg.reading_fill + len > leg.reading.len) {  // cannot happen: lws announced the size
    CloseLink(link, 1011, "relay error: frame longer than announced");
    return 0;
  }
  if (len) std::memcpy(leg.reading.data() + leg.reading_fill, data, len);
  leg.reading_fill += len;
  if (!frame_end) return 0;

  leg.reading_active = false;
  leg.reading.len = leg.reading_fill;
  leg.reading.write_flags =
      lws_write_ws_flags(binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT, leg.reading_is_start, final);
  Leg& other = link->Other(leg);
  if (other.gone) return 0;
  other.out_bytes += leg.reading.len;
  other.out.push_back(std::move(leg.reading));
  leg.reading = OutFrame{};
  if (other.established && other.wsi) lws_callback_on_writable(other.wsi);
  UpdateFlow(link, leg);
  return 0;
}

namespace {
constexpr int kMaxWritesPerWriteable = 16;  // bounds one callback's work (fairness)
}  // namespace

int RelayServer::OnWritable(Link* link, Leg& leg) {
  if (!leg.out.empty()) {
    // Several queued frames per WRITEABLE while the socket takes them: lws_send_pipe_choked()
    // says when lws holds a partial write or the socket is full (the pattern of lws's own
    // mirror example, valid for ws over HTTP/1.1). One service-loop turn per frame would make
    // many small messages syscall-bound.
    int budget = kMaxWritesPerWriteable;
    do {
      OutFrame& f = leg.out.front();
      int n = lws_write(leg.wsi, f.data(), f.len, static_cast<lws_write_protocol>(f.write_flags));
      if (n < 0 || static_cast<size_t>(n) < f.len) {
        log::Warn("connection " + std::to_string(link->recorder.ordinal()) + ": write to " +
                  leg.name + " failed");
        return -1;
      }
      leg.out_bytes -= f.len;
      leg.out.pop_front();
    } while (--budget > 0 && !leg.out.empty() && !lws_send_pipe_choked(leg.wsi));
    Leg& other = link->Other(leg);
    if (other.alive()) UpdateFlow(link, other);
    if (!leg.out.empty() || leg.close || leg.drop) lws_callback_on_writable(leg.wsi);
    return 0;
  }
  if (leg.close && !leg.close_sent) {
    leg.close_sent = true;
    std::string reason = Truncate(leg.close->reason, kMaxCloseReason);
    lws_close_reason(leg.wsi, static_cast<lws_close_status>(leg.close->code),
                     reinterpret_cast<unsigned char*>(reason.data()), reason.size());
    return -1;
  }
  if (leg.drop) return -1;  // no close reason set: lws drops the TCP without a close frame
  return 0;
}

void RelayServer::OnPeerClose(Link* link, Leg& leg, const uint8_t* data, size_t len) {
  leg.peer_closed = true;
  int code = len >= 2 ? (data[0] << 8) | data[1] : 1005;
  std::string reason = len > 2 ? std::string(reinterpret_cast<const char*>(data) + 2, len - 2) : "";
  if (link->closing) return;
  link->closing = true;
  link->recorder.Close(code, reason, leg.name);
  log::Info("connection " + std::to_string(link->recorder.ordinal()) + ": " + leg.name +
            " closed with " + std::to_string(code));
  Leg& other = link->Other(leg);
  if (!other.alive()) return;
  if (!other.established) {
    Kill(other);
    return;
  }
  // 1005 ("no code") cannot be sent; a close without a code is mirrored as 1000.
  RequestClose(other, code == 1005 ? 1000 : code, reason);
}

void RelayServer::OnLegGone(Link* link, Leg& leg) {
  if (leg.gone) return;
  const bool was_upstream_connecting = &leg == &link->upstream && !leg.established;
  leg.gone = true;
  if (leg.wsi) lws_set_opaque_user_data(leg.wsi, nullptr);
  leg.wsi = nullptr;
  leg.out.clear();
  leg.out_bytes = 0;

  Leg& other = link->Other(leg);
  const bool clean = leg.peer_closed || leg.close_sent;
  if (!clean && !link->closing && !was_upstream_connecting) {
    // Ended without a close frame (TCP reset, crash): 1006, and the other leg loses its TCP.
    link->closing = true;
    link->recorder.Close(1006, "", leg.name);
    log::Info("connection " + std::to_string(link->recorder.ordinal()) + ": " + leg.name +
              " ended without a close frame (1006)");
    if (other.alive()) {
      if (other.established) {
        RequestDrop(other);
      } else {
        Kill(other);
      }
    }
  } else if (other.alive() && !other.established) {
    Kill(other);  // the client left while the upstream was still connecting
  } else if (other.alive() && !other.close && !other.close_sent && !other.peer_closed && !other.drop) {
    RequestDrop(other);  // should not happen: every clean end already asked the other leg
  }
  if (link->client.gone && link->upstream.gone) {
    if (!link->recorder.closed()) link->recorder.Close(1006, "", "proxy");
    links_.erase(link);
    delete link;
  }
}

void RelayServer::CloseLink(Link* link, int code, const std::string& reason) {
  if (!link->closing) {
    link->closing = true;
    link->recorder.Close(code, reason, "proxy");
  }
  for (Leg* leg : {&link->client, &link->upstream}) {
    if (!leg->alive() || leg->close_sent || leg->peer_closed || leg->close) continue;
    if (leg->established) {
      RequestClose(*leg, code, reason);
    } else {
      Kill(*leg);
    }
  }
}

void RelayServer::RequestClose(Leg& leg, int code, const std::string& reason) {
  if (!leg.alive()) return;
  leg.close = CloseRequest{code, reason};
  if (leg.paused) {  // read again, or the peer's close acknowledgement would never be seen
    leg.paused = false;
    lws_rx_flow_control(leg.wsi, 1);
  }
  lws_callback_on_writable(leg.wsi);
}

void RelayServer::RequestDrop(Leg& leg) {
  if (!leg.alive()) return;
  leg.drop = true;
  lws_callback_on_writable(leg.wsi);
}

void RelayServer::Kill(Leg& leg) {
  if (leg.alive()) lws_set_timeout(leg.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void RelayServer::UpdateFlow(Link* link, Leg& reader) {
  if (!reader.alive()) return;
  const Leg& writer = link->Other(reader);
  bool want_pause;
  if (link->closing) {
    want_pause = false;  // closing: nothing is relayed any more, but close frames must be read
  } else if (reader.paused) {
    want_pause = writer.out_bytes > options_.low_water_bytes;
  } else {
    want_pause = writer.out_bytes > options_.high_water_bytes;
  }
  if (want_pause != reader.paused) {
    reader.paused = want_pause;
    lws_rx_flow_control(reader.wsi, want_pause ? 0 : 1);
  }
}

}  // namespace wsr::proxy
