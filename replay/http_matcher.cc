#include "replay/http_matcher.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/url.h"
#include "recorder/redactor.h"
#include "replay/common_prefix.h"
#include "replay/connection_matcher.h"
#include "replay/json_compare.h"

namespace wsr::replay {
namespace {

using nlohmann::json;

// Where the recorded document holds a redaction placeholder string, take the live value, so
// that a placeholder matches anything (but the field must be there).
void AcceptPlaceholders(json* recorded, const json& live) {
  if (recorded->is_string()) {
    if (Redactor::IsPlaceholder(recorded->get_ref<const std::string&>())) *recorded = live;
    return;
  }
  if (recorded->is_object() && live.is_object()) {
    for (auto& [k, v] : recorded->items()) {
      auto it = live.find(k);
      if (it != live.end()) AcceptPlaceholders(&v, *it);
    }
  } else if (recorded->is_array() && live.is_array()) {
    for (size_t i = 0; i < recorded->size() && i < live.size(); ++i) {
      AcceptPlaceholders(&(*recorded)[i], live[i]);
    }
  }
}

std::optional<std::string> BodyDifference(BodyMatch mode, const std::string& recorded,
                                          const std::string& live,
                                          const std::vector<std::string>& ignore) {
  if (recorded == live) return std::nullopt;  // the same bytes match in every mode
  switch (mode) {
    case BodyMatch::kNone:
      return std::nullopt;
    case BodyMatch::kExact:
      return BytesDifference(recorded, live);
    case BodyMatch::kJson:
      break;
  }
  json a = json::parse(recorded, nullptr, false);
  json b = json::parse(live, nullptr, false);
  if (a.is_discarded() || b.is_discarded()) return BytesDifference(recorded, live);
  AcceptPlaceholders(&a, b);
  return JsonDifference(a.dump(), b.dump(), ignore);
}

using Params = std::vector<std::pair<std::string, std::string>>;

Params DecodedParams(const std::string& q) {
  Params p = SplitQuery(q);
  for (auto& [k, v] : p) {
    k = PercentDecode(k);
    v = PercentDecode(v);
  }
  std::sort(p.begin(), p.end());
  return p;
}

// Why two queries do not match as sets, e.g. "query parameter page: recorded 2, got 3".
std::string QueryDifference(const std::string& recorded, const std::string& live) {
  Params a = DecodedParams(recorded), b = DecodedParams(live);
  // Named references, not structured bindings: the lambdas capture them, which clang 14 (the
  // fuzz build's compiler) refuses for bindings.
  for (const auto& kv : a) {
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    auto same_key = [&](const auto& p) { return p.first == k; };
    auto it = std::find_if(b.begin(), b.end(), same_key);
    if (it == b.end()) return "query parameter " + k + ": recorded " + v + ", missing";
    if (it->second != v && !Redactor::IsPlaceholder(v)) {
      return "query parameter " + k + ": recorded " + v + ", got " + it->second;
    }
  }
  for (const auto& kv : b) {
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    auto same_key = [&](const auto& p) { return p.first == k; };
    if (std::none_of(a.begin(), a.end(), same_key)) {
      return "query parameter " + k + ": not recorded, got " + v;
    }
  }
  return "query differs: recorded '" + recorded + "', got '" + live + "'";
}

std::string Ordinal(size_t n) {
  std::string suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    if (n % 10 == 2) suffix = "nd";
    if (n % 10 == 3) suffix = "rd";
  }
  return std::to_string(n) + suffix;
}

}  // namespace

const std::vector<std::string> kVolatileRequestFields = {
    "/message/content", "/message/metadata", "/event/content", "/event/metadata", "/error",
};

std::string ExchangeLine(const cassette::Exchange& e) {
  return e.method + " " + e.path + (e.query.empty() ? "" : "?" + e.query);
}

