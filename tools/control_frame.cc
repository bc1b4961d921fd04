#include "tools/control_frame.h"

namespace wsr::tools {

ClosePayload ParseClosePayload(std::string_view payload) {
  ClosePayload out;
  if (payload.size() < 2) return out;
  out.code = static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
  out.reason = std::string(payload.substr(2));
  return out;
}

std::string ControlFrameName(int opcode) {
  switch (opcode) {
    case 8:
      return "close";
    case 9:
      return "ping";
    case 10:
      return "pong";
    default:
      return "opcode " + std::to_string(opcode);
  }
}

}  // namespace wsr::tools
