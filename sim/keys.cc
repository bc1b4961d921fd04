#include "sim/keys.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "sim/default_data.h"
#include "sim/json_lines.h"

namespace wsr::sim {
namespace {

std::string Need(const nlohmann::ordered_json& j, const char* key, const std::string& where,
                 bool required = true) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw Error(where + ": missing \"" + key + "\"");
    return "";
  }
  if (!it->is_string()) throw Error(where + ": \"" + key + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

bool Identity::InRoom(std::string_view room) const {
  for (const auto& r : rooms) {
    if (r == room) return true;
  }
  return false;
}

Keys Keys::Parse(std::string_view text, const std::string& source) {
  Keys keys;
  ForEachJsonLine(text, source,
                  [&](const nlohmann::ordered_json& j, int, const std::string& where) {
                    Identity id;
                    id.key = Need(j, "key", where);
                    std::string type = Need(j, "type", where);
                    if (type == "user") {
                      id.type = thenvoi::Identity::kUser;
                    } else if (type == "agent") {
                      id.type = thenvoi::Identity::kAgent;
                    } else {
                      throw Error(where + ": \"type\" must be \"user\" or \"agent\"");
                    }
                    id.id = Need(j, "id", where);
                    id.owner_id = Need(j, "owner_id", where, id.type == thenvoi::Identity::kAgent);
                    id.name = Need(j, "name", where, false);
                    if (auto it = j.find("rooms"); it != j.end()) {
                      if (!it->is_array())
                        throw Error(where + ": \"rooms\" must be an array of room ids");
                      for (const auto& r : *it) {
                        if (!r.is_string())
                          throw Error(where + ": \"rooms\" must be an array of room ids");
                        id.rooms.push_back(r.get<std::string>());
                      }
                    }
                    if (id.key.empty() || id.id.empty())
                      throw Error(where + ": \"key\" and \"id\" must not be empty");
                    for (const auto& other : keys.ids_) {
                      if (other.key == id.key)
                        throw Error(where + ": duplicate key \"" + id.key + "\"");
                    }
                    keys.ids_.push_back(std::move(id));
                  });
  if (keys.ids_.empty())
    throw Error(source + ": no identities (expected JSON Lines, see sim/README.md)");
  return keys;
}

Keys Keys::Load(const std::string& path) { return Parse(ReadTextFile(path, "keys file"), path); }

std::string_view Keys::DefaultText() { return kDefaultKeys; }

Keys Keys::Default() { return Parse(kDefaultKeys, "<built-in keys>"); }

const Identity* Keys::Resolve(std::string_view api_key, std::string_view token,
                              std::string_view agent_id) const {
  std::string_view cred = !api_key.empty() ? api_key : token;
  if (cred.empty()) return nullptr;
  const Identity* who = nullptr;
  for (const auto& i : ids_) {
    if (i.key == cred) who = &i;
  }
  if (!who || agent_id.empty()) return who;
  if (who->type == thenvoi::Identity::kAgent) return who->id == agent_id ? who : nullptr;
  for (const auto& i : ids_) {
    if (i.type == thenvoi::Identity::kAgent && i.id == agent_id && i.owner_id == who->id) return &i;
  }
  return nullptr;
}

}  // namespace wsr::sim
