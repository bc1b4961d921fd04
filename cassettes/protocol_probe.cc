#include "cassettes/protocol_probe.h"

#include <string>

namespace wsr::cassette {

ProtocolProbe ProbeProtocol(SessionSource& source, const Connection& recorded) {
  ProtocolProbe probe;
  auto frames = source.Frames(recorded.id, {.limit = kProtocolProbeFrames});
  Frame f;
  while (frames->Next(&f)) {
    ++probe.data_frames;
    if (f.topic) ++probe.phoenix_frames;
  }
  probe.vsn2_query = recorded.query.find("vsn=2") != std::string::npos;
  return probe;
}

}  // namespace wsr::cassette
