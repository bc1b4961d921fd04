#include "thenvoi/rest_spec.h"

namespace wsr::thenvoi {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash;
  }
  return out;
}

// -1 when `pattern` does not match `path`; else the number of "{id}" segments used.
int Match(std::string_view pattern, std::string_view path) {
  auto p = Segments(pattern);
  auto s = Segments(path);
  if (p.size() != s.size()) return -1;
  int wild = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "{id}") {
      ++wild;
    } else if (p[i] != s[i]) {
      return -1;
    }
  }
  return wild;
}

// The endpoints of `path` with the fewest "{id}" segments.
std::vector<const RestEndpoint*> Candidates(std::string_view path) {
  std::vector<const RestEndpoint*> best;
  int best_wild = -1;
  for (const auto& e : RestEndpoints()) {
    int wild = Match(e.path, path);
    if (wild < 0) continue;
    if (best_wild < 0 || wild < best_wild) {
      best.clear();
      best_wild = wild;
    }
    if (wild == best_wild) best.push_back(&e);
  }
  return best;
}

}  // namespace

const std::vector<RestEndpoint>& RestEndpoints() {
  static const std::vector<RestEndpoint> kEndpoints = {
      // Agent API (section 4), relative to /api/v1.
      {"GET", "/agent/me", false, /*envelope_open=*/true},
      {"GET", "/agent/peers", true},
      {"GET", "/agent/chats", true},
      {"POST", "/agent/chats"},
      {"GET", "/agent/chats/{id}"},
      {"GET", "/agent/chats/{id}/participants"},
      {"POST", "/agent/chats/{id}/participants"},
      {"DELETE", "/agent/chats/{id}/participants/{id}"},
      {"GET", "/agent/chats/{id}/messages", true},
      {"GET", "/agent/chats/{id}/messages/next"},
      {"POST", "/agent/chats/{id}/messages"},
      {"POST", "/agent/chats/{id}/messages/{id}/processing"},
      {"POST", "/agent/chats/{id}/messages/{id}/processed"},
      {"POST", "/agent/chats/{id}/messages/{id}/failed"},
      {"POST", "/agent/chats/{id}/events"},
      {"GET", "/agent/chats/{id}/context", true},
      {"GET", "/agent/contacts", true},
      {"POST", "/agent/contacts/add"},
      {"POST", "/agent/contacts/remove"},
      {"GET", "/agent/contacts/requests"},
      {"POST", "/agent/contacts/requests/respond"},
      {"GET", "/agent/memories", true},
      {"POST", "/agent/memories"},
      {"GET", "/agent/memories/{id}"},
      {"DELETE", "/agent/memories/{id}"},  // the 2026-02-03 changelog's supersede
      {"POST", "/agent/memories/{id}/supersede"},
      {"POST", "/agent/memories/{id}/archive"},
      // Human API (section 7).
      {"GET", "/me/profile"},
      {"GET", "/me/agents", true},
      {"POST", "/me/agents"},
      {"POST", "/me/agents/register"},
      {"DELETE", "/me/agents/{id}"},
      {"GET", "/me/peers", true},
      {"GET", "/me/chats", true},
      {"POST", "/me/chats"},
      {"GET", "/me/chats/{id}"},
      {"GET", "/me/chats/{id}/participants"},
      {"POST", "/me/chats/{id}/participants"},
      {"DELETE", "/me/chats/{id}/participants/{id}"},
      {"GET", "/me/chats/{id}/messages", true},
      {"POST", "/me/chats/{id}/messages"},
      {"GET", "/me/contacts", true},
      {"DELETE", "/me/contacts/{id}"},
      {"GET", "/me/contacts/requests"},
      {"POST", "/me/contacts/requests"},
      {"GET", "/me/contacts/requests/received", true},
      {"GET", "/me/contacts/requests/sent", true},
      {"POST", "/me/contacts/requests/{id}/approve"},
      {"POST", "/me/contacts/requests/{id}/reject"},
      {"POST", "/me/contacts/requests/{id}/cancel"},
      {"GET", "/me/memories", true},
      {"POST", "/me/memories"},
      {"GET", "/me/memories/{id}"},
      {"DELETE", "/me/memories/{id}"},
      {"POST", "/me/memories/{id}/archive"},
      {"POST", "/me/memories/{id}/restore"},
      {"POST", "/me/memories/{id}/supersede"},
  };
  return kEndpoints;
}

const RestEndpoint* FindRestEndpoint(std::string_view method, std::string_view path) {
  // A literal match for another method does not hide a wildcard match for this one
  // (GET /me/contacts/requests vs DELETE /me/contacts/{id}).
  const RestEndpoint* found = nullptr;
  int found_wild = -1;
  for (const auto& e : RestEndpoints()) {
    if (e.method != method) continue;
    int wild = Match(e.path, path);
    if (wild < 0) continue;
    if (!found || wild < found_wild) {
      found = &e;
      found_wild = wild;
    }
  }
  return found;
}

std::vector<std::string> RestMethodsOf(std::string_view path) {
  std::vector<std::string> out;
  for (const auto* e : Candidates(path)) out.emplace_back(e->method);
  return out;
}

const RestCausedPush* CausedPush(const RestEndpoint& endpoint) {
  static constexpr RestCausedPush kMessageCreated{"chat_room", "message_created", true};
  static constexpr RestCausedPush kParticipantAdded{"room_participants", "participant_added",
                                                    false};
  if (endpoint.method != "POST") return nullptr;
  if (endpoint.path == "/agent/chats/{id}/messages" || endpoint.path == "/me/chats/{id}/messages") {
    return &kMessageCreated;
  }
  if (endpoint.path == "/agent/chats/{id}/participants" ||
      endpoint.path == "/me/chats/{id}/participants") {
    return &kParticipantAdded;
  }
  return nullptr;
}

std::string FirstPathId(std::string_view pattern, std::string_view path) {
  if (Match(pattern, path) < 0) return "";
  auto p = Segments(pattern);
  auto s = Segments(path);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "{id}") return std::string(s[i]);
  }
  return "";
}

}  // namespace wsr::thenvoi
