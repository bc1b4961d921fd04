// wsr::Error: the one exception type wsreplay throws outside libwebsockets callbacks.
//
// Its what() is a single line meant for a user: what went wrong and what to do.
// Code that runs inside an lws callback must catch it (see proxy/README) and turn it into a
// close of that connection; it never propagates through libwebsockets' C frames.
#pragma once

#include <stdexcept>
#include <string>

namespace wsr {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace wsr
