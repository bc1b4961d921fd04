#include "thenvoi/spec.h"

namespace wsr::thenvoi {
namespace {

using FT = FieldType;
using P = Presence;

FieldSpec F(std::string_view name, FT type = FT::kString, P presence = P::kRequired) {
  FieldSpec f;
  f.name = name;
  f.type = type;
  f.presence = presence;
  return f;
}
FieldSpec Opt(std::string_view name, FT type = FT::kString) { return F(name, type, P::kOptional); }
FieldSpec Nullable(FieldSpec f) {
  f.nullable = true;
  return f;
}
FieldSpec OneOf(FieldSpec f, std::vector<std::string_view> values) {
  f.allowed = std::move(values);
  return f;
}
FieldSpec With(FieldSpec f, std::vector<FieldSpec> children) {
  f.children = std::move(children);
  return f;
}
FieldSpec Note(FieldSpec f, std::string_view note) {
  f.note = note;
  return f;
}

std::vector<FieldSpec> MessageFields() {
  return {
      F("id"),
      F("content"),
      Note(OneOf(F("message_type"), {"text"}), "only text messages are pushed (3.2)"),
      F("sender_id"),
      OneOf(F("sender_type"), {"User", "Agent"}),
      Note(Opt("sender_name"), "added 2026; omitted when not available"),
      With(Opt("metadata", FT::kObject),
           {With(Opt("mentions", FT::kArray),
                 {F("id"), Opt("username"), Opt("handle"), Opt("name")}),
            F("status", FT::kString, P::kUnverified)}),
      Nullable(F("chat_room_id", FT::kString, P::kUnverified)),
      Nullable(F("thread_id", FT::kString, P::kUnverified)),
      F("inserted_at"),
      F("updated_at"),
  };
}

std::vector<FieldSpec> RoomAddedFields() {
  return {F("id"), F("title"), Nullable(Opt("task_id")), F("inserted_at"), F("updated_at")};
}

EventSpec Ev(std::string_view name, std::vector<FieldSpec> fields, bool to_agents = true) {
  EventSpec e;
  e.name = name;
  e.shapes.push_back(ShapeSpec{"", std::move(fields), ""});
  e.to_agents = to_agents;
  return e;
}

EventSpec RoomRemoved() {
  EventSpec e;
  e.name = "room_removed";
  e.shapes.push_back(
      ShapeSpec{"sdk", {F("id"), F("status"), F("type"), F("title"), F("removed_at")}, ""});
  e.shapes.push_back(ShapeSpec{"documented", RoomAddedFields(), ""});
  e.note =
      "shape unverified: docs say as room_added, SDK models say id/status/type/title/removed_at";
  return e;
}

EventSpec ParticipantAdded() {
  EventSpec e;
  e.name = "participant_added";
  e.shapes.push_back(ShapeSpec{"User",
                               {F("id"), OneOf(F("type"), {"User"}), F("name"),
                                Note(Opt("email"), "listed on the user page; not sent to agents"),
                                Opt("handle"), Opt("role"), Opt("status")},
                               ""});
  e.shapes.push_back(ShapeSpec{"Agent",
                               {F("id"), OneOf(F("type"), {"Agent"}), F("name"), Opt("description"),
                                Opt("is_external", FT::kBool), Opt("handle")},
                               ""});
  return e;
}

std::vector<FieldSpec> ContactAddedFields(bool agent_channel) {
  std::vector<FieldSpec> f = {F("id"),
                              F("handle"),
                              Opt("name"),
                              OneOf(F("type"), {"User", "Agent"}),
                              F("inserted_at"),
                              Opt("listed_in_directory", FT::kBool),
                              Opt("tags", FT::kArray)};
  if (agent_channel) {
    f.push_back(Nullable(Opt("description")));
    f.push_back(Opt("is_external", FT::kBool));
  }
  return f;
}

const std::vector<std::string_view> kFinalStatuses = {"approved", "rejected", "expired",
                                                      "cancelled"};
const std::vector<std::string_view> kTaskStatuses = {
    "new", "reviewing", "in_progress", "completed", "failed", "engaging", "waiting"};

std::vector<EventSpec> ContactEvents(bool agent_channel) {
  std::vector<EventSpec> out;
  if (agent_channel) {
    out.push_back(Ev("contact_request_received",
                     {F("id"), F("from_handle"), Note(Opt("from_name"), "omitted if nil"),
                      Note(Opt("message"), "omitted if nil"), OneOf(F("status"), {"pending"}),
                      F("inserted_at")}));
    out.back().note = "flat format (agent_contacts)";
  } else {
    out.push_back(Ev("contact_request_received",
                     {F("id"), F("requester_id"), OneOf(F("requester_type"), {"User", "Agent"}),
                      F("recipient_id"), OneOf(F("recipient_type"), {"User"}),
                      OneOf(F("status"), {"pending"}), Nullable(Opt("message")),
                      With(F("requester", FT::kObject), {F("id"), F("handle"), F("name")}),
                      F("inserted_at"), Nullable(F("responded_at"))}));
    out.back().note = "nested format (user_contacts)";
  }
  out.push_back(Ev("contact_request_updated", {F("id"), OneOf(F("status"), kFinalStatuses)}));
  out.push_back(Ev("contact_added", ContactAddedFields(agent_channel)));
  out.push_back(Ev("contact_removed", {F("id")}));
  return out;
}

std::vector<FieldSpec> TaskFields() {
  return {F("id"),
          Note(F("user_id"), "REST calls it creator_id"),
          Nullable(Opt("title")),
          Nullable(Opt("description")),
          Nullable(Opt("summary")),
          OneOf(F("status"), kTaskStatuses),
          Nullable(Opt("metadata", FT::kObject)),
          F("inserted_at"),
          F("updated_at")};
}

std::vector<ChannelSpec> BuildChannels() {
  std::vector<ChannelSpec> c;
  EventSpec created = Ev("message_created", MessageFields());
  created.note = "agents: only when mentioned and not the sender";
  EventSpec updated = Ev("message_updated", MessageFields(), false);
  updated.note = "users only; updated_at = edit time";
  c.push_back(ChannelSpec{"chat_room",
                          JoinRule::kRoomParticipant,
                          true,
                          true,
                          {created, updated, Ev("message_deleted", {F("id")}, false)},
                          "only text messages are pushed"});
  c.push_back(ChannelSpec{"room_participants",
                          JoinRule::kRoomParticipant,
                          true,
                          true,
                          {ParticipantAdded(), Ev("participant_removed", {F("id"), F("type")}),
                           Ev("room_deleted", {F("id")})},
                          "no events after room_deleted"});
  c.push_back(ChannelSpec{"user_rooms",
                          JoinRule::kOwnUserId,
                          true,
                          false,
                          {Ev("room_added", RoomAddedFields()), RoomRemoved()},
                          ""});
  c.push_back(ChannelSpec{"agent_rooms",
                          JoinRule::kOwnAgentId,
                          false,
                          true,
                          {Ev("room_added", RoomAddedFields()), RoomRemoved()},
                          ""});
  c.push_back(
      ChannelSpec{"user_contacts", JoinRule::kOwnUserId, true, false, ContactEvents(false), ""});
  c.push_back(ChannelSpec{"agent_contacts", JoinRule::kOwnAgentId, false, true, ContactEvents(true),
                          "as_agent: true"});
  c.push_back(ChannelSpec{"tasks",
                          JoinRule::kOwnUserId,
                          true,
                          false,
                          {Ev("task_created", TaskFields()), Ev("task_updated", TaskFields()),
                           Ev("task_deleted", {F("id")})},
                          "agents are effectively blocked: no matching user UUID"});
  for (auto& ch : c) {
    for (auto& e : ch.events) {
      if (!ch.users_may_join) e.to_users = false;
      if (!ch.agents_may_join) e.to_agents = false;
    }
  }
  return c;
}

bool TypeMatches(const FieldSpec& f, const nlohmann::json& v) {
  if (v.is_null()) return f.nullable || f.type == FT::kAny;
  switch (f.type) {
    case FT::kString:
      return v.is_string();
    case FT::kBool:
      return v.is_boolean();
    case FT::kNumber:
      return v.is_number();
    case FT::kObject:
      return v.is_object();
    case FT::kArray:
      return v.is_array();
    case FT::kAny:
      return true;
  }
  return false;
}

void Add(std::vector<Finding>& out, Finding::Severity s, std::string path, std::string msg) {
  out.push_back(Finding{s, std::move(path), std::move(msg)});
}

std::string EscapePointer(std::string_view name) {
  std::string out;
  for (char ch : name) {
    if (ch == '~')
      out += "~0";
    else if (ch == '/')
      out += "~1";
    else
      out += ch;
  }
  return out;
}

void CheckFields(const std::vector<FieldSpec>& fields, const nlohmann::json& obj,
                 const std::string& base, std::vector<Finding>& out) {
  using S = Finding::Severity;
  for (const FieldSpec& f : fields) {
    std::string path = base + "/" + EscapePointer(f.name);
    auto it = obj.find(std::string(f.name));
    if (it == obj.end()) {
      if (f.presence == P::kRequired) {
        Add(out, S::kError, path, "required field '" + std::string(f.name) + "' is missing");
      }
      continue;
    }
    const nlohmann::json& v = *it;
    S bad = f.presence == P::kUnverified ? S::kWarning : S::kError;
    if (!TypeMatches(f, v)) {
      Add(out, bad, path,
          "field '" + std::string(f.name) + "' should be " + std::string(FieldTypeName(f.type)) +
              (f.nullable ? " or null" : "") + ", got " + v.type_name());
      continue;
    }
    if (!f.allowed.empty() && v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      bool ok = false;
      std::string list;
      for (auto a : f.allowed) {
        ok = ok || s == a;
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      if (!ok) {
        Add(out, bad, path,
            "field '" + std::string(f.name) + "' is \"" + s + "\", expected one of: " + list);
      }
    }
    if (!f.children.empty()) {
      if (v.is_object()) {
        CheckFields(f.children, v, path, out);
      } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) {
          std::string ipath = path + "/" + std::to_string(i);
          if (!v[i].is_object()) {
            Add(out, bad, ipath,
                "array element should be object, got " + std::string(v[i].type_name()));
          } else {
            CheckFields(f.children, v[i], ipath, out);
          }
        }
      }
    }
  }
}

// The string at obj[key], or "" when absent or not a string (never throws).
std::string_view Str(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

size_t ErrorCount(const std::vector<Finding>& f) {
  size_t n = 0;
  for (const auto& x : f) n += x.is_error() ? 1 : 0;
  return n;
}

}  // namespace

std::string_view FieldTypeName(FieldType t) {
  switch (t) {
    case FT::kString:
      return "string";
    case FT::kBool:
      return "boolean";
    case FT::kNumber:
      return "number";
    case FT::kObject:
      return "object";
    case FT::kArray:
      return "array";
    case FT::kAny:
      return "any";
  }
  return "?";
}

const std::vector<ChannelSpec>& Channels() {
  static const std::vector<ChannelSpec> kChannels = BuildChannels();
  return kChannels;
}

const std::vector<SystemEventSpec>& SystemEvents() {
  static const std::vector<SystemEventSpec> kEvents = {
      {"phx_join", true, "[jr, jr, topic, \"phx_join\", {}]"},
      {"phx_reply", false,
       "[jr, ref, topic, \"phx_reply\", {\"status\":\"ok\"|\"error\",\"response\":{...}}]"},
      {"phx_leave", true, "[jr, ref, topic, \"phx_leave\", {}]"},
      {"phx_close", false, "[jr, jr, topic, \"phx_close\", {}]"},
      {"phx_error", false, "[jr, jr, topic, \"phx_error\", {}]"},
      {"heartbeat", true, "[null, ref, \"phoenix\", \"heartbeat\", {}]"},
  };
  return kEvents;
}

const ChannelSpec* FindChannel(std::string_view topic) {
  std::string_view prefix = topic.substr(0, topic.find(':'));
  for (const auto& ch : Channels()) {
    if (ch.prefix == prefix) return &ch;
  }
  return nullptr;
}

std::string_view TopicId(std::string_view topic) {
  size_t colon = topic.find(':');
  return colon == std::string_view::npos ? std::string_view{} : topic.substr(colon + 1);
}

const EventSpec* FindEvent(const ChannelSpec& channel, std::string_view event) {
  for (const auto& e : channel.events) {
    if (e.name == event) return &e;
  }
  return nullptr;
}

const EventSpec* FindEvent(std::string_view topic, std::string_view event) {
  const ChannelSpec* ch = FindChannel(topic);
  return ch ? FindEvent(*ch, event) : nullptr;
}

const SystemEventSpec* FindSystemEvent(std::string_view event) {
  for (const auto& e : SystemEvents()) {
    if (e.name == event) return &e;
  }
  return nullptr;
}

std::vector<Finding> CheckPayload(const ChannelSpec& channel, std::string_view event,
                                  const nlohmann::json& payload) {
  using S = Finding::Severity;
  std::vector<Finding> out;
  const EventSpec* ev = FindEvent(channel, event);
  if (!ev) {
    std::string list;
    for (const auto& e : channel.events) list += (list.empty() ? "" : ", ") + std::string(e.name);
    Add(out, S::kError, "",
        "event '" + std::string(event) + "' is not carried by " + std::string(channel.prefix) +
            " (expected one of: " + list + ")");
    return out;
  }
  if (!payload.is_object()) {
    Add(out, S::kError, "",
        "payload should be a JSON object, got " + std::string(payload.type_name()));
    return out;
  }
  std::vector<Finding> best;
  const ShapeSpec* best_shape = nullptr;
  // A payload that names its shape (participant_added's "type": "User" | "Agent") is checked
  // against that shape only, so its findings name the real problem.
  const ShapeSpec* named = nullptr;
  if (auto t = payload.find("type"); t != payload.end() && t->is_string()) {
    for (const auto& shape : ev->shapes) {
      if (shape.name == t->get<std::string>()) named = &shape;
    }
  }
  for (const auto& shape : ev->shapes) {
    if (named && &shape != named) continue;
    std::vector<Finding> f;
    CheckFields(shape.fields, payload, "", f);
    if (!best_shape || ErrorCount(f) < ErrorCount(best) ||
        (ErrorCount(f) == ErrorCount(best) && f.size() < best.size())) {
      best = std::move(f);
      best_shape = &shape;
    }
  }
  if (best_shape && ErrorCount(best) == 0 && !best_shape->warning.empty()) {
    Add(best, S::kWarning, "", std::string(best_shape->warning));
  }
  if (ErrorCount(best) == 0) {
    for (Sdk sdk : {Sdk::kPython, Sdk::kTypeScript}) {
      auto missing = SdkRejects(sdk, channel, event, payload);
      if (missing.empty()) continue;
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "'" : ", '") + m + "'";
      Add(best, S::kWarning, "",
          std::string(SdkName(sdk)) + " drops this " + std::string(event) + " (it requires " +
              list + " as strings; spec 3.5)");
    }
  }
  if (best_shape && ev->shapes.size() > 1 && ErrorCount(best) > 0) {
    for (auto& f : best) {
      f.message += " (closest shape: " + std::string(best_shape->name) + ")";
    }
  }
  return best;
}

