#include "recorder/connection_recorder.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/ascii.h"
#include "wire/mask.h"

namespace wsr::recorder {
namespace {
using cassette::Direction;

constexpr uint64_t kReserveCap = 1u << 20;

void AddNote(std::string* note, std::string_view text) {
  if (note->find(text) != std::string::npos) return;
  if (!note->empty()) *note += "; ";
  *note += text;
}
}  // namespace

// Reassembles one direction's frames into rows. Data messages are collected across their
// fragments; control frames (and frames with a reserved opcode) become rows of their own.
class ConnectionRecorder::DirectionSink : public wire::FrameSink {
 public:
  DirectionSink(ConnectionRecorder* owner, Direction dir) : owner_(owner), dir_(dir) {}

  void set_deflate(int window_bits, bool no_context_takeover) {
    inflater_ = std::make_unique<wire::MessageInflater>(window_bits, no_context_takeover);
  }

  void OnFrameStart(const wire::FrameInfo& f) override {
    current_frame_offset_ = f.stream_offset;
    frame_open_ = true;
    const bool data = f.opcode <= 2;
    if (!data) {
      control_.clear();
      control_note_.clear();
      control_note_.swap(pending_note_);
      return;
    }
    if (f.opcode != 0 || !message_active_) {  // a new message (or a stray continuation)
      message_active_ = true;
      message_.clear();
      // The row takes the buffer (moved, not copied): give the next one room for the whole
      // frame up front rather than regrowing (and copying) as its pieces come in. Capped: the
      // length is only announced, so a peer cannot make every connection reserve 16 MiB.
      message_.reserve(static_cast<size_t>(std::min<uint64_t>(f.length, kReserveCap)));
      fragments_.clear();
      message_opcode_ = f.message_opcode == 2 ? 2 : 1;
      compressed_ = f.compressed;
      message_flags_ = 0;
      message_note_.clear();
      skipping_ = false;
    }
    if (!pending_note_.empty()) {
      AddNote(&message_note_, pending_note_);
      pending_note_.clear();
      message_flags_ |= cassette::kFrameViolation;
    }
    frame_start_ = message_.size();
  }

  void OnFramePayload(const wire::FrameInfo& f, const uint8_t* data, size_t len,
                      uint64_t offset) override {
    std::string& buf = f.opcode <= 2 ? message_ : control_;
    if (f.opcode <= 2 && skipping_) return;
    size_t at = buf.size();
    buf.append(reinterpret_cast<const char*>(data), len);
    if (f.masked) {
      wire::ApplyMask(reinterpret_cast<uint8_t*>(buf.data() + at), len, f.mask, offset);
    }
  }

  void OnFrameEnd(const wire::FrameInfo& f) override {
    frame_open_ = false;
    if (f.opcode > 2) {
      cassette::Frame row;
      row.direction = dir_;
      row.opcode = f.opcode;
      row.payload = std::move(control_);
      control_.clear();
      if (!control_note_.empty()) {
        row.flags |= cassette::kFrameViolation;
        row.note = std::move(control_note_);
        control_note_.clear();
      }
      if (f.opcode == 8) owner_->OnCloseFrame(dir_, row.payload);
      owner_->Emit(std::move(row));
      return;
    }
    if (skipping_) {
      if (f.fin) message_active_ = false;
      return;
    }
    fragments_.push_back(static_cast<uint32_t>(message_.size() - frame_start_));
    if (!f.fin) return;
    message_active_ = false;
    cassette::Frame row;
    row.direction = dir_;
    row.opcode = message_opcode_;
    row.flags = message_flags_;
    row.note = std::move(message_note_);
    if (fragments_.size() > 1) row.fragments = std::move(fragments_);
    fragments_.clear();
    if (compressed_) {
      row.flags |= cassette::kFrameCompressed;
      std::string plain, error;
      if (inflater_ &&
          inflater_->Inflate(message_, owner_->ctx_.max_message_size, &plain, &error)) {
        message_.swap(plain);
      } else {
        row.flags |= cassette::kFrameViolation;
        AddNote(&row.note,
                "could not inflate the compressed message (" +
                    (inflater_ ? error : std::string("no permessage-deflate negotiated")) +
                    "); stored as sent");
      }
    }
    std::string redacted;
    if (row.opcode == 1 && owner_->ctx_.redactor->has_json_rules() &&
        owner_->ctx_.redactor->RedactFrame(message_, &redacted)) {
      row.payload = std::move(redacted);
    } else {
      row.payload = std::move(message_);
    }
    message_.clear();
    owner_->Emit(std::move(row));
  }

  void OnViolation(const wire::FrameInfo* f, wire::Violation v) override {
    if (v == wire::Violation::kMessageTooBig) {
      if (!owner_->too_big_at_[Index(dir_)] && f)
        owner_->too_big_at_[Index(dir_)] = f->stream_offset;
      skipping_ = true;
      message_.clear();
      return;
    }
    // A violation belongs to the frame it was found in: the one in progress, or (when it is
    // reported before its frame starts) the next one to start.
    if (f && frame_open_ && f->stream_offset == current_frame_offset_) {
      if (f->opcode > 2) {
        AddNote(&control_note_, wire::ViolationText(v));
      } else {
        AddNote(&message_note_, wire::ViolationText(v));
        message_flags_ |= cassette::kFrameViolation;
      }
    } else {
      AddNote(&pending_note_, wire::ViolationText(v));
    }
  }

