// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction. Not thread-safe; one per test.
#pragma once

#include <string>

namespace wsr::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace wsr::testing
