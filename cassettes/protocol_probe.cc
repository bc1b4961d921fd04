#include "cassettes/protocol_probe.h"

#include <sqlite3.h>

#include <string>

#include "common/error.h"

namespace wsr::cassette {

ProtocolProbe ProbeProtocol(Cassette& cassette, const Connection& recorded) {
  sqlite3_stmt* s = nullptr;
  const char* sql =
      "SELECT count(*), coalesce(sum(topic IS NULL), 0) FROM "
      "(SELECT topic FROM frames WHERE connection_id = ?1 AND opcode < 8 ORDER BY seq LIMIT 50)";
  if (sqlite3_prepare_v2(cassette.db(), sql, -1, &s, nullptr) != SQLITE_OK) {
    throw Error(std::string("reading cassette: ") + sqlite3_errmsg(cassette.db()));
  }
  sqlite3_bind_int64(s, 1, recorded.id);
  ProtocolProbe probe;
  if (sqlite3_step(s) == SQLITE_ROW) {
    probe.data_frames = sqlite3_column_int64(s, 0);
    probe.phoenix_frames = probe.data_frames - sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
  probe.vsn2_query = recorded.query.find("vsn=2") != std::string::npos;
  return probe;
}

}  // namespace wsr::cassette