 private:
  ConnectionRecorder* owner_;
  Direction dir_;
  std::unique_ptr<wire::MessageInflater> inflater_;
  bool message_active_ = false;
  bool skipping_ = false;  // the message is over the size cap: not recorded
  bool compressed_ = false;
  int message_opcode_ = 1;
  int message_flags_ = 0;
  std::string message_, message_note_;
  std::vector<uint32_t> fragments_;
  size_t frame_start_ = 0;
  std::string control_, control_note_;
  std::string pending_note_;  // violations reported before their frame started
  uint64_t current_frame_offset_ = UINT64_MAX;
  bool frame_open_ = false;
};

ConnectionRecorder::ConnectionRecorder(const RecordingContext& ctx, int ordinal, int64_t now_ns)
    : ctx_(ctx), now_ns_(now_ns) {
  row_.ordinal = ordinal;
  sinks_[0] = std::make_unique<DirectionSink>(this, Direction::kClientToServer);
  sinks_[1] = std::make_unique<DirectionSink>(this, Direction::kServerToClient);
}

ConnectionRecorder::~ConnectionRecorder() = default;

wire::FrameSink& ConnectionRecorder::sink(Direction d) { return *sinks_[Index(d)]; }

void ConnectionRecorder::Open(const wire::HttpHead& request, std::string_view path,
                              std::string_view query, std::string_view upstream_url) {
  const Redactor& r = *ctx_.redactor;
  row_.path = std::string(path);
  row_.query = r.RedactQuery(query);
  cassette::Headers headers;
  headers.reserve(request.headers.size());
  for (const auto& h : request.headers) headers.emplace_back(AsciiLower(h.name), h.value);
  row_.request_headers = r.RedactHeaders(headers);
  row_.request_head = r.RedactHead(request);
  row_.upstream_url = r.RedactUrl(upstream_url);
  row_.opened_ns = Offset();
  ctx_.sink->OpenConnection(row_);
}

void ConnectionRecorder::Accepted(const wire::HttpHead& response,
                                  const std::optional<wire::DeflateParams>& deflate) {
  const Redactor& r = *ctx_.redactor;
  row_.http_status = response.status;
  cassette::Headers headers;
  for (const auto& h : response.headers) {
    std::string name = AsciiLower(h.name);
    if (name == "sec-websocket-protocol") row_.subprotocol = r.RedactSubprotocols(h.value);
    if (name == "sec-websocket-extensions") {
      if (!row_.extensions.empty()) row_.extensions += ", ";
      row_.extensions += h.value;
    }
    headers.emplace_back(std::move(name), h.value);
  }
  row_.response_headers = r.RedactHeaders(headers);
  row_.response_head = r.RedactHead(response);
  if (deflate) {
    sinks_[0]->set_deflate(deflate->client_max_window_bits, deflate->client_no_context_takeover);
    sinks_[1]->set_deflate(deflate->server_max_window_bits, deflate->server_no_context_takeover);
  }
  Update();
}

void ConnectionRecorder::Answered(std::string_view response_head, int status,
                                  const cassette::Headers& headers, std::string_view body,
                                  std::string error, const char* initiator) {
  const Redactor& r = *ctx_.redactor;
  row_.http_status = status;
  cassette::Headers lowered;
  for (const auto& [k, v] : headers) lowered.emplace_back(AsciiLower(k), v);
  row_.response_headers = r.RedactHeaders(lowered);
  row_.response_head = r.RedactHeadText(response_head);
  if (!body.empty()) row_.response_body = std::string(body);
  if (!error.empty()) row_.error = std::move(error);
  if (!closed()) {
    row_.close_initiator = initiator;
    row_.closed_ns = Offset();
  }
  Update();
}

void ConnectionRecorder::SetError(std::string error) {
  row_.error = std::move(error);
  Update();
}

void ConnectionRecorder::Emit(cassette::Frame f) {
  f.connection_id = row_.ordinal;
  f.seq = next_seq_++;
  f.offset_ns = Offset();
  if (!ctx_.sink->AddFrame(std::move(f))) backpressure_ = true;
}

void ConnectionRecorder::OnCloseFrame(Direction d, std::string_view payload) {
  close_seen_[Index(d)] = true;
  if (closed()) return;
  auto parsed = wire::ParseClosePayload(payload);
  // A close frame with a 1-byte payload has no code: it is kept as a frame (marked as a
  // violation) and the connection's close is the peer's answer to it, usually 1002.
  if (!parsed) return;
  row_.close_code = parsed->code ? *parsed->code : 1005;
  row_.close_reason = parsed->reason;
  row_.close_initiator = d == Direction::kClientToServer ? "client" : "upstream";
  row_.closed_ns = Offset();
  Update();
}

void ConnectionRecorder::TcpEnded(const char* side) {
  if (closed()) return;
  row_.close_code = 1006;
  row_.close_reason = std::string(side) + " connection ended without a close frame";
  row_.close_initiator = side;
  row_.closed_ns = Offset();
  Update();
}

void ConnectionRecorder::ProxyEnded(int code, std::string reason) {
  if (closed()) return;
  row_.close_code = code;
  row_.close_reason = std::move(reason);
  row_.close_initiator = "proxy";
  row_.closed_ns = Offset();
  Update();
}

void ConnectionRecorder::Finish() {
  if (!row_.closed_ns) row_.closed_ns = Offset();
  Update();
}

void ConnectionRecorder::Update() { ctx_.sink->UpdateConnection(row_); }

}  // namespace wsr::recorder
