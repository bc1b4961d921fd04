// HttpReply: the response the replay server sends to a plain HTTP request, as a value — the
// recorded response of a matched exchange, or the 501 of a request the cassette does not have.
// Sans-I/O: the server writes status, headers and body as given (http_reply.cc decides which
// recorded headers are replayed). Pure functions; thread-safe.
#pragma once

#include <string>

#include "cassettes/model.h"
#include "replay/http_matcher.h"

namespace wsr::replay {

struct HttpReply {
  int status = 200;
  // Sent as given, in order. Framing is the answer's own: a Content-Length equal to body.size()
  // is among them unless the status forbids a body (1xx, 204, 304).
  cassette::Headers headers;
  std::string body;
};

// The recorded response of `e`: its status (502 when none was recorded), its headers except
// the hop-by-hop and framing ones (Connection, Keep-Alive, Transfer-Encoding, Content-Length,
// and Content-Encoding when the body was stored decoded), then Content-Length of the recorded
// body bytes. `head_request`: the live request is a HEAD, so the recorded Content-Length is kept
// and no body is sent.
HttpReply RecordedAnswer(const cassette::Exchange& e, bool head_request = false);

// HTTP 501 with a JSON body naming the request, the nearest recorded request and what
// differed: {"error":"not_in_cassette","request":…,"nearest":…|null,"difference":…,
// "message":…}.
HttpReply MismatchAnswer(const HttpMatch& m);

}  // namespace wsr::replay
