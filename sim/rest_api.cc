#include "sim/rest_api.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>

namespace wsr::sim {

using J = nlohmann::ordered_json;

namespace {

constexpr const char* kSeedTime = "2026-03-10T09:00:00.000000Z";
constexpr int64_t kMaxPageSize = 100;

struct Participant {
  std::string id;
  std::string role;  // owner | admin | member
};

struct Chat {
  std::string id, title, type = "group", status = "active";
  J task_id = nullptr;
  std::string inserted_at, updated_at;
  std::vector<Participant> participants;  // in join order
};

struct Attempt {
  int number = 0;
  std::string status;  // processing | processed | failed
  std::string started_at, completed_at, error;
};

// One agent's processing state of one message.
struct Delivery {
  std::vector<Attempt> attempts;
  std::string processed_at;
  // "" (never touched), processing, processed, failed
  std::string status() const { return attempts.empty() ? "" : attempts.back().status; }
};

struct Message {
  std::string id, chat_id, content, message_type, sender_id, sender_type, sender_name;
  J mentions = J::array();
  std::string inserted_at;
  std::map<std::string, Delivery> delivery;  // agent id -> state
  bool Mentions(const std::string& id) const {
    for (const auto& m : mentions) {
      if (m.value("id", "") == id) return true;
    }
    return false;
  }
};

struct ContactRequest {
  std::string id, from, to, status = "pending", message, inserted_at, responded_at;
};

struct Contact {
  std::string other, inserted_at;
};

}  // namespace

struct RestApi::State {
  std::vector<Chat> chats;
  std::vector<Message> messages;                         // every chat's, in creation order
  std::map<std::string, std::vector<Contact>> contacts;  // identity id -> its contacts
  std::vector<ContactRequest> requests;
  uint64_t next_id = 1;

  std::string NewId() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(next_id++));
    return buf;
  }
  Chat* FindChat(std::string_view id) {
    for (auto& c : chats) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
};

std::string IsoTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ms % 1000) * 1000);
  return buf;
}

bool IsRestPath(std::string_view path) {
  for (std::string_view base : {kRestAgentBase, kRestHumanBase}) {
    if (path.substr(0, base.size()) == base &&
        (path.size() == base.size() || path[base.size()] == '/')) {
      return true;
    }
  }
  return false;
}

