// HttpMatcher: decides which recorded HTTP exchange answers a live request on the replay
// listener (the REST half of a session, issue 9). Sans-I/O: built from the session's recorded
// exchanges, fed live requests, it returns the exchange to answer with or an explanation of
// why none fits. The server turns the choice into bytes (http_reply.h).
//
// Matching, as vcrpy/go-vcr do it: a recorded request matches a live one when
//   - the method is equal;
//   - the path is equal byte for byte (percent-encoding kept);
//   - the query is equal as a set of parameters (order-insensitive, percent-decoded; a
//     recorded value that is a redaction placeholder matches any live value of that key);
//   - the body matches under the body mode: kJson (default) compares JSON bodies as JSON
//     (key order irrelevant), ignoring the volatile fields of the Thenvoi REST spec §8
//     (kVolatileRequestFields) and the extra pointers given, a recorded placeholder string
//     matching any live value; bodies that are not JSON are compared as bytes. kExact compares
//     bytes. kNone ignores the body.
// Request headers are not compared (they carry keys, SDK versions, lengths).
//
// Order: the recorded exchanges are tried in recording order and each answers once, so the
// n-th live request with a key gets the n-th recorded request with that key. When every
// recorded request with the key has answered, the next live one is a mismatch ("all 2
// recorded GET /x were already answered"), also for GETs: a replay answers what was recorded,
// no more (vcrpy's and go-vcr's default too).
//
// A mismatch names the live request, the nearest recorded request (the one that agrees with it
// on the most of: path, method, query, body; unused ones first, then recording order) and what
// differed.
//
// Not thread-safe: use from one thread (the replay server's service thread).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "cassettes/model.h"
#include "replay/options.h"  // BodyMatch

namespace wsr::replay {

// JSON pointers ignored in request bodies under BodyMatch::kJson: what an LLM or a tool run
// writes differently every time (spec §8): message and event content and metadata, and the
// error text of /failed.
extern const std::vector<std::string> kVolatileRequestFields;

struct HttpRequest {
  std::string method;
  std::string target;  // "/path?query" as received
  cassette::Headers headers;
  std::string body;
};

struct HttpMatch {
  int index = -1;           // into HttpMatcher::recorded(); -1: no recorded answer
  std::string request;      // "POST /api/v1/agent/chats/c1/messages?x=1" (the live request)
  std::string nearest;      // "#3 POST /api/..." (mismatches; "" when nothing is recorded)
  std::string difference;   // what differed from the nearest, one line (mismatches)
  std::string explanation;  // one line: request, nearest and difference (mismatches)
  bool matched() const { return index >= 0; }
};

class HttpMatcher {
 public:
  // `ignore_json`: JSON pointers ignored in bodies in addition to kVolatileRequestFields.
  HttpMatcher(std::vector<cassette::Exchange> recorded, BodyMatch body_match,
              std::vector<std::string> ignore_json = {});

  HttpMatch Match(const HttpRequest& live);

  const std::vector<cassette::Exchange>& recorded() const { return recorded_; }
  bool used(size_t i) const { return used_[i]; }
  size_t unused_count() const;

 private:
  struct Comparison {
    bool method = false, path = false, query = false, body = false;
    std::string difference;  // the first one, in the order path, method, query, body
    int Score() const { return 8 * path + 4 * method + 2 * query + body; }
  };
  Comparison Compare(const cassette::Exchange& r, const std::string& method,
                     const std::string& path, const std::string& query,
                     const std::string& body) const;

  // The recorded exchanges of one method and path (only they can match a request with that
  // method and path), in recording order; `first_unused` skips the prefix already answered,
  // so a run of identical requests costs O(1) each instead of a scan of the session.
  struct Bucket {
    std::vector<size_t> indices;
    size_t first_unused = 0;
  };
  static std::string BucketKey(const std::string& method, const std::string& path) {
    return method + ' ' + path;
  }

  std::vector<cassette::Exchange> recorded_;
  std::vector<bool> used_;
  std::unordered_map<std::string, Bucket> buckets_;
  BodyMatch body_match_;
  std::vector<std::string> ignore_;
};

// "GET /path?query" of a recorded exchange.
std::string ExchangeLine(const cassette::Exchange& e);

}  // namespace wsr::replay