HttpMatcher::HttpMatcher(std::vector<cassette::Exchange> recorded, BodyMatch body_match,
                         std::vector<std::string> ignore_json)
    : recorded_(std::move(recorded)),
      used_(recorded_.size(), false),
      body_match_(body_match),
      ignore_(kVolatileRequestFields) {
  ignore_.insert(ignore_.end(), ignore_json.begin(), ignore_json.end());
  for (size_t i = 0; i < recorded_.size(); ++i) {
    buckets_[BucketKey(recorded_[i].method, recorded_[i].path)].indices.push_back(i);
  }
}

size_t HttpMatcher::unused_count() const {
  return static_cast<size_t>(std::count(used_.begin(), used_.end(), false));
}

HttpMatcher::Comparison HttpMatcher::Compare(const cassette::Exchange& r, const std::string& method,
                                             const std::string& path, const std::string& query,
                                             const std::string& body) const {
  Comparison c;
  c.path = r.path == path;
  c.method = r.method == method;
  c.query = QueryMatches(r.query, query);
  auto body_diff = BodyDifference(body_match_, r.request_body, body, ignore_);
  c.body = !body_diff.has_value();
  if (!c.path) {
    c.difference = "path differs: recorded " + r.path + ", got " + path;
  } else if (!c.method) {
    c.difference = "method differs: recorded " + r.method + ", got " + method;
  } else if (!c.query) {
    c.difference = QueryDifference(r.query, query);
  } else if (!c.body) {
    c.difference = "body differs: " + *body_diff;
  }
  return c;
}

HttpMatch HttpMatcher::Match(const HttpRequest& live) {
  auto [path, query] = SplitPathQuery(live.target);
  HttpMatch m;
  m.request = live.method + " " + path + (query.empty() ? "" : "?" + query);

  // The answer, if any: the first unused recorded exchange of this method and path that
  // matches in full (recording order).
  if (auto b = buckets_.find(BucketKey(live.method, path)); b != buckets_.end()) {
    Bucket& bucket = b->second;
    while (bucket.first_unused < bucket.indices.size() &&
           used_[bucket.indices[bucket.first_unused]]) {
      ++bucket.first_unused;
    }
    for (size_t k = bucket.first_unused; k < bucket.indices.size(); ++k) {
      size_t i = bucket.indices[k];
      if (used_[i] ||
          !Compare(recorded_[i], live.method, path, query, live.body).difference.empty()) {
        continue;
      }
      used_[i] = true;
      m.index = static_cast<int>(i);
      return m;
    }
  }

  // A mismatch: scan everything for the nearest recorded request, to explain it.
  int best = -1;
  Comparison best_cmp;
  size_t already_answered = 0;  // recorded requests with the same key, all used
  for (size_t i = 0; i < recorded_.size(); ++i) {
    Comparison c = Compare(recorded_[i], live.method, path, query, live.body);
    bool full = c.difference.empty();
    if (full) ++already_answered;  // (used: an unused full match was answered above)
    // Nearest: highest score; among equals an unused one, then the longest common path
    // prefix, then the earliest.
    bool better = best < 0 || c.Score() > best_cmp.Score();
    if (!better && c.Score() == best_cmp.Score()) {
      if (used_[best] && !used_[i]) {
        better = true;
      } else if (used_[best] == used_[i] && !c.path &&
                 CommonPrefixLength(recorded_[i].path, path) >
                     CommonPrefixLength(recorded_[best].path, path)) {
        better = true;
      }
    }
    if (better) {
      best = static_cast<int>(i);
      best_cmp = std::move(c);
    }
  }

  if (best < 0) {
    m.difference = "the session has no recorded HTTP requests";
    m.explanation = m.request + ": not in cassette: " + m.difference;
    return m;
  }
  const auto& r = recorded_[best];
  m.nearest = "#" + std::to_string(r.ordinal) + " " + ExchangeLine(r);
  if (already_answered > 0 && best_cmp.difference.empty()) {
    m.difference = "all " + std::to_string(already_answered) + " recorded " + ExchangeLine(r) +
                   " were already answered (this is the " + Ordinal(already_answered + 1) + ")";
  } else {
    m.difference = best_cmp.difference;
  }
  m.explanation =
      m.request + ": not in cassette; nearest recorded request " + m.nearest + ": " + m.difference;
  return m;
}

}  // namespace wsr::replay
