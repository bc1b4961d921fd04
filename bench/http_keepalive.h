// KeepAliveHttp: one blocking HTTP/1.1 client connection to 127.0.0.1:PORT that sends requests
// one at a time and reads each response (Content-Length, chunked or none; parsed with
// wire::HttpHeadParser / HttpBodyReader), for the REST section's load. Not thread-safe.
#pragma once

#include <string>

#include "wire/http_body.h"
#include "wire/http_head.h"

namespace wsr::bench {

class KeepAliveHttp {
 public:
  explicit KeepAliveHttp(int port);
  ~KeepAliveHttp();
  KeepAliveHttp(const KeepAliveHttp&) = delete;
  KeepAliveHttp& operator=(const KeepAliveHttp&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends `request` (a whole request: head and body) and reads one response. Returns its status,
  // or 0 on a closed connection, a timeout or a malformed response (error() says which).
  int RoundTrip(const std::string& request, int timeout_ms = 5000);
  const std::string& body() const { return body_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string buf_;  // bytes read past the last response
  std::string body_;
  std::string error_;
};

}  // namespace wsr::bench
