#include "tools/har_exchange.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/ascii.h"
#include "common/error.h"
#include "tools/har_util.h"
#include "tools/text_util.h"

namespace wsr::tools {
namespace {
using ojson = nlohmann::ordered_json;
using nlohmann::json;

// The HTTP base URL of a session: its upstream with the WebSocket scheme swapped.
std::string HttpBase(const cassette::Session& s, const cassette::Exchange& e) {
  std::string base = s.upstream;
  if (base.rfind("wss://", 0) == 0) {
    base = "https://" + base.substr(6);
  } else if (base.rfind("ws://", 0) == 0) {
    base = "http://" + base.substr(5);
  } else if (base.empty()) {
    std::string host = HeaderValue(e.request_headers, "host");
    base = "http://" + (host.empty() ? std::string("localhost") : host);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

bool EncodedBody(const cassette::Headers& headers) {
  std::string enc = AsciiLower(HeaderValue(headers, "content-encoding"));
  return enc.find("gzip") != std::string::npos || enc.find("deflate") != std::string::npos;
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ojson HarEntryFromExchange(const cassette::Session& s, const cassette::Exchange& e) {
  double time_ms = e.response_ns ? static_cast<double>(*e.response_ns - e.request_ns) / 1e6 : 0.0;
  ojson request = {{"method", e.method},
                   {"url", HttpBase(s, e) + e.path + (e.query.empty() ? "" : "?" + e.query)},
                   {"httpVersion", "HTTP/1.1"},
                   {"cookies", ojson::array()},
                   {"headers", HarHeaders(e.request_headers)},
                   {"queryString", HarQueryString(e.query)},
                   {"headersSize", -1},
                   {"bodySize", e.request_body.size()}};
  if (!e.request_body.empty()) {
    ojson post = HarContent(e.request_body, e.request_headers);
    post.erase("size");  // postData has no size (request.bodySize says it)
    request["postData"] = std::move(post);
  }
  int status = e.status.value_or(0);
  ojson response = {{"status", status},
                    {"statusText", StatusText(status)},
                    {"httpVersion", "HTTP/1.1"},
                    {"cookies", ojson::array()},
                    {"headers", HarHeaders(e.response_headers)},
                    {"content", HarContent(e.response_body, e.response_headers)},
                    {"redirectURL", HeaderValue(e.response_headers, "location")},
                    {"headersSize", -1},
                    {"bodySize", e.status ? static_cast<int64_t>(e.response_body.size()) : -1}};
  if (!e.error.empty()) response["_error"] = e.error;
  ojson entry;
  entry["startedDateTime"] = FormatIso8601(s.started_at_ns + e.request_ns, 3);
  entry["time"] = time_ms;
  entry["request"] = std::move(request);
  entry["response"] = std::move(response);
  entry["cache"] = ojson::object();
  entry["timings"] = {{"blocked", -1}, {"dns", -1},       {"connect", -1}, {"ssl", -1},
                      {"send", 0},     {"wait", time_ms}, {"receive", 0}};
  entry["_resourceType"] = "fetch";
  entry["_wsreplay"] = {
      {"http_connection", e.http_connection}, {"initiator", e.initiator}, {"flags", e.flags}};
  return entry;
}

bool IsHarApiEntry(const json& entry) {
  static const std::set<std::string> kApi = {"xhr", "fetch", "preflight", "eventsource", "other"};
  auto it = entry.find("_resourceType");
  if (it == entry.end() || !it->is_string()) return true;
  return kApi.count(AsciiLower(it->get<std::string>())) > 0;
}

HarExchange ExchangeFromHarEntry(const json& entry, size_t index, uint64_t max_body) {
  const std::string where = "HAR entry " + std::to_string(index);
  const json empty = json::object();
  const json& req =
      entry.contains("request") && entry["request"].is_object() ? entry["request"] : empty;
  const json& resp =
      entry.contains("response") && entry["response"].is_object() ? entry["response"] : empty;
  HarExchange out;
  cassette::Exchange& e = out.exchange;
  std::string started = Str(entry, "startedDateTime");
  auto started_ns = ParseIso8601(started);
  if (!started_ns) {
    throw Error(where + ": startedDateTime '" + started + "' is not an ISO 8601 time");
  }
  e.method = Str(req, "method");
  if (e.method.empty()) e.method = "GET";
  out.url = Str(req, "url");
  SplitUrlTarget(out.url, &e.path, &e.query);
  e.request_headers = ReadHarHeaders(req);
  if (req.contains("postData")) {
    e.request_body = ReadHarText(req["postData"], where + ": request.postData.text").value_or("");
  }
  if (resp.contains("status") && resp["status"].is_number_integer() &&
      resp["status"].get<int>() > 0) {
    e.status = resp["status"].get<int>();
  }
  e.response_headers = ReadHarHeaders(resp);
  if (resp.contains("content")) {
    e.response_body = ReadHarText(resp["content"], where + ": response.content.text").value_or("");
  }
  for (const auto* body : {&e.request_body, &e.response_body}) {
    if (body->size() > max_body) {
      throw Error(where + ": the " + (body == &e.request_body ? "request" : "response") +
                  " body is " + std::to_string(body->size()) +
                  " bytes, more than --max-message-size (" + std::to_string(max_body) + " bytes)");
    }
  }
  e.error = Str(resp, "_error");
  e.request_ns = *started_ns;
  if (e.status) {
    double time_ms = entry.contains("time") && entry["time"].is_number()
                         ? std::clamp(entry["time"].get<double>(), 0.0, 1e12)
                         : 0.0;
    e.response_ns = *started_ns + std::llround(time_ms * 1e6);
  }
  e.initiator = e.status ? "upstream" : "client";
  // HAR bodies are decoded; a Content-Encoding says they were not sent so.
  if (EncodedBody(e.request_headers) && !e.request_body.empty()) {
    e.flags |= cassette::kRequestBodyDecoded;
  }
  if (EncodedBody(e.response_headers) && !e.response_body.empty()) {
    e.flags |= cassette::kResponseBodyDecoded;
  }
  if (auto w = entry.find("_wsreplay"); w != entry.end() && w->is_object()) {
    if (w->contains("http_connection") && (*w)["http_connection"].is_number_integer()) {
      e.http_connection = (*w)["http_connection"].get<int>();
    }
    if (w->contains("initiator") && (*w)["initiator"].is_string()) {
      e.initiator = (*w)["initiator"].get<std::string>();
    }
    if (w->contains("flags") && (*w)["flags"].is_number_integer()) {
      e.flags = (*w)["flags"].get<int>();
    }
  }
  out.connection = Str(entry, "connection");
  return out;
}

}  // namespace wsr::tools
