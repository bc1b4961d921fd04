#include "replay/phoenix_index.h"

#include <algorithm>

#include "phoenix/frame.h"

namespace wsr::replay {
namespace {

bool ReplyOk(std::string_view payload) {
  // {"status":"ok",...}: a cheap check that tolerates spacing.
  auto p = payload.find("\"status\"");
  if (p == std::string_view::npos) return false;
  auto q = payload.find('"', payload.find(':', p) + 1);
  return q != std::string_view::npos && payload.substr(q, 4) == "\"ok\"";
}

}  // namespace

void PhoenixIndex::Load(cassette::SessionSource& source, int64_t connection_id) {
  auto cursor =
      source.Frames(connection_id, {.phoenix = cassette::PhoenixSelect::kRequestsAndAnswers});
  // Requests still waiting for their reply: (topic, ref text) -> (key, index in its list).
  std::map<std::pair<std::string, std::string>,
           std::pair<std::pair<std::string, std::string>, size_t>>
      awaiting;
  cassette::Frame f;
  while (cursor->Next(&f)) {
    auto parsed = phoenix::Parse(f.payload);
    if (!parsed) continue;
    if (f.direction == cassette::Direction::kClientToServer) {
      auto& list = requests_[{parsed->topic, parsed->event}];
      RecordedRequest r;
      r.seq = f.seq;
      r.offset_ns = f.offset_ns;
      r.topic = parsed->topic;
      r.event = parsed->event;
      r.payload = std::string(parsed->payload);
      r.frame = f.payload;
      r.ref = f.ref;
      r.join_ref = f.join_ref;
      if (r.ref) awaiting[{r.topic, *r.ref}] = {{r.topic, r.event}, list.size()};
      list.push_back(std::move(r));
      continue;
    }
    RecordedAnswer a{f.seq, f.offset_ns, std::string(parsed->payload), false};
    auto ref = phoenix::RefText(parsed->ref);
    if (parsed->event == phoenix::kReply && ref) {
      a.ok = ReplyOk(parsed->payload);
      // The latest request of this topic with this ref and no reply yet answers it.
      auto pit = awaiting.find({parsed->topic, *ref});
      if (pit != awaiting.end()) {
        requests_[pit->second.first][pit->second.second].reply = a;
        awaiting.erase(pit);
      }
      continue;
    }
    if (parsed->event == phoenix::kClose) {
      auto jr = phoenix::RefText(parsed->join_ref);
      auto lit = requests_.find({parsed->topic, std::string(phoenix::kLeave)});
      if (lit == requests_.end()) continue;
      for (auto& leave : lit->second) {
        if (!leave.close && leave.reply && leave.join_ref == jr && leave.seq < f.seq) {
          leave.close = a;
          leave_closes_.insert(f.seq);
          break;
        }
      }
    }
  }
  for (auto& [key, list] : requests_) {
    if (key.second != phoenix::kJoin) continue;
    for (auto& r : list) {
      if (r.reply && r.reply->ok) ok_joins_[key.first].push_back(&*r.reply);
    }
  }
  for (auto& [topic, v] : ok_joins_) {
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  }
}

const RecordedRequest* PhoenixIndex::Find(const std::string& topic, const std::string& event,
                                          size_t k) const {
  auto it = requests_.find({topic, event});
  if (it == requests_.end() || k >= it->second.size()) return nullptr;
  return &it->second[k];
}

size_t PhoenixIndex::Count(const std::string& topic, const std::string& event) const {
  auto it = requests_.find({topic, event});
  return it == requests_.end() ? 0 : it->second.size();
}

int PhoenixIndex::OkJoinsBefore(const std::string& topic, int64_t seq,
                                const RecordedAnswer** last_reply) const {
  *last_reply = nullptr;
  auto it = ok_joins_.find(topic);
  if (it == ok_joins_.end()) return 0;
  int k = 0;
  for (auto* a : it->second) {
    if (a->seq >= seq) break;
    ++k;
    *last_reply = a;
  }
  return k;
}

}  // namespace wsr::replay
