#include "wire/deflate.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

namespace wsr::wire {
namespace {

constexpr unsigned char kTrailer[4] = {0x00, 0x00, 0xff, 0xff};

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// Splits s at `sep` outside double-quoted strings.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

// A token, or a quoted string (unescaped). false when a quoted string is not well formed.
bool Unquote(std::string_view v, std::string* out) {
  out->clear();
  if (v.empty() || v.front() != '"') {
    out->assign(v);
    return v.find('"') == std::string_view::npos;
  }
  if (v.size() < 2 || v.back() != '"') return false;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\') {
      if (++i + 1 >= v.size()) return false;
    }
    out->push_back(v[i]);
  }
  return true;
}

// Window bits: a decimal 8..15 without leading zeros.
bool ParseWindowBits(std::string_view v, int* bits) {
  if (v.empty() || v.size() > 2 || v.front() == '0') return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 8 || n > 15) return false;
  *bits = n;
  return true;
}

bool Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Parses the parameters of one permessage-deflate element.
bool ParseParams(const std::vector<std::string_view>& parts, DeflateParams* p, std::string* error) {
  bool seen[4] = {false, false, false, false};
  static constexpr std::string_view kNames[4] = {
      "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
      "client_max_window_bits"};
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view param = TrimOws(parts[i]);
    std::string_view name = param;
    std::optional<std::string_view> raw_value;
    if (size_t eq = param.find('='); eq != std::string_view::npos) {
      name = TrimOws(param.substr(0, eq));
      raw_value = TrimOws(param.substr(eq + 1));
    }
    int which = -1;
    for (int k = 0; k < 4; ++k) {
      if (EqualsNoCase(name, kNames[k])) which = k;
    }
    if (which < 0)
      return Fail(error, "permessage-deflate: unknown parameter '" + std::string(name) + "'");
    if (seen[which])
      return Fail(error, "permessage-deflate: duplicate " + std::string(kNames[which]));
    seen[which] = true;
    if (which < 2) {
      if (raw_value)
        return Fail(error, "permessage-deflate: " + std::string(kNames[which]) + " takes no value");
      (which == 0 ? p->server_no_context_takeover : p->client_no_context_takeover) = true;
      continue;
    }
    std::string value;
    if (!raw_value)
      return Fail(error, "permessage-deflate: " + std::string(kNames[which]) +
                             " needs a value in a response");
    int* bits = which == 2 ? &p->server_max_window_bits : &p->client_max_window_bits;
    if (!Unquote(*raw_value, &value) || !ParseWindowBits(value, bits)) {
      return Fail(error, "permessage-deflate: bad " + std::string(kNames[which]) + " '" +
                             std::string(*raw_value) + "' (8..15)");
    }
  }
  return true;
}

}  // namespace

std::optional<DeflateParams> ParseDeflateResponse(std::string_view extensions_header,
                                                  std::string* error) {
  if (error) error->clear();
  std::optional<DeflateParams> result;
  for (std::string_view element : SplitOutsideQuotes(extensions_header, ',')) {
    std::vector<std::string_view> parts = SplitOutsideQuotes(element, ';');
    if (!EqualsNoCase(TrimOws(parts[0]), "permessage-deflate")) continue;
    if (result) {
      Fail(error, "permessage-deflate answered twice");
      return std::nullopt;
    }
    DeflateParams p;
    if (!ParseParams(parts, &p, error)) return std::nullopt;
    result = p;
  }
  return result;
}

// ---- MessageInflater ----

struct MessageInflater::Stream {
  z_stream z{};
  bool ok = false;
  int window_bits = 15;
};

MessageInflater::MessageInflater(int window_bits, bool no_context_takeover)
    : z_(std::make_unique<Stream>()), no_context_takeover_(no_context_takeover) {
  z_->window_bits = std::clamp(window_bits, 9, 15);
  z_->ok = inflateInit2(&z_->z, -z_->window_bits) == Z_OK;
}

MessageInflater::~MessageInflater() {
  if (z_->ok) inflateEnd(&z_->z);
}