namespace {

// ---------- small helpers ----------

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = PercentDecode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));  // the first value of a key wins
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// "Weather Agent" -> "weather-agent".
std::string Slug(std::string_view name) {
  std::string out;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string Handle(const Identity& who) { return Slug(who.name.empty() ? who.id : who.name); }
bool IsAgent(const Identity& who) { return who.type == thenvoi::Identity::kAgent; }
std::string TypeName(const Identity& who) { return IsAgent(who) ? "Agent" : "User"; }
std::string RoomsTopic(const Identity& who) {
  return (IsAgent(who) ? "agent_rooms:" : "user_rooms:") + who.id;
}
std::string ContactsTopic(const Identity& who) {
  return (IsAgent(who) ? "agent_contacts:" : "user_contacts:") + who.id;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

// ---------- one call ----------

struct Call {
  RestApi::State& st;
  const Keys& keys;
  const Identity& who;
  bool human;                     // under /api/v1/me
  std::vector<std::string> args;  // the {} path segments, in order
  std::map<std::string, std::string> query;
  J body;  // null when the request had none
  std::string now;
  RestResult out;

  // ---- responses ----
  void Reply(int status, J payload) {
    out.response.status = status;
    out.response.body = payload.dump();
  }
  void Data(int status, J data) { Reply(status, J{{"data", std::move(data)}}); }
  void Fail(int status, const std::string& code, const std::string& message) {
    Reply(status, J{{"error", code}, {"message", message}});
  }
  void Push(std::string topic, std::string event, J payload) {
    out.pushes.push_back({std::move(topic), std::move(event), std::move(payload)});
  }

  // ---- lookups ----
  const Identity* ById(std::string_view id) const {
    for (const auto& i : keys.identities()) {
      if (i.id == id) return &i;
    }
    return nullptr;
  }
  const Identity* ByHandle(std::string_view handle) const {
    if (!handle.empty() && handle[0] == '@') handle.remove_prefix(1);
    for (const auto& i : keys.identities()) {
      if (Handle(i) == handle) return &i;
    }
    return nullptr;
  }
  static bool InChat(const Chat& c, std::string_view id) {
    for (const auto& p : c.participants) {
      if (p.id == id) return true;
    }
    return false;
  }
  // The chat in args[0] when the caller participates in it; else a 404 and nullptr.
  Chat* VisibleChat() {
    Chat* c = st.FindChat(args.at(0));
    if (!c || !InChat(*c, who.id)) {
      Fail(404, "not_found", "chat room " + args.at(0) + " not found (or you are not in it)");
      return nullptr;
    }
    return c;
  }
  // The message args[1] of chat `c`; else a 404 and nullptr.
  Message* MessageIn(const Chat& c) {
    for (auto& m : st.messages) {
      if (m.id == args.at(1) && m.chat_id == c.id) return &m;
    }
    Fail(404, "not_found", "message " + args.at(1) + " not found in chat room " + c.id);
    return nullptr;
  }
  // body[key] when it is an object; else a 422 and nullptr.
  const J* Object(const char* key, bool required = true) {
    if (body.is_object()) {
      auto it = body.find(key);
      if (it != body.end() && it->is_object()) return &*it;
      if (!required && it == body.end()) return nullptr;
    } else if (!required && body.is_null()) {
      return nullptr;
    }
    Fail(422, "unprocessable_entity",
         std::string("the body must be a JSON object with an object \"") + key + "\"");
    return nullptr;
  }

  // ---- pagination ----
  struct Page {
    int64_t page = 1, size = 20;
  };
  std::optional<Page> ParsePage(int64_t default_size, const char* page_key = "page",
                                const char* size_key = "page_size") {
    Page p;
    p.size = default_size;
    if (auto it = query.find(page_key); it != query.end()) {
      auto v = ParseInt(it->second);
      if (!v || *v < 1) {
        Fail(422, "unprocessable_entity",
             std::string("bad ") + page_key + " '" + it->second + "': expected an integer >= 1");
        return std::nullopt;
      }
      p.page = *v;
    }
    if (auto it = query.find(size_key); it != query.end()) {
      auto v = ParseInt(it->second);
      if (!v || *v < 1 || *v > kMaxPageSize) {
        Fail(422, "unprocessable_entity",
             std::string("bad ") + size_key + " '" + it->second + "': expected 1 to 100");
        return std::nullopt;
      }
      p.size = *v;
    }
    return p;
  }
  static int64_t TotalPages(int64_t total, int64_t size) { return (total + size - 1) / size; }
  static J Slice(const J& all, const Page& p) {
    J out = J::array();
    int64_t from = (p.page - 1) * p.size;
    for (int64_t i = from; i < static_cast<int64_t>(all.size()) && i < from + p.size; ++i) {
      out.push_back(all[static_cast<size_t>(i)]);
    }
    return out;
  }
  static J PageMeta(const Page& p, int64_t total) {
    return J{{"page", p.page},
             {"page_size", p.size},
             {"total_count", total},
             {"total_pages", TotalPages(total, p.size)}};
  }
  void List(const J& all, const Page& p, J extra_meta = J::object()) {
    J meta = PageMeta(p, static_cast<int64_t>(all.size()));
    for (auto& [k, v] : extra_meta.items()) meta[k] = v;
    Reply(200, J{{"data", Slice(all, p)}, {"metadata", std::move(meta)}});
  }

  // ---- shapes ----
  static J ChatJson(const Chat& c) {
    return J{{"id", c.id},
             {"title", c.title},
             {"type", c.type},
             {"status", c.status},
             {"task_id", c.task_id},
             {"inserted_at", c.inserted_at},
             {"updated_at", c.updated_at}};
  }
  static J RoomAddedJson(const Chat& c) {
    return J{{"id", c.id},
             {"title", c.title},
             {"task_id", c.task_id},
             {"inserted_at", c.inserted_at},
             {"updated_at", c.updated_at}};
  }
  static J ParticipantJson(const Identity& i, const std::string& role) {
    return J{{"id", i.id},          {"name", i.name}, {"type", TypeName(i)},
             {"handle", Handle(i)}, {"role", role},   {"status", "active"}};
  }
  static J MentionJson(const Identity& i) {
    return J{{"id", i.id}, {"handle", Handle(i)}, {"name", i.name}};
  }
  // A message as the platform pushes it (no per-agent state).
  static J MessageJson(const Message& m) {
    return J{{"id", m.id},
             {"chat_room_id", m.chat_id},
             {"content", m.content},
             {"message_type", m.message_type},
             {"metadata", J{{"mentions", m.mentions}, {"status", "sent"}}},
             {"sender_id", m.sender_id},
             {"sender_type", m.sender_type},
             {"sender_name", m.sender_name},
             {"thread_id", nullptr},
             {"inserted_at", m.inserted_at},
             {"updated_at", m.inserted_at}};
  }
  // A message as an agent lists it: metadata.status is that agent's processing state
  // ("sent" before any attempt) and metadata.attempts its attempts.
  static J MessageJsonFor(const Message& m, const std::string& agent) {
    J j = MessageJson(m);
    auto d = m.delivery.find(agent);
    if (d == m.delivery.end()) {
      j["metadata"]["attempts"] = J::array();
      return j;
    }
    j["metadata"]["status"] = d->second.status();
    J attempts = J::array();
    for (const auto& a : d->second.attempts) {
      J aj{{"attempt_number", a.number}, {"status", a.status}, {"started_at", a.started_at}};
      aj["completed_at"] = a.completed_at.empty() ? J(nullptr) : J(a.completed_at);
      if (!a.error.empty()) aj["error"] = a.error;
      attempts.push_back(std::move(aj));
    }
    j["metadata"]["attempts"] = std::move(attempts);
    if (!d->second.processed_at.empty()) j["metadata"]["processed_at"] = d->second.processed_at;
    return j;
  }
  J ContactJson(const Identity& other, const std::string& inserted_at, bool agent_view) const {
    J j{{"id", other.id},
        {"handle", Handle(other)},
        {"name", other.name},
        {"type", TypeName(other)},
        {"inserted_at", inserted_at}};
    if (agent_view) {
      j["description"] = nullptr;
      j["is_external"] = false;
    }
    return j;
  }
  bool IsContact(const std::string& a, const std::string& b) const {
    auto it = st.contacts.find(a);
    if (it == st.contacts.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](const Contact& c) { return c.other == b; });
  }

  // ================= handlers =================

  void GetMe() {
    J d{{"id", who.id}, {"name", who.name}, {"description", nullptr}, {"handle", Handle(who)}};
    if (IsAgent(who)) d["owner_uuid"] = who.owner_id;
    d["inserted_at"] = kSeedTime;
    d["updated_at"] = kSeedTime;
    Data(200, std::move(d));
  }

  void ListPeers() {
    auto p = ParsePage(20);
    if (!p) return;
    const Chat* exclude = nullptr;
    if (auto it = query.find("not_in_chat"); it != query.end()) {
      args = {it->second};
      exclude = VisibleChat();
      if (!exclude) return;
    }
    J all = J::array();
    for (const auto& i : keys.identities()) {
      if (i.id == who.id || (exclude && InChat(*exclude, i.id))) continue;
      all.push_back(J{{"id", i.id},
                      {"name", i.name},
                      {"type", TypeName(i)},
                      {"handle", Handle(i)},
                      {"description", nullptr},
                      {"is_contact", IsContact(who.id, i.id)},
                      {"is_external", false},
                      {"source", "organization"}});
    }
    List(all, *p);
  }

  void ListChats() {
    auto p = ParsePage(20);
    if (!p) return;
    J all = J::array();
    for (const auto& c : st.chats) {
      if (InChat(c, who.id)) all.push_back(ChatJson(c));
    }
    List(all, *p);
  }

  void CreateChat() {
    const J* chat = Object("chat");
    if (!chat) return;
    Chat c;
    c.id = st.NewId();
    c.title = "New chat";
    if (auto t = chat->find("title"); t != chat->end() && t->is_string()) c.title = *t;
    if (auto t = chat->find("task_id"); t != chat->end() && !t->is_null()) {
      if (!t->is_string()) {
        Fail(422, "unprocessable_entity", "chat.task_id must be a string or null");
        return;
      }
      c.task_id = *t;
      c.type = "task";
    }
    c.inserted_at = c.updated_at = now;
    c.participants.push_back({who.id, "owner"});
    st.chats.push_back(c);
    Data(201, ChatJson(c));
    Push(RoomsTopic(who), "room_added", RoomAddedJson(c));
  }

  void GetChat() {
    if (Chat* c = VisibleChat()) Data(200, ChatJson(*c));
  }

  void ListParticipants() {
    Chat* c = VisibleChat();
    if (!c) return;
    J all = J::array();
    for (const auto& p : c->participants) {
      if (const Identity* i = ById(p.id)) all.push_back(ParticipantJson(*i, p.role));
    }
    Data(200, std::move(all));
  }

  void AddParticipant() {
    Chat* c = VisibleChat();
    if (!c) return;
    const J* part = Object("participant");
    if (!part) return;
    auto pid = part->find("participant_id");
    if (pid == part->end() || !pid->is_string()) {
      Fail(422, "unprocessable_entity", "participant.participant_id (a UUID) is required");
      return;
    }
    std::string id = *pid;
    if (!IsUuid(id)) {
      Fail(422, "unprocessable_entity", "participant.participant_id '" + id + "' is not a UUID");
      return;
    }
    std::string role = "member";
    if (auto r = part->find("role"); r != part->end() && !r->is_null()) {
      if (!r->is_string() || (*r != "owner" && *r != "admin" && *r != "member")) {
        Fail(422, "unprocessable_entity", "participant.role must be owner, admin or member");
        return;
      }
      role = *r;
    }
    const Identity* p = ById(id);
    if (!p) {
      Fail(404, "not_found", "no user or agent with id " + id);
      return;
    }
    if (InChat(*c, id)) {
      Fail(422, "unprocessable_entity", id + " is already a participant of this chat room");
      return;
    }
    c->participants.push_back({id, role});
    Data(201, ParticipantJson(*p, role));
    J added{{"id", p->id}, {"type", TypeName(*p)}, {"name", p->name}};
    if (IsAgent(*p)) {
      added["is_external"] = false;
      added["handle"] = Handle(*p);
    } else {
      added["handle"] = Handle(*p);
      added["role"] = role;
      added["status"] = "active";
    }
    Push("room_participants:" + c->id, "participant_added", std::move(added));
    Push(RoomsTopic(*p), "room_added", RoomAddedJson(*c));
  }

  void RemoveParticipant() {
    Chat* c = VisibleChat();
    if (!c) return;
    const std::string& id = args.at(1);
    auto it = std::find_if(c->participants.begin(), c->participants.end(),
                           [&](const Participant& p) { return p.id == id; });
    if (it == c->participants.end()) {
      Fail(404, "not_found", id + " is not a participant of this chat room");
      return;
    }
    std::string role = it->role;
    c->participants.erase(it);
    const Identity* p = ById(id);
    if (!p) {  // cannot happen: participants are identities
      Data(200, J{{"id", id}});
      return;
    }
    Data(200, ParticipantJson(*p, role));
    Push("room_participants:" + c->id, "participant_removed",
         J{{"id", p->id}, {"type", TypeName(*p)}});
    // Both documented room_removed shapes at once (spec 3.5 of the WebSocket reference).
    J removed = RoomAddedJson(*c);
    removed["status"] = c->status;
    removed["type"] = c->type;
    removed["removed_at"] = now;
    Push(RoomsTopic(*p), "room_removed", std::move(removed));
  }

  // Messages an agent is asked to handle: text that mentions it, not its own.
  bool ForAgent(const Message& m) const {
    return m.message_type == "text" && m.sender_id != who.id && m.Mentions(who.id);
  }

  void ListMessages() {
    Chat* c = VisibleChat();
    if (!c) return;
    auto p = ParsePage(20);
    if (!p) return;
    J all = J::array();
    if (human) {
      std::string type = query.count("message_type") ? query["message_type"] : "";
      for (const auto& m : st.messages) {
        if (m.chat_id == c->id && (type.empty() || m.message_type == type)) {
          all.push_back(MessageJson(m));
        }
      }
      List(all, *p);
      return;
    }
    std::string filter = query.count("status") ? query["status"] : "";
    static const char* kFilters[] = {"", "pending", "processing", "processed", "failed", "all"};
    if (std::find(std::begin(kFilters), std::end(kFilters), filter) == std::end(kFilters)) {
      Fail(422, "unprocessable_entity",
           "bad status '" + filter + "': use pending, processing, processed, failed or all");
      return;
    }
    for (const auto& m : st.messages) {
      if (m.chat_id != c->id || !ForAgent(m)) continue;
      auto d = m.delivery.find(who.id);
      std::string s = d == m.delivery.end() ? "" : d->second.status();
      bool keep = filter == "all" || (filter.empty() && s != "processed") ||
                  (filter == "pending" && (s.empty() || s == "failed")) ||
                  (!filter.empty() && filter == s);
      if (keep) all.push_back(MessageJsonFor(m, who.id));
    }
    List(all, *p, J{{"status_filter", filter.empty() ? J(nullptr) : J(filter)}});
  }

  void NextMessage() {
    Chat* c = VisibleChat();
    if (!c) return;
    for (const auto& m : st.messages) {
      if (m.chat_id != c->id || !ForAgent(m)) continue;
      auto d = m.delivery.find(who.id);
      std::string s = d == m.delivery.end() ? "" : d->second.status();
      if (s.empty() || s == "failed") {
        Data(200, MessageJsonFor(m, who.id));
        return;
      }
    }
    out.response.status = 204;
    out.response.body.clear();
  }

  void PostMessage() {
    Chat* c = VisibleChat();
    if (!c) return;
    const J* msg = Object("message");
    if (!msg) return;
    auto content = msg->find("content");
    if (content == msg->end() || !content->is_string() || content->get<std::string>().empty()) {
      Fail(422, "unprocessable_entity", "message.content must be a non-empty string");
      return;
    }
    if (auto t = msg->find("message_type"); t != msg->end() && !t->is_null() && *t != "text") {
      Fail(422, "unprocessable_entity",
           "only text messages go to /messages; post other types to /chats/" + c->id + "/events");
      return;
    }
    J mentions = J::array();
    J recipients = J::array();
    if (auto ms = msg->find("mentions"); ms != msg->end() && !ms->is_null()) {
      if (!ms->is_array()) {
        Fail(422, "unprocessable_entity", "message.mentions must be an array of {\"id\": ...}");
        return;
      }
      for (const auto& m : *ms) {
        std::string id = m.is_object() && m.contains("id") && m["id"].is_string()
                             ? m["id"].get<std::string>()
                             : "";
        const Identity* i = id.empty() ? nullptr : ById(id);
        if (!i || !InChat(*c, id)) {
          Fail(422, "unprocessable_entity",
               "mention " + (id.empty() ? m.dump() : id) +
                   " is not a participant of this chat room");
          return;
        }
        mentions.push_back(MentionJson(*i));
        recipients.push_back(MentionJson(*i));
      }
    }
    if (!human && mentions.empty()) {
      Fail(422, "unprocessable_entity",
           "a text message must mention at least one participant (message.mentions)");
      return;
    }
    Message m;
    m.id = st.NewId();
    m.chat_id = c->id;
    m.content = *content;
    m.message_type = "text";
    m.sender_id = who.id;
    m.sender_type = TypeName(who);
    m.sender_name = who.name;
    m.mentions = std::move(mentions);
    m.inserted_at = now;
    st.messages.push_back(m);
    J d = MessageJson(m);
    d["success"] = true;
    d["recipients"] = std::move(recipients);
    Data(201, std::move(d));
    Push("chat_room:" + c->id, "message_created", MessageJson(m));
  }

  void PostEvent() {
    Chat* c = VisibleChat();
    if (!c) return;
    const J* ev = Object("event");
    if (!ev) return;
    auto content = ev->find("content");
    auto type = ev->find("message_type");
    static const char* kTypes[] = {"tool_call", "tool_result", "thought", "error", "task"};
    if (content == ev->end() || !content->is_string()) {
      Fail(422, "unprocessable_entity", "event.content must be a string");
      return;
    }
    if (type == ev->end() || !type->is_string() ||
        std::find(std::begin(kTypes), std::end(kTypes), type->get<std::string>()) ==
            std::end(kTypes)) {
      Fail(422, "unprocessable_entity",
           "event.message_type must be tool_call, tool_result, thought, error or task");
      return;
    }
    Message m;
    m.id = st.NewId();
    m.chat_id = c->id;
    m.content = *content;
    m.message_type = *type;
    m.sender_id = who.id;
    m.sender_type = TypeName(who);
    m.sender_name = who.name;
    m.inserted_at = now;
    st.messages.push_back(m);
    Data(201, J{{"id", m.id}, {"message_type", m.message_type}, {"success", true}});
  }

  void Mark(const std::string& what) {
    Chat* c = VisibleChat();
    if (!c) return;
    Message* m = MessageIn(*c);
    if (!m) return;
    std::string error;
    if (what == "failed") {
      auto e = body.is_object() ? body.find("error") : body.end();
      if (!body.is_object() || e == body.end() || !e->is_string() ||
          e->get<std::string>().empty()) {
        Fail(422, "unprocessable_entity", "the body must be {\"error\": \"<non-empty text>\"}");
        return;
      }
      error = *e;
    }
    Delivery& d = m->delivery[who.id];
    if (what == "processing") {
      d.attempts.push_back({static_cast<int>(d.attempts.size()) + 1, "processing", now, "", ""});
    } else {
      if (d.attempts.empty() || d.attempts.back().status != "processing") {
        if (d.attempts.empty()) m->delivery.erase(who.id);
        Fail(422, "unprocessable_entity",
             "message " + m->id + " has no active processing attempt: POST .../processing first");
        return;
      }
      Attempt& a = d.attempts.back();
      a.status = what;
      a.completed_at = now;
      a.error = error;
      if (what == "processed") d.processed_at = now;
    }
    Data(200, J{{"id", m->id},
                {"status", d.status()},
                {"attempt_number", d.attempts.back().number},
                {"success", true}});
  }

  void Context() {
    Chat* c = VisibleChat();
    if (!c) return;
    J all = J::array();
    for (const auto& m : st.messages) {
      if (m.chat_id == c->id && (m.sender_id == who.id || ForAgent(m))) {
        all.push_back(MessageJsonFor(m, who.id));
      }
    }
    int64_t total = static_cast<int64_t>(all.size());
    if (query.count("cursor") || query.count("limit")) {
      auto p = ParsePage(50, "", "limit");  // "" never matches: page stays 1
      if (!p) return;
      int64_t from = 0;
      if (auto it = query.find("cursor"); it != query.end() && !it->second.empty()) {
        auto v = ParseInt(it->second);
        if (!v || *v > total) {
          Fail(422, "unprocessable_entity",
               "bad cursor '" + it->second + "': pass the next_cursor of the previous page");
          return;
        }
        from = *v;
      }
      J data = J::array();
      for (int64_t i = from; i < total && i < from + p->size; ++i) {
        data.push_back(all[static_cast<size_t>(i)]);
      }
      bool more = from + p->size < total;
      Reply(200,
            J{{"data", std::move(data)},
              {"metadata", J{{"next_cursor", more ? J(std::to_string(from + p->size)) : J(nullptr)},
                             {"has_more", more}}}});
      return;
    }
    auto p = ParsePage(50);
    if (!p) return;
    bool more = p->page * p->size < total;
    List(all, *p,
         J{{"next_cursor", more ? J(std::to_string(p->page * p->size)) : J(nullptr)},
           {"has_more", more}});
  }

  // ---- contacts ----

  void ListContacts() {
    auto p = ParsePage(50);
    if (!p) return;
    J all = J::array();
    if (auto it = st.contacts.find(who.id); it != st.contacts.end()) {
      for (const auto& ct : it->second) {
        if (const Identity* o = ById(ct.other))
          all.push_back(ContactJson(*o, ct.inserted_at, true));
      }
    }
    List(all, *p);
  }

  J RequestReceivedPayload(const ContactRequest& r, const Identity& to) const {
    const Identity* from = ById(r.from);
    if (IsAgent(to)) {
      J j{{"id", r.id}, {"from_handle", Handle(*from)}, {"from_name", from->name}};
      if (!r.message.empty()) j["message"] = r.message;
      j["status"] = r.status;
      j["inserted_at"] = r.inserted_at;
      return j;
    }
    return J{{"id", r.id},
             {"requester_id", from->id},
             {"requester_type", TypeName(*from)},
             {"recipient_id", to.id},
             {"recipient_type", "User"},
             {"status", r.status},
             {"message", r.message.empty() ? J(nullptr) : J(r.message)},
             {"requester", J{{"id", from->id}, {"handle", Handle(*from)}, {"name", from->name}}},
             {"inserted_at", r.inserted_at},
             {"responded_at", nullptr}};
  }

  void AddContact() {
    auto h = body.is_object() ? body.find("handle") : body.end();
    if (!body.is_object() || h == body.end() || !h->is_string()) {
      Fail(422, "unprocessable_entity", "the body must be {\"handle\": \"@handle\"}");
      return;
    }
    const Identity* to = ByHandle(h->get<std::string>());
    if (!to) {
      Fail(404, "not_found", "no user or agent with handle " + h->get<std::string>());
      return;
    }
    if (to->id == who.id) {
      Fail(422, "unprocessable_entity", "you cannot add yourself as a contact");
      return;
    }
    if (IsContact(who.id, to->id)) {
      Fail(422, "unprocessable_entity", Handle(*to) + " is already a contact");
      return;
    }
    for (const auto& r : st.requests) {
      if (r.status == "pending" &&
          ((r.from == who.id && r.to == to->id) || (r.from == to->id && r.to == who.id))) {
        Fail(422, "unprocessable_entity",
             "a contact request between you and " + Handle(*to) + " is already pending");
        return;
      }
    }
    ContactRequest r;
    r.id = st.NewId();
    r.from = who.id;
    r.to = to->id;
    if (auto m = body.find("message"); m != body.end() && m->is_string()) r.message = *m;
    r.inserted_at = now;
    st.requests.push_back(r);
    Data(201, J{{"id", r.id}, {"status", r.status}});
    Push(ContactsTopic(*to), "contact_request_received", RequestReceivedPayload(r, *to));
  }

  void RemoveContact() {
    const Identity* other = nullptr;
    if (body.is_object() && body.contains("contact_id") && body["contact_id"].is_string()) {
      other = ById(body["contact_id"].get<std::string>());
    } else if (body.is_object() && body.contains("handle") && body["handle"].is_string()) {
      other = ByHandle(body["handle"].get<std::string>());
    } else {
      Fail(422, "unprocessable_entity",
           "the body must be {\"handle\": ...} or {\"contact_id\": ...}");
      return;
    }
    if (!other || !IsContact(who.id, other->id)) {
      Fail(404, "not_found", "no such contact");
      return;
    }
    auto drop = [&](const std::string& a, const std::string& b) {
      auto& v = st.contacts[a];
      v.erase(std::remove_if(v.begin(), v.end(), [&](const Contact& c) { return c.other == b; }),
              v.end());
    };
    drop(who.id, other->id);
    drop(other->id, who.id);
    Data(200, J{{"id", other->id}, {"status", "removed"}});
    Push(ContactsTopic(who), "contact_removed", J{{"id", other->id}});
    Push(ContactsTopic(*other), "contact_removed", J{{"id", who.id}});
  }

  void ListContactRequests() {
    auto p = ParsePage(50);
    if (!p) return;
    std::string sent_status = query.count("sent_status") ? query["sent_status"] : "pending";
    static const char* kStatuses[] = {"pending", "approved", "rejected", "cancelled", "all"};
    if (std::find(std::begin(kStatuses), std::end(kStatuses), sent_status) == std::end(kStatuses)) {
      Fail(422, "unprocessable_entity",
           "bad sent_status '" + sent_status +
               "': use pending, approved, rejected, cancelled or all");
      return;
    }
    J received = J::array(), sent = J::array();
    for (const auto& r : st.requests) {
      if (r.to == who.id && r.status == "pending") {
        const Identity* from = ById(r.from);
        J j{{"id", r.id}, {"status", r.status}};
        if (!r.message.empty()) j["message"] = r.message;
        j["inserted_at"] = r.inserted_at;
        j["from_handle"] = Handle(*from);
        j["from_name"] = from->name;
        received.push_back(std::move(j));
      } else if (r.from == who.id && (sent_status == "all" || r.status == sent_status)) {
        const Identity* to = ById(r.to);
        J j{{"id", r.id}, {"status", r.status}};
        if (!r.message.empty()) j["message"] = r.message;
        j["inserted_at"] = r.inserted_at;
        j["to_handle"] = Handle(*to);
        j["to_name"] = to->name;
        sent.push_back(std::move(j));
      }
    }
    auto count = [&](const J& v) {
      int64_t n = static_cast<int64_t>(v.size());
      return J{{"total", n}, {"total_pages", TotalPages(n, p->size)}};
    };
    Reply(200, J{{"data", J{{"received", Slice(received, *p)}, {"sent", Slice(sent, *p)}}},
                 {"metadata", J{{"page", p->page},
                                {"page_size", p->size},
                                {"received", count(received)},
                                {"sent", count(sent)}}}});
  }

  void RespondContactRequest() {
    std::string action = body.is_object() ? body.value("action", "") : "";
    if (action != "approve" && action != "reject" && action != "cancel") {
      Fail(422, "unprocessable_entity", "action must be approve, reject or cancel");
      return;
    }
    bool cancel = action == "cancel";
    auto text = [&](const char* key) {
      auto it = body.find(key);
      return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string request_id = text("request_id");
    const Identity* by_handle = nullptr;
    if (request_id.empty()) {
      by_handle = ByHandle(text("handle"));
      if (!by_handle) {
        Fail(422, "unprocessable_entity", "the body needs a request_id or a known handle");
        return;
      }
    }
    ContactRequest* req = nullptr;
    for (auto& r : st.requests) {
      if (r.status != "pending") continue;
      if (cancel ? r.from != who.id : r.to != who.id) continue;
      std::string other = cancel ? r.to : r.from;
      if (request_id.empty() ? other == by_handle->id : r.id == request_id) req = &r;
    }
    if (!req) {
      Fail(
          404, "not_found",
          std::string("no pending ") + (cancel ? "sent" : "received") + " contact request matches");
      return;
    }
    req->status = action == "approve" ? "approved" : action == "reject" ? "rejected" : "cancelled";
    req->responded_at = now;
    const Identity* from = ById(req->from);
    const Identity* to = ById(req->to);
    Data(200, J{{"id", req->id}, {"status", req->status}});
    J updated{{"id", req->id}, {"status", req->status}};
    Push(ContactsTopic(*from), "contact_request_updated", updated);
    Push(ContactsTopic(*to), "contact_request_updated", updated);
    if (req->status == "approved") {
      st.contacts[from->id].push_back({to->id, now});
      st.contacts[to->id].push_back({from->id, now});
      Push(ContactsTopic(*from), "contact_added", ContactJson(*to, now, IsAgent(*from)));
      Push(ContactsTopic(*to), "contact_added", ContactJson(*from, now, IsAgent(*to)));
    }
  }

  // ---- Human API extras ----
  void GetProfile() {
    Data(200, J{{"id", who.id},
                {"name", who.name},
                {"handle", Handle(who)},
                {"inserted_at", kSeedTime},
                {"updated_at", kSeedTime}});
  }
};

// A route: method, path below the base with "{}" for an id segment, and whose keys may call it.
struct Route {
  const char* method;
  const char* pattern;
  bool agent_api;  // true: /api/v1/agent (agent keys); false: /api/v1/me (user keys)
  std::function<void(Call&)> run;
};

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"GET", "me", true, [](Call& c) { c.GetMe(); }},
      {"GET", "peers", true, [](Call& c) { c.ListPeers(); }},
      {"GET", "chats", true, [](Call& c) { c.ListChats(); }},
      {"POST", "chats", true, [](Call& c) { c.CreateChat(); }},
      {"GET", "chats/{}", true, [](Call& c) { c.GetChat(); }},
      {"GET", "chats/{}/participants", true, [](Call& c) { c.ListParticipants(); }},
      {"POST", "chats/{}/participants", true, [](Call& c) { c.AddParticipant(); }},
      {"DELETE", "chats/{}/participants/{}", true, [](Call& c) { c.RemoveParticipant(); }},
      {"GET", "chats/{}/messages", true, [](Call& c) { c.ListMessages(); }},
      {"POST", "chats/{}/messages", true, [](Call& c) { c.PostMessage(); }},
      {"GET", "chats/{}/messages/next", true, [](Call& c) { c.NextMessage(); }},
      {"POST", "chats/{}/messages/{}/processing", true, [](Call& c) { c.Mark("processing"); }},
      {"POST", "chats/{}/messages/{}/processed", true, [](Call& c) { c.Mark("processed"); }},
      {"POST", "chats/{}/messages/{}/failed", true, [](Call& c) { c.Mark("failed"); }},
      {"POST", "chats/{}/events", true, [](Call& c) { c.PostEvent(); }},
      {"GET", "chats/{}/context", true, [](Call& c) { c.Context(); }},
      {"GET", "contacts", true, [](Call& c) { c.ListContacts(); }},
      {"POST", "contacts/add", true, [](Call& c) { c.AddContact(); }},
      {"POST", "contacts/remove", true, [](Call& c) { c.RemoveContact(); }},
      {"GET", "contacts/requests", true, [](Call& c) { c.ListContactRequests(); }},
      {"POST", "contacts/requests/respond", true, [](Call& c) { c.RespondContactRequest(); }},
      // Human API: the room and message routes, shared with the Agent API's handlers.
      {"GET", "profile", false, [](Call& c) { c.GetProfile(); }},
      {"GET", "peers", false, [](Call& c) { c.ListPeers(); }},
      {"GET", "chats", false, [](Call& c) { c.ListChats(); }},
      {"POST", "chats", false, [](Call& c) { c.CreateChat(); }},
      {"GET", "chats/{}", false, [](Call& c) { c.GetChat(); }},
      {"GET", "chats/{}/participants", false, [](Call& c) { c.ListParticipants(); }},
      {"POST", "chats/{}/participants", false, [](Call& c) { c.AddParticipant(); }},
      {"DELETE", "chats/{}/participants/{}", false, [](Call& c) { c.RemoveParticipant(); }},
      {"GET", "chats/{}/messages", false, [](Call& c) { c.ListMessages(); }},
      {"POST", "chats/{}/messages", false, [](Call& c) { c.PostMessage(); }},
  };
  return routes;
}

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(PercentDecode(seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Matches `segs` against a pattern; fills `args` with the {} segments.
bool Matches(const char* pattern, const std::vector<std::string>& segs,
             std::vector<std::string>* args) {
  std::vector<std::string> pat = Split(pattern);
  if (pat.size() != segs.size()) return false;
  std::vector<std::string> got;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (pat[i] == "{}") {
      got.push_back(segs[i]);
    } else if (pat[i] != segs[i]) {
      return false;
    }
  }
  *args = std::move(got);
  return true;
}

RestResponse Error(int status, const std::string& code, const std::string& message) {
  RestResponse r;
  r.status = status;
  r.body = J{{"error", code}, {"message", message}}.dump();
  r.headers.emplace_back("content-type", "application/json; charset=utf-8");
  return r;
}

}  // namespace

