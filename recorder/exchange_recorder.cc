#include "recorder/exchange_recorder.h"

#include <strings.h>
#include <zlib.h>

#include <utility>

namespace wsr::recorder {
namespace {

cassette::Headers HeadersOf(const wire::HttpHead& head) {
  cassette::Headers out;
  for (const auto& h : head.headers) out.emplace_back(h.name, h.value);
  return out;
}

// Inflates `in` with zlib's window bits `bits` (15 + 32: gzip or zlib; -15: raw deflate).
bool Inflate(std::string_view in, int bits, size_t limit, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, bits) != Z_OK) return false;
  std::string result;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    result.append(buf, sizeof(buf) - z.avail_out);
    if (result.size() > limit) {
      rc = Z_MEM_ERROR;
      break;
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
      rc = Z_DATA_ERROR;  // truncated stream
      break;
    }
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return false;
  *out = std::move(result);
  return true;
}

}  // namespace

bool DecodeContentEncoding(const cassette::Headers& headers, std::string_view body, size_t limit,
                           std::string* out) {
  std::string coding;
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), "Content-Encoding") == 0) coding = v;
  }
  for (char& c : coding) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (coding == "gzip" || coding == "x-gzip") return Inflate(body, 15 + 16, limit, out);
  if (coding == "deflate") {
    return Inflate(body, 15, limit, out) || Inflate(body, -15, limit, out);
  }
  return false;
}

void ExchangeRecorder::Begin(int http_connection, const wire::HttpHead& request,
                             std::string_view path, std::string_view query, int64_t now_ns) {
  active_ = true;
  row_ = cassette::Exchange{};
  response_head_seen_ = false;
  row_.ordinal = ++ctx_.exchanges_begun;
  row_.http_connection = http_connection;
  row_.method = request.method;
  row_.path = std::string(path);
  row_.query = ctx_.redactor ? ctx_.redactor->RedactQuery(query) : std::string(query);
  raw_request_headers_ = HeadersOf(request);
  row_.request_headers =
      ctx_.redactor ? ctx_.redactor->RedactHeaders(raw_request_headers_) : raw_request_headers_;
  row_.request_ns = Offset(now_ns);
}

std::string ExchangeRecorder::Body(const cassette::Headers& raw_headers, std::string_view body,
                                   int flag) {
  std::string content(body);
  std::string decoded;
  if (!body.empty() && DecodeContentEncoding(raw_headers, body, ctx_.max_message_size, &decoded)) {
    content = std::move(decoded);
    row_.flags |= flag;
  }
  std::string redacted;
  if (ctx_.redactor && ctx_.redactor->RedactJsonBody(content, &redacted)) {
    content = std::move(redacted);
  }
  return content;
}

void ExchangeRecorder::RequestBody(std::string_view body, bool truncated) {
  if (!active_) return;
  row_.request_body = Body(raw_request_headers_, body, cassette::kRequestBodyDecoded);
  if (truncated) {
    row_.error = "request body longer than " + std::to_string(ctx_.max_message_size) +
                 " bytes: only the start is kept";
  }
}

void ExchangeRecorder::ResponseHead(const wire::HttpHead& response) {
  if (!active_) return;
  row_.status = response.status;
  raw_response_headers_ = HeadersOf(response);
  row_.response_headers =
      ctx_.redactor ? ctx_.redactor->RedactHeaders(raw_response_headers_) : raw_response_headers_;
  response_head_seen_ = true;
}

bool ExchangeRecorder::Responded(const wire::HttpHead& response, std::string_view body,
                                 bool truncated, int64_t now_ns) {
  if (!active_) return true;
  if (!response_head_seen_) ResponseHead(response);  // the relay passes the head first
  row_.response_body = Body(raw_response_headers_, body, cassette::kResponseBodyDecoded);
  row_.initiator = "upstream";
  if (truncated) {
    row_.error = "response body longer than " + std::to_string(ctx_.max_message_size) +
                 " bytes: only the start is kept";
  }
  return Emit(now_ns);
}

bool ExchangeRecorder::ProxyAnswered(int status, const cassette::Headers& headers,
                                     std::string_view body, std::string error, int64_t now_ns) {
  if (!active_) return true;
  row_.status = status;
  row_.response_headers = headers;
  row_.response_body = std::string(body);
  row_.initiator = "proxy";
  row_.error = std::move(error);
  return Emit(now_ns);
}

bool ExchangeRecorder::Failed(const char* initiator, std::string error,
                              int64_t /*now_ns: no response_ns without a response*/) {
  if (!active_) return true;
  row_.initiator = initiator;
  row_.error = std::move(error);
  active_ = false;
  row_.response_ns = std::nullopt;
  return ctx_.sink->AddExchange(std::move(row_));
}

bool ExchangeRecorder::Emit(int64_t now_ns) {
  active_ = false;
  row_.response_ns = Offset(now_ns);
  return ctx_.sink->AddExchange(std::move(row_));
}

}  // namespace wsr::recorder