namespace {

enum class Step { kDone, kStreamEnd, kError, kTooBig };

// Runs input through the inflater, appending to *out, until it is consumed (or the stream ends).
// Output past `start + max_out + 1` bytes is never produced.
Step InflateInto(z_stream* z, const unsigned char* in, size_t n, size_t start, size_t max_out,
                 std::string* out) {
  const size_t cap = max_out == SIZE_MAX ? SIZE_MAX : max_out + 1;
  for (;;) {
    const size_t produced = out->size() - start;
    if (produced > max_out) return Step::kTooBig;
    if (z->avail_in == 0 && n > 0) {
      const size_t k = std::min<size_t>(n, 1u << 30);
      z->next_in = const_cast<unsigned char*>(in);
      z->avail_in = static_cast<uInt>(k);
      in += k;
      n -= k;
    }
    size_t room = std::min<size_t>(std::max<size_t>(produced, 16384), 1u << 30);
    room = std::min(room, cap - produced);
    const size_t old = out->size();
    out->resize(old + room);
    z->next_out = reinterpret_cast<unsigned char*>(out->data() + old);
    z->avail_out = static_cast<uInt>(room);
    const int r = inflate(z, Z_SYNC_FLUSH);
    out->resize(old + room - z->avail_out);
    if (r == Z_STREAM_END) return out->size() - start > max_out ? Step::kTooBig : Step::kStreamEnd;
    if (r == Z_BUF_ERROR) {  // no progress possible: all input used
      if (z->avail_in == 0 && n == 0) return Step::kDone;
      if (z->avail_out != 0) return Step::kError;
      continue;
    }
    if (r != Z_OK) return Step::kError;
    if (z->avail_in == 0 && n == 0 && z->avail_out != 0) {
      return out->size() - start > max_out ? Step::kTooBig : Step::kDone;
    }
  }
}

}  // namespace

bool MessageInflater::Inflate(std::string_view compressed, size_t max_out, std::string* out,
                              std::string* error) {
  if (!z_->ok) return Fail(error, "inflate: zlib initialisation failed");
  // Not valid DEFLATE (a flush is at least one byte), but the only sensible reading of an
  // empty compressed payload is an empty message; the window is left as it was.
  if (compressed.empty()) return true;
  z_stream* z = &z_->z;
  const size_t start = out->size();
  z->avail_in = 0;
  Step s = InflateInto(z, reinterpret_cast<const unsigned char*>(compressed.data()),
                       compressed.size(), start, max_out, out);
  if (s == Step::kDone) s = InflateInto(z, kTrailer, sizeof kTrailer, start, max_out, out);
  z->next_in = nullptr;
  z->avail_in = 0;
  if (s == Step::kError || s == Step::kTooBig) {
    std::string message = s == Step::kTooBig
                              ? "inflate: message larger than " + std::to_string(max_out) + " bytes"
                              : std::string("inflate: ") + (z->msg ? z->msg : "corrupt data");
    out->resize(start);
    inflateReset(z);
    return Fail(error, std::move(message));
  }
  if (no_context_takeover_) {
    inflateReset(z);
  } else if (s == Step::kStreamEnd) {
    // A block with BFINAL set ended the DEFLATE stream (RFC 7692 7.2.3.4): start a new one
    // that still sees the window, so later messages may refer to this one.
    unsigned char window[32768];
    uInt len = sizeof window;
    inflateGetDictionary(z, window, &len);
    inflateReset(z);
    inflateSetDictionary(z, window, len);
  }
  return true;
}

// ---- MessageDeflater ----

struct MessageDeflater::Stream {
  z_stream z{};
  bool ok = false;
};

MessageDeflater::MessageDeflater(int window_bits, bool no_context_takeover)
    : z_(std::make_unique<Stream>()), no_context_takeover_(no_context_takeover) {
  const int bits = std::clamp(window_bits, 9, 15);
  z_->ok =
      deflateInit2(&z_->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

MessageDeflater::~MessageDeflater() {
  if (z_->ok) deflateEnd(&z_->z);
}

std::string MessageDeflater::Deflate(std::string_view plain) {
  std::string out;
  if (!z_->ok) return out;
  z_stream* z = &z_->z;
  const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  size_t n = plain.size();
  for (;;) {
    if (z->avail_in == 0 && n > 0) {
      const size_t k = std::min<size_t>(n, 1u << 30);
      z->next_in = const_cast<unsigned char*>(in);
      z->avail_in = static_cast<uInt>(k);
      in += k;
      n -= k;
    }
    const int flush = n == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    const size_t old = out.size();
    const size_t room = std::max<size_t>(deflateBound(z, z->avail_in) + 16, 64);
    out.resize(old + room);
    z->next_out = reinterpret_cast<unsigned char*>(out.data() + old);
    z->avail_out = static_cast<uInt>(room);
    deflate(z, flush);
    out.resize(old + room - z->avail_out);
    if (flush == Z_SYNC_FLUSH && z->avail_in == 0 && z->avail_out != 0) break;
  }
  if (out.size() >= 4 && std::memcmp(out.data() + out.size() - 4, kTrailer, 4) == 0) {
    out.resize(out.size() - 4);
  }
  // A flush with nothing new emits nothing; an empty message is one empty stored block, which
  // is 0x00 once its 00 00 ff ff is stripped (RFC 7692 7.2.3.6).
  if (out.empty()) out.push_back('\0');
  if (no_context_takeover_) deflateReset(z);
  return out;
}

}  // namespace wsr::wire
