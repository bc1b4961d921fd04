#include "phoenix/json_scan.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

namespace wsr::phoenix {
namespace {
constexpr size_t kNpos = std::string_view::npos;
constexpr int kMaxDepth = 512;

// Whether any of the 8 bytes in `v` is '"', '\\' or a control character (< 0x20): the bytes a
// string scan must stop at. Exact as a yes/no (the classic "has zero byte" and "has byte less
// than" tests; their per-byte positions can be off after a match, so the caller rescans the
// block byte by byte).
inline bool HasStringSpecial(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = v ^ (kOnes * '"');
  const uint64_t backslash = v ^ (kOnes * '\\');
  const uint64_t zero_quote = (quote - kOnes) & ~quote;
  const uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  const uint64_t below_space = (v - kOnes * 0x20) & ~v;
  return ((zero_quote | zero_backslash | below_space) & kHigh) != 0;
}

size_t SkipString(std::string_view s, size_t pos) {
  // s[pos] == '"'. Long runs of plain text (a message body) go 8 bytes per step.
  size_t i = pos + 1;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      uint64_t v;
      std::memcpy(&v, s.data() + i, 8);
      if (!HasStringSpecial(v)) {
        i += 8;
        continue;
      }
    }
    const size_t block_end = std::min(s.size(), i + 8);
    for (; i < block_end; ++i) {
      char c = s[i];
      if (c == '\\') {
        ++i;  // the escaped byte, perhaps past block_end: the outer loop goes on after it
      } else if (c == '"') {
        return i + 1;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return kNpos;
      }
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

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The decoded text of the JSON string literal s[first, last) (quotes included); nullopt when
// an escape is malformed.
std::optional<std::string> DecodeString(std::string_view s, size_t first, size_t last) {
  std::string out;
  for (size_t i = first + 1; i + 1 < last; ++i) {
    char c = s[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= last - 1) return std::nullopt;
    switch (s[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto hex4 = [&](size_t at) -> int {
          if (at + 4 > last - 1) return -1;
          int v = 0;
          for (size_t k = 0; k < 4; ++k) {
            int d = HexDigit(s[at + k]);
            if (d < 0) return -1;
            v = v * 16 + d;
          }
          return v;
        };
        int u = hex4(i + 1);
        if (u < 0) return std::nullopt;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(u);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < last && s[i + 1] == '\\' && s[i + 2] == 'u') {
          int lo = hex4(i + 3);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(out, cp);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

// The next reference token of `pointer` from `pos` (after its '/'), unescaped (~1 -> /,
// ~0 -> ~); advances pos past it.
std::string NextToken(std::string_view pointer, size_t* pos) {
  size_t end = pointer.find('/', *pos + 1);
  if (end == std::string_view::npos) end = pointer.size();
  std::string token;
  for (size_t i = *pos + 1; i < end; ++i) {
    if (pointer[i] == '~' && i + 1 < end && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  *pos = end;
  return token;
}

// "0", "17": a JSON pointer array index (no sign, no leading zeros).
std::optional<size_t> ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) {
    return std::nullopt;
  }
  size_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

// Start of the member value named `key` in the object at s[pos] ('{'), or npos.
size_t FindMember(std::string_view s, size_t pos, const std::string& key) {
  size_t found = kNpos;
  size_t i = SkipWs(s, pos + 1);
  if (i < s.size() && s[i] == '}') return kNpos;
  while (i < s.size()) {
    if (s[i] != '"') return kNpos;
    size_t key_end = SkipString(s, i);
    if (key_end == kNpos) return kNpos;
    std::string_view raw = s.substr(i + 1, key_end - i - 2);
    bool match;
    if (raw.find('\\') == std::string_view::npos) {
      match = raw == key;
    } else {
      auto decoded = DecodeString(s, i, key_end);
      if (!decoded) return kNpos;
      match = *decoded == key;
    }
    i = SkipWs(s, key_end);
    if (i >= s.size() || s[i] != ':') return kNpos;
    i = SkipWs(s, i + 1);
    if (match) found = i;  // the last duplicate wins
    i = SkipValue(s, i);
    if (i == kNpos) return kNpos;
    i = SkipWs(s, i);
    if (i >= s.size()) return kNpos;
    if (s[i] == '}') return found;
    if (s[i] != ',') return kNpos;
    i = SkipWs(s, i + 1);
  }
  return kNpos;
}

// Start of element `index` of the array at s[pos] ('['), or npos.
size_t FindElement(std::string_view s, size_t pos, size_t index) {
  size_t i = SkipWs(s, pos + 1);
  if (i < s.size() && s[i] == ']') return kNpos;
  for (size_t n = 0; i < s.size(); ++n) {
    if (n == index) return i;
    i = SkipValue(s, i);
    if (i == kNpos) return kNpos;
    i = SkipWs(s, i);
    if (i >= s.size() || s[i] != ',') return kNpos;
    i = SkipWs(s, i + 1);
  }
  return kNpos;
}

}  // namespace

std::optional<std::pair<size_t, size_t>> FindPointer(std::string_view doc,
                                                     std::string_view pointer) {
  if (!pointer.empty() && pointer[0] != '/') return std::nullopt;
  size_t at = SkipWs(doc, 0);
  size_t p = 0;
  int depth = 0;
  while (p < pointer.size()) {
    if (at >= doc.size() || ++depth > kMaxDepth) return std::nullopt;
    std::string token = NextToken(pointer, &p);
    if (doc[at] == '{') {
      at = FindMember(doc, at, token);
    } else if (doc[at] == '[') {
      auto index = ArrayIndex(token);
      if (!index) return std::nullopt;
      at = FindElement(doc, at, *index);
    } else {
      return std::nullopt;
    }
    if (at == kNpos) return std::nullopt;
  }
  size_t end = SkipValue(doc, at);
  if (end == kNpos) return std::nullopt;
  return std::make_pair(at, end);
}

}  // namespace wsr::phoenix
