// JSON helpers for `wsreplay diff`: removing volatile fields from a payload before comparing,
// and listing the field-level differences between two payloads as JSON pointers.
//
// Volatile by default (spec section 4.1): object keys named "id" or ending in "_id", and the
// server timestamps inserted_at, updated_at, removed_at, responded_at, at any depth. Extra
// fields are given as JSON pointers (RFC 6901); a segment "*" matches every key or index.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace wsr::tools {

struct IgnoreRules {
  bool volatile_defaults = true;
  std::vector<std::vector<std::string>> pointers;  // split and unescaped

  // Adds "/a/b/*/c". Throws wsr::Error unless it is "" (whole payload) or starts with '/'.
  void AddPointer(const std::string& pointer);
};

bool IsVolatileKey(const std::string& key);

// A copy of payload without the ignored fields.
nlohmann::json StripIgnored(const nlohmann::json& payload, const IgnoreRules& rules);

// One line per differing field: "/content: \"hi\" -> \"hello\"", "/x: missing in B", ...
// At most max_lines lines (then "... and N more").
std::vector<std::string> JsonFieldDiff(const nlohmann::json& a, const nlohmann::json& b,
                                       size_t max_lines = 20);

// JSON text of v for messages, shortened to max_chars.
std::string ShortJson(const nlohmann::json& v, size_t max_chars = 80);

}  // namespace wsr::tools