std::string_view SdkName(Sdk sdk) {
  return sdk == Sdk::kPython ? "the Python SDK (pydantic)" : "the TypeScript SDK (zod)";
}

const std::vector<SdkRequirement>& SdkRequirements() {
  static const std::vector<SdkRequirement> kRules = [] {
    const std::vector<std::string_view> message = {
        "id", "content", "message_type", "sender_id", "sender_type", "inserted_at", "updated_at"};
    std::vector<SdkRequirement> r;
    for (Sdk sdk : {Sdk::kPython, Sdk::kTypeScript}) {
      r.push_back({sdk, "message_created", message});
      r.push_back({sdk, "participant_added", {"id", "name", "type"}});
      r.push_back({sdk, "participant_removed", {"id"}});
      r.push_back({sdk, "room_deleted", {"id"}});
      r.push_back({sdk,
                   "contact_request_received",
                   {"id", "from_handle", "from_name", "status", "inserted_at"}});
      r.push_back({sdk, "contact_request_updated", {"id", "status"}});
      r.push_back({sdk, "contact_added", {"id", "handle", "name", "type", "inserted_at"}});
      r.push_back({sdk, "contact_removed", {"id"}});
    }
    // The shapes the two disagree on (spec 3.4/3.5): room_added's timestamps are nullish in
    // zod but required by pydantic; room_removed is the SDK-model shape in zod and mirrors
    // room_added in the current Python models.
    r.push_back({Sdk::kPython, "room_added", {"id", "inserted_at", "updated_at"}});
    r.push_back({Sdk::kTypeScript, "room_added", {"id"}});
    r.push_back({Sdk::kPython, "room_removed", {"id", "inserted_at", "updated_at"}});
    r.push_back(
        {Sdk::kTypeScript, "room_removed", {"id", "status", "type", "title", "removed_at"}});
    return r;
  }();
  return kRules;
}

