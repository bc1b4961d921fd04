#include "wire/http_head.h"

#include <cstring>
#include <utility>

namespace wsr::wire {
namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
// / "`" / "|" / "~" / DIGIT / ALPHA.
bool IsTchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// A control character other than HTAB (RFC 9110 field-vchar / reason-phrase exclude them; this
// covers NUL, CR and LF). obs-text (0x80-0xFF) is allowed.
bool IsBadFieldChar(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsSupportedVersion(std::string_view v) { return v == "HTTP/1.1" || v == "HTTP/1.0"; }

}  // namespace

const HttpHeader* HttpHead::Find(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

bool HttpHead::HasToken(std::string_view name, std::string_view token) const {
  for (const HttpHeader& h : headers) {
    if (!EqualsIgnoreCase(h.name, name)) continue;
    std::string_view rest = h.value;
    while (true) {
      size_t comma = rest.find(',');
      if (EqualsIgnoreCase(TrimOws(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

HttpHeadParser::HttpHeadParser(Kind kind, HttpLimits limits) : kind_(kind), limits_(limits) {
  head_.is_request = kind == Kind::kRequest;
}

void HttpHeadParser::Reset() {
  status_ = Status::kNeedMore;
  head_ = HttpHead();
  head_.is_request = kind_ == Kind::kRequest;
  error_.clear();
  line_start_ = 0;
  start_line_done_ = false;
  skipped_empty_line_ = false;
}

HttpHeadParser::Status HttpHeadParser::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (status_ != Status::kNeedMore) return status_;
  size_t pos = 0;
  while (pos < data.size()) {
    const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
    size_t piece_end =
        lf ? static_cast<size_t>(static_cast<const char*>(lf) - data.data()) + 1 : data.size();
    size_t n = piece_end - pos;
    if (n > limits_.max_head_bytes - head_.raw.size()) {  // raw.size() never exceeds the limit
      *consumed = pos;
      Fail("larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
      return status_;
    }
    head_.raw.append(data.data() + pos, n);
    pos = piece_end;
    if (!lf) break;
    if (!OnLine() || status_ == Status::kDone) {
      *consumed = pos;
      return status_;
    }
  }
  *consumed = pos;
  return status_;
}

bool HttpHeadParser::OnLine() {
  std::string& raw = head_.raw;
  size_t begin = line_start_;
  size_t end = raw.size() - 1;  // the LF
  if (end > begin && raw[end - 1] == '\r') --end;
  std::string_view line(raw.data() + begin, end - begin);
  line_start_ = raw.size();
  if (!start_line_done_) {
    if (line.empty()) {
      // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
      if (kind_ == Kind::kRequest && !skipped_empty_line_) {
        skipped_empty_line_ = true;
        raw.clear();
        line_start_ = 0;
        return true;
      }
      return Fail(kind_ == Kind::kRequest ? "more than one empty line before the request line"
                                          : "empty line before the status line");
    }
    bool ok = kind_ == Kind::kRequest ? ParseRequestLine(line, begin) : ParseStatusLine(line);
    if (!ok) return false;
    start_line_done_ = true;
    head_.headers_offset = raw.size();
    return true;
  }
  if (line.empty()) {
    status_ = Status::kDone;
    return true;
  }
  return ParseHeaderLine(line, begin);
}

// request-line = method SP request-target SP HTTP-version
bool HttpHeadParser::ParseRequestLine(std::string_view line, size_t begin) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail("request line without spaces");
  std::string_view method = line.substr(0, sp1);
  if (method.empty()) return Fail("empty method");
  for (char c : method) {
    if (!IsTchar(static_cast<unsigned char>(c))) return Fail("invalid character in method");
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return Fail("request line without an HTTP version");
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty()) return Fail("empty request target");
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return Fail("invalid character in request target");
  }
  std::string_view version = line.substr(sp2 + 1);
  if (!IsSupportedVersion(version)) return Fail("unsupported HTTP version (want HTTP/1.0 or 1.1)");
  head_.method = method;
  head_.target = target;
  head_.version = version;
  head_.target_offset = begin + sp1 + 1;
  return true;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]; "HTTP/1.1 200" is accepted too.
bool HttpHeadParser::ParseStatusLine(std::string_view line) {
  size_t sp = line.find(' ');
  std::string_view version = line.substr(0, sp);
  if (!IsSupportedVersion(version)) return Fail("unsupported HTTP version (want HTTP/1.0 or 1.1)");
  if (sp == std::string_view::npos) return Fail("status line without a status code");
  std::string_view rest = line.substr(sp + 1);
  if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) {
    return Fail("status code is not 3 digits");
  }
  int status = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return Fail("status code is not 3 digits");
    status = status * 10 + (rest[i] - '0');
  }
  if (status < 100) return Fail("status code below 100");
  std::string_view reason = rest.size() > 3 ? rest.substr(4) : std::string_view();
  for (char c : reason) {
    if (IsBadFieldChar(static_cast<unsigned char>(c))) {
      return Fail("control character in reason phrase");
    }
  }
  head_.version = version;
  head_.status = status;
  head_.reason = reason;
  return true;
}

// field-line = field-name ":" OWS field-value OWS
bool HttpHeadParser::ParseHeaderLine(std::string_view line, size_t begin) {
  std::string where = "header line " + std::to_string(head_.headers.size() + 1) + ": ";
  if (IsOws(line.front())) return Fail(where + "starts with whitespace (obs-fold)");
  size_t i = 0;
  while (i < line.size() && IsTchar(static_cast<unsigned char>(line[i]))) ++i;
  if (i == line.size()) return Fail(where + "no colon");
  if (line[i] != ':') {
    return Fail(where + (IsOws(line[i]) ? "whitespace before the colon"
                                        : "invalid character in field name"));
  }
  if (i == 0) return Fail(where + "empty field name");
  if (head_.headers.size() >= limits_.max_headers) {
    return Fail("more than " + std::to_string(limits_.max_headers) + " header fields");
  }
  size_t value_begin = i + 1;
  while (value_begin < line.size() && IsOws(line[value_begin])) ++value_begin;
  size_t value_end = line.size();
  while (value_end > value_begin && IsOws(line[value_end - 1])) --value_end;
  for (size_t k = value_begin; k < value_end; ++k) {
    if (IsBadFieldChar(static_cast<unsigned char>(line[k]))) {
      return Fail(where + "control character in field value");
    }
  }
  HttpHeader& h = head_.headers.emplace_back();
  h.name = line.substr(0, i);
  h.value = line.substr(value_begin, value_end - value_begin);
  h.value_offset = begin + value_begin;
  h.value_size = value_end - value_begin;
  return true;
}

bool HttpHeadParser::Fail(std::string what) {
  status_ = Status::kError;
  error_ = (kind_ == Kind::kRequest ? "request head " : "response head ") + std::move(what);
  return false;
}

std::string RewriteRequestHead(const HttpHead& head, std::string_view new_target,
                               std::string_view new_host) {
  const std::string& raw = head.raw;
  std::string out;
  out.reserve(raw.size() + new_target.size() + new_host.size() + 8);
  size_t target_end = head.target_offset + head.target.size();
  out.append(raw, 0, head.target_offset);
  out.append(new_target);
  const HttpHeader* host = head.Find("Host");
  if (host != nullptr) {
    out.append(raw, target_end, host->value_offset - target_end);
    out.append(new_host);
    out.append(raw, host->value_offset + host->value_size, std::string::npos);
    return out;
  }
  out.append(raw, target_end, head.headers_offset - target_end);
  bool crlf = head.headers_offset >= 2 && raw[head.headers_offset - 2] == '\r';
  out.append("Host: ");
  out.append(new_host);
  out.append(crlf ? "\r\n" : "\n");
  out.append(raw, head.headers_offset, std::string::npos);
  return out;
}

std::string MakeSimpleResponse(int status, std::string_view reason, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(reason);
  out.append("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  out.append(std::to_string(body.size()));
  out.append("\r\nConnection: close\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace wsr::wire