RestApi::RestApi(const Keys& keys) : keys_(keys), state_(std::make_unique<State>()) {
  for (const auto& who : keys.identities()) {
    for (const auto& room : who.rooms) {
      Chat* c = state_->FindChat(room);
      if (!c) {
        Chat fresh;
        fresh.id = room;
        fresh.title = "Room " + room.substr(0, 8);
        fresh.inserted_at = fresh.updated_at = kSeedTime;
        state_->chats.push_back(std::move(fresh));
        c = &state_->chats.back();
      }
      if (!Call::InChat(*c, who.id)) c->participants.push_back({who.id, "member"});
    }
  }
}

RestApi::~RestApi() = default;

void RestApi::NoteScenarioPush(std::string_view topic, std::string_view event,
                               const nlohmann::json& payload) {
  constexpr std::string_view kRoom = "chat_room:";
  if (event != "message_created" || topic.substr(0, kRoom.size()) != kRoom ||
      !payload.is_object()) {
    return;
  }
  Chat* c = state_->FindChat(topic.substr(kRoom.size()));
  const std::string id = payload.value("id", "");
  if (!c || id.empty()) return;
  for (const auto& m : state_->messages) {
    if (m.id == id) return;
  }
  Message m;
  m.id = id;
  m.chat_id = c->id;
  m.content = payload.value("content", "");
  m.message_type = payload.value("message_type", "text");
  m.sender_id = payload.value("sender_id", "");
  m.sender_type = payload.value("sender_type", "");
  m.sender_name = payload.value("sender_name", "");
  auto meta = payload.find("metadata");
  if (meta != payload.end() && meta->is_object() && meta->contains("mentions") &&
      (*meta)["mentions"].is_array()) {
    m.mentions = (*meta)["mentions"];
  }
  m.inserted_at = payload.value("inserted_at", std::string(kSeedTime));
  state_->messages.push_back(std::move(m));
}