std::vector<std::string> SdkRejects(Sdk sdk, const ChannelSpec& channel, std::string_view event,
                                    const nlohmann::json& payload) {
  std::vector<std::string> missing;
  if (!channel.agents_may_join || !payload.is_object()) return missing;
  for (const auto& rule : SdkRequirements()) {
    if (rule.sdk != sdk || rule.event != event) continue;
    for (auto field : rule.fields) {
      auto it = payload.find(std::string(field));
      if (it == payload.end() || !it->is_string()) missing.emplace_back(field);
    }
  }
  return missing;
}

std::vector<Finding> CheckPayload(std::string_view topic, std::string_view event,
                                  const nlohmann::json& payload) {
  const ChannelSpec* ch = FindChannel(topic);
  if (!ch) {
    return {Finding{Finding::Severity::kError, "",
                    "topic '" + std::string(topic) + "' is not a Thenvoi channel"}};
  }
  return CheckPayload(*ch, event, payload);
}

bool AgentReceives(const ChannelSpec& channel, const EventSpec& event,
                   const nlohmann::json& payload, std::string_view agent_id) {
  if (!event.to_agents) return false;
  if (channel.prefix != "chat_room") return true;
  if (event.name != "message_created" || !payload.is_object()) return false;
  if (Str(payload, "message_type") != "text") return false;
  if (Str(payload, "sender_id") == agent_id) return false;
  auto meta = payload.find("metadata");
  if (meta == payload.end() || !meta->is_object()) return false;
  auto mentions = meta->find("mentions");
  if (mentions == meta->end() || !mentions->is_array()) return false;
  for (const auto& m : *mentions) {
    if (m.is_object() && !agent_id.empty() && Str(m, "id") == agent_id) return true;
  }
  return false;
}

}  // namespace wsr::thenvoi
