#include "tools/diff_json.h"

#include <algorithm>
#include <cstdlib>

#include "common/error.h"

namespace wsr::tools {

void IgnoreRules::AddPointer(const std::string& pointer) {
  if (!pointer.empty() && pointer[0] != '/') {
    throw Error("--ignore '" + pointer +
                "' is not a JSON pointer: it must start with '/' "
                "(e.g. /metadata/status or /metadata/mentions/*/username)");
  }
  std::vector<std::string> segs;
  size_t i = 0;
  while (i < pointer.size()) {
    size_t next = pointer.find('/', i + 1);
    std::string raw =
        pointer.substr(i + 1, next == std::string::npos ? std::string::npos : next - i - 1);
    std::string seg;
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '~' && k + 1 < raw.size() && (raw[k + 1] == '0' || raw[k + 1] == '1')) {
        seg += raw[k + 1] == '0' ? '~' : '/';
        ++k;
      } else {
        seg += raw[k];
      }
    }
    segs.push_back(seg);
    if (next == std::string::npos) break;
    i = next;
  }
  pointers.push_back(std::move(segs));
}

bool IsVolatileKey(const std::string& key) {
  if (key == "id" || key == "inserted_at" || key == "updated_at" || key == "removed_at" ||
      key == "responded_at") {
    return true;
  }
  return key.size() > 3 && key.compare(key.size() - 3, 3, "_id") == 0;
}

namespace {

void StripDefaults(nlohmann::json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (IsVolatileKey(it.key())) {
        it = v.erase(it);
      } else {
        StripDefaults(it.value());
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (auto& e : v) StripDefaults(e);
  }
}

void StripPointer(nlohmann::json& v, const std::vector<std::string>& segs, size_t i) {
  if (i + 1 == segs.size()) {
    const std::string& last = segs[i];
    if (v.is_object()) {
      if (last == "*") {
        v = nlohmann::json::object();
      } else {
        v.erase(last);
      }
    } else if (v.is_array()) {
      if (last == "*") {
        v = nlohmann::json::array();
      } else {
        // Arrays keep their length: an ignored element compares as null on both sides.
        char* end = nullptr;
        unsigned long idx = std::strtoul(last.c_str(), &end, 10);
        if (!last.empty() && *end == '\0' && idx < v.size()) v[idx] = nullptr;
      }
    }
    return;
  }
  const std::string& seg = segs[i];
  if (v.is_object()) {
    if (seg == "*") {
      for (auto& [k, child] : v.items()) StripPointer(child, segs, i + 1);
    } else {
      auto it = v.find(seg);
      if (it != v.end()) StripPointer(*it, segs, i + 1);
    }
  } else if (v.is_array()) {
    if (seg == "*") {
      for (auto& child : v) StripPointer(child, segs, i + 1);
    } else {
      char* end = nullptr;
      unsigned long idx = std::strtoul(seg.c_str(), &end, 10);
      if (!seg.empty() && *end == '\0' && idx < v.size()) StripPointer(v[idx], segs, i + 1);
    }
  }
}

std::string EscapeSeg(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

void Walk(const nlohmann::json& a, const nlohmann::json& b, const std::string& path,
          std::vector<std::string>& out, size_t& total) {
  auto add = [&](std::string line) {
    ++total;
    out.push_back(std::move(line));
  };
  std::string where = path.empty() ? "(payload)" : path;
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      std::string p = path + "/" + EscapeSeg(it.key());
      auto jt = b.find(it.key());
      if (jt == b.end()) {
        add(p + ": missing in B (A: " + ShortJson(it.value()) + ")");
      } else {
        Walk(it.value(), *jt, p, out, total);
      }
    }
    for (auto jt = b.begin(); jt != b.end(); ++jt) {
      if (!a.contains(jt.key())) {
        add(path + "/" + EscapeSeg(jt.key()) + ": added in B (" + ShortJson(jt.value()) + ")");
      }
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) Walk(a[i], b[i], path + "/" + std::to_string(i), out, total);
    if (a.size() != b.size()) {
      add(where + ": array of " + std::to_string(a.size()) + " elements in A, " +
          std::to_string(b.size()) + " in B");
    }
    return;
  }
  if (a != b) add(where + ": " + ShortJson(a) + " -> " + ShortJson(b));
}

}  // namespace

nlohmann::json StripIgnored(const nlohmann::json& payload, const IgnoreRules& rules) {
  nlohmann::json v = payload;
  if (rules.volatile_defaults) StripDefaults(v);
  for (const auto& segs : rules.pointers) {
    if (segs.empty()) return nullptr;  // "" ignores the whole payload
    StripPointer(v, segs, 0);
  }
  return v;
}

std::vector<std::string> JsonFieldDiff(const nlohmann::json& a, const nlohmann::json& b,
                                       size_t max_lines) {
  std::vector<std::string> out;
  size_t total = 0;
  Walk(a, b, "", out, total);
  if (out.size() > max_lines) {
    out.resize(max_lines);
    out.push_back("... and " + std::to_string(total - max_lines) + " more");
  }
  return out;
}

std::string ShortJson(const nlohmann::json& v, size_t max_chars) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) {
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

}  // namespace wsr::tools