bool RestApi::IsParticipant(std::string_view room, std::string_view id) const {
  Chat* c = state_->FindChat(room);
  return c && Call::InChat(*c, id);
}

RestResult RestApi::Handle(const RestRequest& request, int64_t now_ms) {
  RestResult result;
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  bool agent_api = path.substr(0, kRestAgentBase.size()) == kRestAgentBase;
  if (!IsRestPath(path)) {
    result.response = Error(404, "not_found", "no route for " + std::string(path));
    return result;
  }
  std::string_view base = agent_api ? kRestAgentBase : kRestHumanBase;
  std::vector<std::string> segs = Split(path.substr(base.size()));

  // Authentication comes first for everything under the two bases (a plug pipeline).
  auto key = request.headers.find("x-api-key");
  if (key == request.headers.end() || key->second.empty()) {
    result.response =
        Error(401, "unauthorized", "missing API key: send it in the X-API-Key header");
    return result;
  }
  const Identity* who = nullptr;
  for (const auto& i : keys_.identities()) {
    if (i.key == key->second) who = &i;
  }
  if (!who) {
    result.response = Error(401, "unauthorized", "Invalid or missing API key");
    return result;
  }
  if (!agent_api && IsAgent(*who)) {
    result.response = Error(
        403, "forbidden", "agent API keys cannot use the Human API (/api/v1/me): use a user's key");
    return result;
  }
  if (agent_api && !IsAgent(*who)) {
    result.response = Error(403, "forbidden",
                            "user API keys cannot use the Agent API (/api/v1/agent): use an "
                            "agent's key, or the Human API under /api/v1/me");
    return result;
  }

  std::string allow;
  for (const auto& route : Routes()) {
    std::vector<std::string> args;
    if (route.agent_api != agent_api || !Matches(route.pattern, segs, &args)) continue;
    if (request.method != route.method) {
      allow += (allow.empty() ? "" : ", ") + std::string(route.method);
      continue;
    }
    J body;
    if (!request.body.empty()) {
      body = J::parse(request.body, nullptr, false);
      if (body.is_discarded()) {
        result.response = Error(400, "bad_request", "the request body is not valid JSON");
        return result;
      }
    }
    Call call{*state_,         keys_,           *who,
              !agent_api,      std::move(args), ParseQuery(query),
              std::move(body), IsoTime(now_ms), {}};
    try {
      route.run(call);
    } catch (const nlohmann::json::exception&) {
      // A field of an unexpected JSON type that a handler read without checking.
      call.out = RestResult{};
      call.Fail(422, "unprocessable_entity",
                "a field of the request body has the wrong JSON type (see sim/README.md)");
    }
    call.out.response.headers.emplace_back("content-type", "application/json; charset=utf-8");
    if (call.out.response.status == 204) call.out.response.headers.clear();
    return std::move(call.out);
  }
  if (!allow.empty()) {
    result.response = Error(
        405, "method_not_allowed",
        request.method + " is not allowed on " + std::string(path) + " (allowed: " + allow + ")");
    result.response.headers.emplace_back("allow", allow);
  } else {
    result.response = Error(404, "not_found", "no route for " + std::string(path));
  }
  return result;
}

}  // namespace wsr::sim
