#include "tests/support/chromium.h"

#include <unistd.h>

#include <cstdlib>

namespace wsr::testing {

std::string FindChromium() {
  if (const char* env = std::getenv("WSR_CHROMIUM"); env && *env) return env;
  for (const char* p :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

}  // namespace wsr::testing
