// The small cassette the examples replay (session "chat": one connection that joins
// room:lobby and receives two messages 1 s apart), written to a fresh temporary directory
// that is removed with the object.
#pragma once

#include <string>

namespace wsr::examples {

class ExampleCassette {
 public:
  ExampleCassette();
  ~ExampleCassette();
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace wsr::examples
