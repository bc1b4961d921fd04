// Finding Debian's Chromium for the tests that load pages in a headless browser (through
// puppeteer-core in tests/js). Stateless; thread-safe.
#pragma once

#include <string>

namespace wsr::testing {

// $WSR_CHROMIUM when set, else the first executable of Debian's chromium paths; "" when none
// (the caller skips with "apt-get install -y chromium").
std::string FindChromium();

}  // namespace wsr::testing
