// RelayServer, part two: moving frames between the legs of a Link, backpressure and how a
// connection ends (close mirroring, 1006 on abnormal ends, the 1009 cap). See relay_server.h
// for the class and README.md for the semantics. Service thread only.
#include <array>
#include <cstring>
#include <string>

#include "common/log.h"
#include "proxy/relay_server.h"

namespace wsr::proxy {
namespace {
constexpr size_t kMaxCloseReason = 123;  // a close frame's payload is at most 125 bytes
// One WRITEABLE writes at most this many chunks of whole frames (fairness between links).
constexpr int kMaxChunksPerWriteable = 8;
constexpr size_t kChunkBytes = 256u << 10;

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
    log::Warn(link->LogPrefix() + reason);
    link->Other(leg).out.DropPartial();
    leg.reading_active = false;
    CloseLink(link, 1009, reason);
    return 0;
  }

  Leg& other = link->Other(leg);
  if (!leg.reading_active) {  // the first piece of a wire frame: its header goes out first
    leg.reading_active = true;
    if (!other.gone) {
      std::array<uint8_t, 4> key;
      const bool to_server = &other == &link->upstream;
      if (to_server) key = masks_.Next();
      other.out.BeginFrame(false, first ? (binary ? 2 : 1) : 0, len + left,
                           to_server ? &key : nullptr);
    }
  }
  bool ok = other.gone || other.out.Append(data, len);
  if (frame_end) {
    leg.reading_active = false;
    if (ok && !other.gone) {
      other.out.SetFin(final);
      ok = other.out.EndFrame();
    }
  }
  if (!ok) {  // cannot happen: lws announced the frame's length
    other.out.DropPartial();
    CloseLink(link, 1011, "relay error: frame length differs from its header");
    return 0;
  }
  if (!frame_end || other.gone) return 0;
  if (other.established && other.wsi) {
    // Latency: the first frame that finds the other leg's queue empty in this service turn is
    // written at once, saving a trip through poll for the WRITEABLE callback. Frames that
    // follow in the same turn (a pipelined burst read in one go) wait for WRITEABLE and leave
    // in one send(). A leg lws still holds unsent data for waits as well (so lws never holds
    // more than one chunk: backpressure stays with the queue).
    const bool direct = other.direct_turn != turn_ && !other.close && !other.drop &&
                        other.out.frames() == 1 && !lws_partial_buffered(other.wsi);
    if (direct) {
      other.direct_turn = turn_;
      if (!WriteQueued(link, other, 1)) {
        Kill(other);  // the socket failed: it ends as an abnormal close (1006)
        return 0;
      }
    }
    if (!other.out.idle()) lws_callback_on_writable(other.wsi);
  }
  UpdateFlow(link, leg);
  return 0;
}

bool RelayServer::WriteQueued(Link* link, Leg& leg, int max_chunks) {
  // Many frames per send(): the queue holds them already framed, and a chunk always ends on a
  // frame boundary. lws_write() either takes the whole chunk or keeps what the socket refused
  // (copying it) and sends it before the next WRITEABLE. Between chunks, which only happens
  // with more than kChunkBytes queued, lws_send_pipe_choked() asks the socket (a poll())
  // whether it takes more, so lws is not made to copy a chunk it cannot send.
  do {
    auto [data, n] = leg.out.NextChunk(kChunkBytes);
    int w = lws_write(leg.wsi, const_cast<uint8_t*>(data), n, LWS_WRITE_RAW);
    if (w < 0 || static_cast<size_t>(w) < n) {
      log::Warn(link->LogPrefix() + "write to " + leg.name + " failed");
      return false;
    }
    leg.out.Consume(n);
  } while (--max_chunks > 0 && !leg.out.idle() && !lws_send_pipe_choked(leg.wsi));
  return true;
}

int RelayServer::OnWritable(Link* link, Leg& leg) {
  if (!leg.out.idle()) {
    if (!WriteQueued(link, leg, kMaxChunksPerWriteable)) return -1;
    Leg& other = link->Other(leg);
    if (other.alive()) UpdateFlow(link, other);
    if (!leg.out.idle() || leg.close || leg.drop) lws_callback_on_writable(leg.wsi);
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
  log::Info(link->LogPrefix() + leg.name + " closed with " + std::to_string(code));
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
  leg.out.Clear();

  Leg& other = link->Other(leg);
  const bool clean = leg.peer_closed || leg.close_sent;
  if (!clean && !link->closing && !was_upstream_connecting) {
    // Ended without a close frame (TCP reset, crash): 1006, and the other leg loses its TCP.
    link->closing = true;
    link->recorder.Close(1006, "", leg.name);
    log::Info(link->LogPrefix() + leg.name + " ended without a close frame (1006)");
    if (other.alive()) {
      if (other.established) {
        RequestDrop(other);
      } else {
        Kill(other);
      }
    }
  } else if (other.alive() && !other.established) {
    Kill(other);  // the client left while the upstream was still connecting
  } else if (other.alive() && !other.close && !other.close_sent && !other.peer_closed &&
             !other.drop) {
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
    want_pause = writer.out.bytes() > options_.low_water_bytes;
  } else {
    want_pause = writer.out.bytes() > options_.high_water_bytes;
  }
  if (want_pause != reader.paused) {
    reader.paused = want_pause;
    lws_rx_flow_control(reader.wsi, want_pause ? 0 : 1);
  }
}

}  // namespace wsr::proxy
