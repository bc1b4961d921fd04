#include "phoenix/json_scan.h"

namespace wsr::phoenix {
namespace {
constexpr size_t kNpos = std::string_view::npos;
constexpr int kMaxDepth = 512;

size_t SkipString(std::string_view s, size_t pos) {
  // s[pos] == '"'
  for (size_t i = pos + 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      return i + 1;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      return kNpos;
    }
  }
  return kNpos;
}

size_t SkipScalar(std::string_view s, size_t pos) {
  auto lit = [&](std::string_view w) -> size_t {
    return s.substr(pos, w.size()) == w ? pos + w.size() : kNpos;
  };
  char c = s[pos];
  if (c == 't') return lit("true");
  if (c == 'f') return lit("false");
  if (c == 'n') return lit("null");
  if (c == '-' || (c >= '0' && c <= '9')) {
    size_t i = pos + 1;
    while (i < s.size()) {
      char d = s[i];
      if ((d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-') {
        ++i;
      } else {
        break;
      }
    }
    return i;
  }
  return kNpos;
}

size_t Skip(std::string_view s, size_t pos, int depth) {
  if (pos >= s.size() || depth > kMaxDepth) return kNpos;
  char open = s[pos];
  if (open == '"') return SkipString(s, pos);
  if (open != '[' && open != '{') return SkipScalar(s, pos);
  char close = open == '[' ? ']' : '}';
  size_t i = SkipWs(s, pos + 1);
  if (i < s.size() && s[i] == close) return i + 1;
  while (i < s.size()) {
    if (open == '{') {
      if (s[i] != '"') return kNpos;
      i = SkipString(s, i);
      if (i == kNpos) return kNpos;
      i = SkipWs(s, i);
      if (i >= s.size() || s[i] != ':') return kNpos;
      i = SkipWs(s, i + 1);
    }
    i = Skip(s, i, depth + 1);
    if (i == kNpos) return kNpos;
    i = SkipWs(s, i);
    if (i >= s.size()) return kNpos;
    if (s[i] == close) return i + 1;
    if (s[i] != ',') return kNpos;
    i = SkipWs(s, i + 1);
  }
  return kNpos;
}
}  // namespace

size_t SkipWs(std::string_view s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) {
    ++pos;
  }
  return pos;
}

size_t SkipValue(std::string_view s, size_t pos) { return Skip(s, pos, 0); }

}  // namespace wsr::phoenix
