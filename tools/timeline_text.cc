#include "tools/timeline_text.h"

#include <algorithm>
#include <cstdint>

namespace wsr::tools {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], 0 when invalid.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string RepairUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SeqLen(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string XmlEscape(std::string_view raw) {
  std::string s = RepairUtf8(raw);
  std::string out;
  out.reserve(s.size() + 16);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += ch;
    }
  }
  return out;
}

std::string ScriptSafeJson(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 32);
  for (char ch : json) {
    switch (ch) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string PayloadPreview(std::string_view payload, bool is_text, size_t max_bytes,
                           bool* truncated) {
  *truncated = false;
  if (!is_text) {
    static const char* kHex = "0123456789abcdef";
    std::string out = "binary " + std::to_string(payload.size()) + " bytes:";
    size_t n = std::min(payload.size(), max_bytes / 3 + 1);
    for (size_t i = 0; i < n; ++i) {
      unsigned char c = static_cast<unsigned char>(payload[i]);
      out += ' ';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    if (n < payload.size()) {
      *truncated = true;
      out += " ...";
    }
    return out;
  }
  if (payload.size() <= max_bytes) return RepairUtf8(payload);
  *truncated = true;
  // Cut at a character boundary.
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(payload[cut]) & 0xC0) == 0x80) --cut;
  return RepairUtf8(payload.substr(0, cut));
}

}  // namespace wsr::tools
