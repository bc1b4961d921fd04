#include "common/terminal_text.h"

#include <cstdarg>
#include <cstdint>

namespace wsr {
namespace {

void AppendHex(std::string& out, unsigned char byte) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 15];
}

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when it is not one.
// Rejects overlong forms, surrogates and code points above U+10FFFF.
size_t Utf8Length(std::string_view s, size_t i, uint32_t* cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return n;
}

}  // namespace

std::string EscapeControls(std::string_view text, LineBreaks breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = Utf8Length(text, i, &cp);
    if (n == 0) {  // not UTF-8: the byte, shown
      AppendHex(out, static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    bool keep_break = breaks == LineBreaks::kKeepLineBreaks && (cp == '\n' || cp == '\t');
    if ((cp < 0x20 && !keep_break) || cp == 0x7F) {
      AppendHex(out, static_cast<unsigned char>(cp));
    } else if (cp >= 0x80 && cp <= 0x9F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[cp >> 4];
      out += kHex[cp & 15];
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

void PrintSafe(std::FILE* out, std::string_view text) {
  std::string safe = EscapeControls(text, LineBreaks::kKeepLineBreaks);
  std::fwrite(safe.data(), 1, safe.size(), out);
}

void PrintfSafe(std::FILE* out, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string text(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(text.data(), text.size() + 1, format, args);
  va_end(args);
  PrintSafe(out, text);
}

}  // namespace wsr
