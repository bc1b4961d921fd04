// Flag checks shared by several subcommands (commands.h).
#include <string>

#include "cassettes/model.h"
#include "cli/commands.h"
#include "common/error.h"

namespace wsr::cli {

void CheckMaxMessageSize(uint64_t bytes) {
  // A negative number reaches here wrapped (CLI11 reads "-1" into a uint64_t as 2^64 - 1).
  if (bytes < 1 || bytes > cassette::kMaxMessageBytes) {
    throw Error("--max-message-size must be from 1 to " +
                std::to_string(cassette::kMaxMessageBytes) + " bytes (256 MiB)");
  }
}

}  // namespace wsr::cli
