// The simulator's identities: which api_key (or token) is which user or agent, with its ids
// and the rooms it participates in. Loaded from a JSON Lines keys file or the built-in
// defaults (sim/default_keys.jsonl, documented in sim/README.md).
//
// Immutable after loading; thread-safe to read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "thenvoi/spec.h"

namespace wsr::sim {

struct Identity {
  std::string key;  // api_key / token value
  thenvoi::Identity type = thenvoi::Identity::kUser;
  std::string id;        // user id (users) or agent id (agents)
  std::string owner_id;  // agents: the owner user's id
  std::string name;
  std::vector<std::string> rooms;  // room ids this identity participates in
  bool InRoom(std::string_view room) const;
};

class Keys {
 public:
  // Parses JSON Lines. `source` names the file in errors. Throws wsr::Error
  // "FILE:LINE: what is wrong".
  static Keys Parse(std::string_view text, const std::string& source);
  static Keys Load(const std::string& path);
  static Keys Default();
  static std::string_view DefaultText();

  const std::vector<Identity>& identities() const { return ids_; }

  // Resolves the credentials of a connection (section 1.2): api_key or token -> identity;
  // api_key=<user key>&agent_id=<uuid> -> that agent when the user owns it. nullopt means
  // "refuse the upgrade with 403". An agent key with a different agent_id is refused too.
  const Identity* Resolve(std::string_view api_key, std::string_view token,
                          std::string_view agent_id) const;

 private:
  std::vector<Identity> ids_;
};

}  // namespace wsr::sim
