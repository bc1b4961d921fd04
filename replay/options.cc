#include "replay/options.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"

namespace wsr::replay {

double ParseSpeed(const std::string& text) {
  if (text == "max") return 0;
  char* end = nullptr;
  std::string t = text;
  if (!t.empty() && (t.back() == 'x' || t.back() == 'X')) t.pop_back();
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v <= 0) {
    throw Error("bad --speed '" + text + "': use a positive number (1, 10, 0.5) or 'max'");
  }
  return v;
}

OnMismatch ParseOnMismatch(const std::string& text) {
  if (text == "reply-error") return OnMismatch::kReplyError;
  if (text == "close") return OnMismatch::kClose;
  throw Error("bad --on-mismatch '" + text + "': use reply-error or close");
}

BodyMatch ParseBodyMatch(const std::string& text) {
  if (text == "json") return BodyMatch::kJson;
  if (text == "exact") return BodyMatch::kExact;
  if (text == "none") return BodyMatch::kNone;
  throw Error("bad --match-body '" + text + "': use json, exact or none");
}

bool ParseCausality(const std::string& text) {
  if (text == "on") return true;
  if (text == "off") return false;
  throw Error("bad --causality '" + text + "': use on or off");
}

const char* BodyMatchName(BodyMatch m) {
  switch (m) {
    case BodyMatch::kJson:
      return "json";
    case BodyMatch::kExact:
      return "exact";
    case BodyMatch::kNone:
      return "none";
  }
  return "?";
}

Protocol ParseProtocol(const std::string& text) {
  if (text == "auto") return Protocol::kAuto;
  if (text == "raw") return Protocol::kRaw;
  throw Error("bad --protocol '" + text + "': use auto or raw");
}

Order ParseOrder(const std::string& text) {
  if (text == "connection") return Order::kConnection;
  if (text == "topic") return Order::kTopic;
  throw Error("bad --order '" + text + "': use connection or topic");
}

AfterFault ParseAfterFault(const std::string& text) {
  if (text == "resume") return AfterFault::kResume;
  if (text == "next") return AfterFault::kNext;
  throw Error("bad --after-fault '" + text + "': use resume or next");
}

std::string SpeedText(double speed) {
  if (speed <= 0) return "max";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gx", speed);
  return buf;
}

}  // namespace wsr::replay
