#include "cassettes/cassette.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <span>

#include "cassettes/schema_sql.h"
#include "common/error.h"

namespace wsr::cassette {
namespace {

constexpr int kNewCassettePageSize = 16384;
constexpr int kCheckpointWalBytes = 16 << 20;

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Binds helpers: index is 1-based as in SQLite.
void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void BindOptText(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v)
    BindText(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}
void BindOptInt(sqlite3_stmt* s, int i, const std::optional<int64_t>& v) {
  if (v)
    sqlite3_bind_int64(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}
std::string ColText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s, i)) : "";
}
std::optional<std::string> ColOptText(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return ColText(s, i);
}
std::optional<int64_t> ColOptInt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}
// A time column held to +-max (kMaxStartNs or kMaxOffsetNs, model.h), whatever a corrupt or
// crafted file holds.
int64_t ColNs(sqlite3_stmt* s, int i, int64_t max = kMaxOffsetNs) {
  return std::clamp<int64_t>(sqlite3_column_int64(s, i), -max, max);
}
std::optional<int64_t> ColOptNs(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return ColNs(s, i);
}

std::string FragmentsToJson(const std::vector<uint32_t>& f) {
  std::string out = "[";
  for (size_t i = 0; i < f.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(f[i]);
  }
  return out + "]";
}
std::vector<uint32_t> FragmentsFromJson(const std::string& s) {
  std::vector<uint32_t> out;
  uint64_t cur = 0;
  bool have = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + (c - '0');
      have = true;
    } else if (have) {
      out.push_back(static_cast<uint32_t>(cur));
      cur = 0;
      have = false;
    }
  }
  return out;
}

Session ReadSession(sqlite3_stmt* s) {
  Session r;
  r.id = sqlite3_column_int64(s, 0);
  r.name = ColText(s, 1);
  r.started_at_ns = ColNs(s, 2, kMaxStartNs);
  r.duration_ns = ColOptNs(s, 3);
  r.upstream = ColText(s, 4);
  r.source = ColText(s, 5);
  r.tool_version = ColText(s, 6);
  return r;
}

constexpr const char* kSessionCols =
    "id, name, started_at_ns, duration_ns, upstream, source, tool_version";
// Version 3 columns, and what a read-only open of an older file reads in their place.
constexpr const char* kFrameCols =
    "f.id, f.connection_id, f.seq, f.offset_ns, f.direction, f.opcode, f.payload, f.fragments, "
    "f.topic, f.event, f.join_ref, f.ref, f.flags, f.note";
constexpr const char* kFrameColsV2 =
    "f.id, f.connection_id, f.seq, f.offset_ns, f.direction, f.opcode, f.payload, f.fragments, "
    "f.topic, f.event, f.join_ref, f.ref, 0, NULL";
constexpr const char* kConnectionCols =
    "id, session_id, ordinal, path, query, request_headers, upstream_url, http_status, "
    "response_headers, subprotocol, error, opened_ns, closed_ns, close_code, close_reason, "
    "close_initiator, request_head, response_head, response_body, extensions";
constexpr const char* kConnectionColsV2 =
    "id, session_id, ordinal, path, query, request_headers, upstream_url, http_status, "
    "response_headers, subprotocol, error, opened_ns, closed_ns, close_code, close_reason, "
    "close_initiator, '', '', NULL, ''";

std::optional<std::string> ColOptBlob(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  const void* b = sqlite3_column_blob(s, i);
  return std::string(b ? static_cast<const char*>(b) : "",
                     static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

}  // namespace

// ---------------- FrameCursor ----------------

FrameCursor::FrameCursor(FrameCursor&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
FrameCursor& FrameCursor::operator=(FrameCursor&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}
FrameCursor::~FrameCursor() { sqlite3_finalize(stmt_); }

bool FrameCursor::Next(Frame* f) {
  if (!stmt_) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE) {
    // Stepping a finished statement again would restart the query.
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    return false;
  }
  if (rc != SQLITE_ROW) {
    throw Error(std::string("reading frames failed: ") + sqlite3_errmsg(sqlite3_db_handle(stmt_)));
  }
  f->id = sqlite3_column_int64(stmt_, 0);
  f->connection_id = sqlite3_column_int64(stmt_, 1);
  f->seq = sqlite3_column_int64(stmt_, 2);
  f->offset_ns = ColNs(stmt_, 3);
  f->direction =
      ColText(stmt_, 4) == "c2s" ? Direction::kClientToServer : Direction::kServerToClient;
  f->opcode = sqlite3_column_int(stmt_, 5);
  const void* blob = sqlite3_column_blob(stmt_, 6);
  int n = sqlite3_column_bytes(stmt_, 6);
  f->payload.assign(blob ? static_cast<const char*>(blob) : "", static_cast<size_t>(n));
  auto frags = ColOptText(stmt_, 7);
  f->fragments = frags ? FragmentsFromJson(*frags) : std::vector<uint32_t>{};
  f->topic = ColOptText(stmt_, 8);
  f->event = ColOptText(stmt_, 9);
  f->join_ref = ColOptText(stmt_, 10);
  f->ref = ColOptText(stmt_, 11);
  f->flags = sqlite3_column_int(stmt_, 12);
  f->note = ColText(stmt_, 13);
  return true;
}

// ---------------- Cassette: open and schema ----------------

std::unique_ptr<Cassette> Cassette::Open(const std::string& path, Mode mode) {
  bool exists = FileExists(path);
  bool creates = mode == Mode::kCreate || mode == Mode::kEditCreate;
  if (!exists && !creates) {
    throw Error("cassette '" + path + "' does not exist (record one with `wsreplay record`)");
  }
  // SQLite's memory statistics take a global mutex on every allocation; nothing reads them.
  // (Effective only before SQLite initializes, i.e. before the first open.)
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (creates) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // one Cassette, one thread at a time (see cassette.h)
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw Error("cannot open cassette '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Cassette> c(new Cassette(path, db));
  c->CheckAndMigrate(mode);
  return c;
}

Cassette::~Cassette() {
  for (auto& [k, s] : stmts_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

void Cassette::Fail(const std::string& what) {
  throw Error("cassette '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
}

void Cassette::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error("cassette '" + path_ + "': " + msg);
  }
}

sqlite3_stmt* Cassette::Prepare(const char* sql, bool clear_bindings) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    sqlite3_reset(it->second);
    if (clear_bindings) sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) Fail("preparing a query");
  stmts_[sql] = s;
  return s;
}

void Cassette::CheckAndMigrate(Mode mode) {
  // Reading the header is the first real access: a non-SQLite file fails here.
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA application_id", -1, &s, nullptr);
  int app_id = 0;
  if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) app_id = sqlite3_column_int(s, 0);
  rc = rc == SQLITE_OK ? SQLITE_OK : rc;
  int err = sqlite3_errcode(db_);
  sqlite3_finalize(s);
  if (err == SQLITE_NOTADB || (err & 0xff) == SQLITE_NOTADB) {
    throw Error("'" + path_ + "' is not a wsreplay cassette (not an SQLite database)");
  }
  if (err != SQLITE_OK && err != SQLITE_ROW && err != SQLITE_DONE) {
    Fail("reading the file header");
  }
  int version = 0;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    version = sqlite3_column_int(s, 0);
  }
  sqlite3_finalize(s);
  int tables = 0;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    tables = sqlite3_column_int(s, 0);
  } else {
    int code = sqlite3_errcode(db_) & 0xff;
    sqlite3_finalize(s);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      throw Error("'" + path_ +
                  "' is not a wsreplay cassette (not an SQLite database, or corrupt)");
    }
    Fail("reading the schema");
  }
  sqlite3_finalize(s);

  const bool edit = mode == Mode::kEdit || mode == Mode::kEditCreate;
  if (tables == 0 && app_id == 0) {
    if (mode != Mode::kCreate && mode != Mode::kEditCreate) {
      throw Error("'" + path_ + "' is an empty SQLite file, not a wsreplay cassette");
    }
    // 16 KiB pages (SQLite's default is 4 KiB): a recorder writes a quarter of the WAL frames
    // (two system calls each) and a 64 KiB message spans 5 overflow pages instead of 17; about
    // a third less CPU per 64 KiB message, a sixth less per small one. Only before the first
    // page is written; an existing cassette keeps its page size.
    Exec("PRAGMA page_size=" + std::to_string(kNewCassettePageSize));
    Exec(edit ? "PRAGMA journal_mode=DELETE" : "PRAGMA journal_mode=WAL");
    Exec("BEGIN");
    Exec(kSchemaSql);
    Exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    Exec("INSERT INTO meta(key, value) VALUES ('format', 'wsreplay-cassette')");
    Exec("COMMIT");
  } else if (app_id != kApplicationId) {
    throw Error("'" + path_ +
                "' is an SQLite database of another application, not a wsreplay cassette");
  } else if (version > kSchemaVersion) {
    throw Error("cassette '" + path_ + "' has schema version " + std::to_string(version) +
                ", newer than this wsreplay understands (" + std::to_string(kSchemaVersion) +
                "); upgrade wsreplay");
  } else if (version < 1) {
    throw Error("cassette '" + path_ + "' has unknown schema version " + std::to_string(version));
  } else if (version < kSchemaVersion && mode != Mode::kReadOnly) {
    Migrate(version);
  }
  // A read-only open of an older version reads it as it is, with defaults for the version 3
  // columns it lacks and no exchanges before version 4.
  v3_columns_ = mode != Mode::kReadOnly || version >= 3 || (tables == 0 && app_id == 0);
  has_exchanges_ = mode != Mode::kReadOnly || version >= 4 || (tables == 0 && app_id == 0);
  if (mode != Mode::kReadOnly) {
    // A recorder that stopped without building its indexes (crash) left them missing.
    BuildIndexes();
    if (!edit) {
      Exec("PRAGMA journal_mode=WAL");
      Exec("PRAGMA synchronous=NORMAL");
    }
    Exec("PRAGMA foreign_keys=ON");
  }
}

void Cassette::Migrate(int from) {
  // Each step takes the schema from version v to v + 1; all steps run in one transaction, so
  // a failed migration leaves the file as it was.
  Exec("BEGIN IMMEDIATE");
  try {
    for (int v = from; v < kSchemaVersion; ++v) {
      if (v == 1) Exec("DROP INDEX IF EXISTS frames_by_offset");
      if (v == 2) MigrateToVersion3();
      if (v == 3) MigrateToVersion4();
    }
    Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    Exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void Cassette::MigrateToVersion3() {
  // Columns are added only when missing, so a partly upgraded file is upgraded too.
  auto has_column = [this](const char* column) {
    sqlite3_stmt* st = nullptr;
    bool found = false;
    if (sqlite3_prepare_v2(db_, "SELECT 1 FROM pragma_table_info('connections') WHERE name = ?", -1,
                           &st, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, column, -1, SQLITE_STATIC);
      found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
  };
  const char* const kAdded[][2] = {{"request_head", "TEXT NOT NULL DEFAULT ''"},
                                   {"response_head", "TEXT NOT NULL DEFAULT ''"},
                                   {"response_body", "BLOB"},
                                   {"extensions", "TEXT NOT NULL DEFAULT ''"}};
  for (const auto& [name, type] : kAdded) {
    if (!has_column(name)) {
      Exec(std::string("ALTER TABLE connections ADD COLUMN ") + name + " " + type);
    }
  }
  // The frames table is rebuilt from schema.sql's definition: its UNIQUE (connection_id, seq)
  // becomes the index frames_by_seq, which a recorder can drop while it appends.
  std::string ddl = SchemaTableDdl("frames");
  Exec("CREATE TABLE frames_v3 " + ddl.substr(ddl.find('(')));
  Exec(
      "INSERT INTO frames_v3(id, connection_id, seq, offset_ns, direction, opcode, payload, "
      "fragments, topic, event, join_ref, ref) SELECT id, connection_id, seq, offset_ns, "
      "direction, opcode, payload, fragments, topic, event, join_ref, ref FROM frames;"
      "DROP TABLE frames;"
      "ALTER TABLE frames_v3 RENAME TO frames;");
  BuildIndexes();
}

std::string Cassette::SchemaTableDdl(const std::string& table) {
  std::string ddl = kSchemaSql;
  const std::string head = "CREATE TABLE " + table + " (";
  size_t begin = ddl.find(head);
  size_t end = begin == std::string::npos ? begin : ddl.find("\n);", begin);
  if (begin == std::string::npos || end == std::string::npos) {
    throw Error("cassette schema has no " + table + " table (wsreplay build error)");
  }
  return ddl.substr(begin, end + 3 - begin);
}

void Cassette::MigrateToVersion4() {
  // Version 4 adds the exchanges table (HTTP requests and responses); nothing else changes.
  std::string ddl = SchemaTableDdl("exchanges");
  Exec("CREATE TABLE IF NOT EXISTS exchanges " + ddl.substr(ddl.find('(')));
}

void Cassette::BuildIndexes() {
  Exec(
      "CREATE UNIQUE INDEX IF NOT EXISTS frames_by_seq ON frames (connection_id, seq);"
      "CREATE INDEX IF NOT EXISTS frames_by_topic ON frames (topic, event);");
}

void Cassette::BuildSeqIndex() {
  Exec("CREATE UNIQUE INDEX IF NOT EXISTS frames_by_seq ON frames (connection_id, seq);");
}
void Cassette::DropIndexes() {
  Exec("DROP INDEX IF EXISTS frames_by_seq; DROP INDEX IF EXISTS frames_by_topic;");
}

// ---------------- reading ----------------

std::vector<Session> Cassette::Sessions() {
  static const std::string sql =
      std::string("SELECT ") + kSessionCols + " FROM sessions ORDER BY id";
  sqlite3_stmt* s = Prepare(sql.c_str());
  std::vector<Session> out;
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back(ReadSession(s));
  return out;
}

std::optional<Session> Cassette::FindSession(const std::string& name) {
  static const std::string sql =
      std::string("SELECT ") + kSessionCols + " FROM sessions WHERE name = ?";
  sqlite3_stmt* s = Prepare(sql.c_str());
  BindText(s, 1, name);
  if (sqlite3_step(s) == SQLITE_ROW) return ReadSession(s);
  return std::nullopt;
}

Session Cassette::ResolveSession(const std::optional<std::string>& name) {
  auto all = Sessions();
  std::string names;
  for (const auto& s : all) names += (names.empty() ? "" : ", ") + s.name;
  if (name) {
    for (auto& s : all) {
      if (s.name == *name) return s;
    }
    throw Error("cassette '" + path_ + "' has no session '" + *name +
                "' (it has: " + (names.empty() ? "none" : names) + ")");
  }
  if (all.size() == 1) return all[0];
  if (all.empty()) throw Error("cassette '" + path_ + "' has no sessions");
  throw Error("cassette '" + path_ + "' has " + std::to_string(all.size()) +
              " sessions; pick one with --session (" + names + ")");
}

std::vector<Connection> Cassette::Connections(int64_t session_id) {
  static const std::string sql = std::string("SELECT ") + kConnectionCols +
                                 " FROM connections WHERE session_id = ? ORDER BY ordinal";
  static const std::string sql_v2 = std::string("SELECT ") + kConnectionColsV2 +
                                    " FROM connections WHERE session_id = ? ORDER BY ordinal";
  sqlite3_stmt* s = Prepare(v3_columns_ ? sql.c_str() : sql_v2.c_str());
  sqlite3_bind_int64(s, 1, session_id);
  std::vector<Connection> out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    Connection c;
    c.id = sqlite3_column_int64(s, 0);
    c.session_id = sqlite3_column_int64(s, 1);
    c.ordinal = sqlite3_column_int(s, 2);
    c.path = ColText(s, 3);
    c.query = ColText(s, 4);
    c.request_headers = HeadersFromJson(ColText(s, 5));
    c.upstream_url = ColText(s, 6);
    if (auto v = ColOptInt(s, 7)) c.http_status = static_cast<int>(*v);
    c.response_headers = HeadersFromJson(ColText(s, 8));
    c.subprotocol = ColText(s, 9);
    c.error = ColText(s, 10);
    c.opened_ns = ColNs(s, 11);
    c.closed_ns = ColOptNs(s, 12);
    if (auto v = ColOptInt(s, 13)) c.close_code = static_cast<int>(*v);
    c.close_reason = ColText(s, 14);
    c.close_initiator = ColText(s, 15);
    c.request_head = ColText(s, 16);
    c.response_head = ColText(s, 17);
    c.response_body = ColOptBlob(s, 18);
    c.extensions = ColText(s, 19);
    out.push_back(std::move(c));
  }
  return out;
}

namespace {
std::string FilterWhere(const FrameFilter& f) {
  std::string w = " WHERE 1";
  if (f.session_id) w += " AND c.session_id = :session";
  if (f.connection_id) w += " AND f.connection_id = :connection";
  if (f.topic) w += " AND f.topic = :topic";
  if (f.event) w += " AND f.event = :event";
  if (!f.include_control) w += " AND f.opcode < 8";
  if (f.direction) {
    w += *f.direction == Direction::kClientToServer ? " AND f.direction = 'c2s'"
                                                    : " AND f.direction = 's2c'";
  }
  if (f.without_ref) w += " AND f.topic IS NOT NULL AND f.ref IS NULL";
  return w;
}

// The SQL form of FrameQuery (see FrameQueryMatches, its reference semantics): the frames of
// connection ?1, in seq order, at most ?2 of them when the query has a limit. NULL-safe
// comparisons (IS), so a frame without Phoenix columns is judged as FrameQueryMatches does.
std::string ConnectionQuerySql(const char* cols, const FrameQuery& q) {
  std::string w = std::string("SELECT ") + cols + " FROM frames f WHERE f.connection_id = ?1";
  if (q.direction) {
    w += *q.direction == Direction::kClientToServer ? " AND f.direction = 'c2s'"
                                                    : " AND f.direction = 's2c'";
  }
  if (!q.include_control) w += " AND f.opcode < 8";
  switch (q.phoenix) {
    case PhoenixSelect::kAll:
      break;
    case PhoenixSelect::kNoReplies:
      w += " AND f.event IS NOT 'phx_reply'";
      break;
    case PhoenixSelect::kNoHeartbeatReplies:
      w += " AND NOT (f.topic IS 'phoenix' AND f.event IS 'phx_reply')";
      break;
    case PhoenixSelect::kRequestsAndAnswers:
      w += " AND ((f.direction = 'c2s' AND f.topic IS NOT NULL AND "
           "NOT (f.topic IS 'phoenix' AND f.event IS 'heartbeat')) OR "
           "(f.direction = 's2c' AND (f.event IS 'phx_reply' OR f.event IS 'phx_close') AND "
           "f.topic IS NOT NULL AND f.topic IS NOT 'phoenix'))";
      break;
  }
  w += " ORDER BY f.seq";
  if (q.limit) w += " LIMIT ?2";
  return w;
}
void BindFilter(sqlite3_stmt* s, const FrameFilter& f) {
  auto bind_int = [&](const char* n, int64_t v) {
    int i = sqlite3_bind_parameter_index(s, n);
    if (i) sqlite3_bind_int64(s, i, v);
  };
  auto bind_text = [&](const char* n, const std::string& v) {
    int i = sqlite3_bind_parameter_index(s, n);
    if (i) BindText(s, i, v);
  };
  if (f.session_id) bind_int(":session", *f.session_id);
  if (f.connection_id) bind_int(":connection", *f.connection_id);
  if (f.topic) bind_text(":topic", *f.topic);
  if (f.event) bind_text(":event", *f.event);
}
}  // namespace

FrameCursor Cassette::Frames(const FrameFilter& filter) {
  std::string sql = std::string("SELECT ") + FrameCols() +
                    " FROM frames f JOIN connections c ON c.id = f.connection_id" +
                    FilterWhere(filter) + " ORDER BY f.offset_ns, c.ordinal, f.seq";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) Fail("querying frames");
  BindFilter(s, filter);
  return FrameCursor(s);
}

const char* Cassette::FrameCols() const { return v3_columns_ ? kFrameCols : kFrameColsV2; }

FrameCursor Cassette::ConnectionFrames(int64_t connection_id, const FrameQuery& query) {
  std::string sql = ConnectionQuerySql(FrameCols(), query);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) Fail("querying frames");
  sqlite3_bind_int64(s, 1, connection_id);
  if (query.limit) sqlite3_bind_int64(s, 2, *query.limit);
  return FrameCursor(s);
}

int64_t Cassette::CountConnectionFrames(int64_t connection_id, const FrameQuery& query) {
  std::string sql = "SELECT count(*) FROM (" + ConnectionQuerySql("1", query) + ")";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) Fail("counting frames");
  sqlite3_bind_int64(s, 1, connection_id);
  if (query.limit) sqlite3_bind_int64(s, 2, *query.limit);
  int rc = sqlite3_step(s);
  int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW) Fail("counting frames");
  return n;
}

std::map<int64_t, FrameCounts> Cassette::CountFramesByConnection(int64_t session_id) {
  std::map<int64_t, FrameCounts> out;
  sqlite3_stmt* s = Prepare(
      "SELECT f.connection_id, f.direction, f.opcode >= 8, count(*) FROM frames f "
      "JOIN connections c ON c.id = f.connection_id WHERE c.session_id = ? "
      "GROUP BY f.connection_id, f.direction, f.opcode >= 8");
  sqlite3_bind_int64(s, 1, session_id);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(s, 0);
    const unsigned char* dir = sqlite3_column_text(s, 1);
    bool control = sqlite3_column_int(s, 2) != 0;
    int64_t n = sqlite3_column_int64(s, 3);
    FrameCounts& counts = out[id];
    if (control) {
      counts.control += n;
    } else if (dir && dir[0] == 'c') {
      counts.c2s = n;
    } else {
      counts.s2c = n;
    }
  }
  if (rc != SQLITE_DONE) Fail("counting frames");
  return out;
}

namespace {
constexpr const char* kExchangeCols =
    "id, session_id, ordinal, http_connection, method, path, query, request_headers, "
    "request_body, status, response_headers, response_body, initiator, error, request_ns, "
    "response_ns, flags";
std::string ColBlob(sqlite3_stmt* s, int i) {
  const void* b = sqlite3_column_blob(s, i);
  return std::string(b ? static_cast<const char*>(b) : "",
                     static_cast<size_t>(sqlite3_column_bytes(s, i)));
}
}  // namespace

std::vector<Exchange> Cassette::Exchanges(int64_t session_id) {
  std::vector<Exchange> out;
  if (!has_exchanges_) return out;
  static const std::string sql = std::string("SELECT ") + kExchangeCols +
                                 " FROM exchanges WHERE session_id = ? ORDER BY ordinal";
  sqlite3_stmt* s = Prepare(sql.c_str());
  sqlite3_bind_int64(s, 1, session_id);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Exchange e;
    e.id = sqlite3_column_int64(s, 0);
    e.session_id = sqlite3_column_int64(s, 1);
    e.ordinal = sqlite3_column_int(s, 2);
    e.http_connection = sqlite3_column_int(s, 3);
    e.method = ColText(s, 4);
    e.path = ColText(s, 5);
    e.query = ColText(s, 6);
    e.request_headers = HeadersFromJson(ColText(s, 7));
    e.request_body = ColBlob(s, 8);
    if (auto v = ColOptInt(s, 9)) e.status = static_cast<int>(*v);
    e.response_headers = HeadersFromJson(ColText(s, 10));
    e.response_body = ColBlob(s, 11);
    e.initiator = ColText(s, 12);
    e.error = ColText(s, 13);
    e.request_ns = ColNs(s, 14);
    e.response_ns = ColOptNs(s, 15);
    e.flags = sqlite3_column_int(s, 16);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) Fail("reading exchanges");
  return out;
}

int64_t Cassette::CountExchanges(int64_t session_id) {
  if (!has_exchanges_) return 0;
  sqlite3_stmt* s = Prepare("SELECT count(*) FROM exchanges WHERE session_id = ?");
  sqlite3_bind_int64(s, 1, session_id);
  if (sqlite3_step(s) != SQLITE_ROW) Fail("counting exchanges");
  int64_t n = sqlite3_column_int64(s, 0);
  sqlite3_reset(s);
  return n;
}

int64_t Cassette::MaxFrameId() {
  sqlite3_stmt* s = Prepare("SELECT max(id) FROM frames");
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_reset(s);  // ends the read (a cached statement left on a row would hold it open)
  return n;
}

std::vector<std::string> Cassette::MissingTables() {
  std::vector<std::string> missing;
  for (const char* table : {"sessions", "connections", "frames"}) {
    sqlite3_stmt* s = Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) missing.push_back(table);
    sqlite3_reset(s);
  }
  return missing;
}

int64_t Cassette::CountFrames(const FrameFilter& filter) {
  std::string sql = "SELECT count(*) FROM frames f JOIN connections c ON c.id = f.connection_id" +
                    FilterWhere(filter);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) Fail("counting frames");
  BindFilter(s, filter);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return n;
}

// ---------------- writing ----------------

void Cassette::Begin() { Exec("BEGIN IMMEDIATE"); }
void Cassette::Commit() { Exec("COMMIT"); }
void Cassette::Rollback() {
  if (!sqlite3_get_autocommit(db_)) Exec("ROLLBACK");
}

int64_t Cassette::InsertSession(const Session& r) {
  sqlite3_stmt* s = Prepare(
      "INSERT INTO sessions(name, started_at_ns, duration_ns, upstream, source, tool_version) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  BindText(s, 1, r.name);
  sqlite3_bind_int64(s, 2, r.started_at_ns);
  BindOptInt(s, 3, r.duration_ns);
  BindText(s, 4, r.upstream);
  BindText(s, 5, r.source);
  BindText(s, 6, r.tool_version);
  if (sqlite3_step(s) != SQLITE_DONE) {
    if ((sqlite3_errcode(db_) & 0xff) == SQLITE_CONSTRAINT) {
      throw Error("cassette '" + path_ + "' already has a session named '" + r.name +
                  "'; choose another --session or remove it with `wsreplay sessions " + path_ +
                  " rm " + r.name + "`");
    }
    Fail("inserting a session");
  }
  return sqlite3_last_insert_rowid(db_);
}

void Cassette::FinishSession(int64_t id, int64_t duration_ns) {
  sqlite3_stmt* s = Prepare("UPDATE sessions SET duration_ns = ? WHERE id = ?");
  sqlite3_bind_int64(s, 1, duration_ns);
  sqlite3_bind_int64(s, 2, id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("finishing a session");
}

namespace {
void BindConnection(sqlite3_stmt* s, const Connection& c) {
  sqlite3_bind_int64(s, 1, c.session_id);
  sqlite3_bind_int(s, 2, c.ordinal);
  BindText(s, 3, c.path);
  BindText(s, 4, c.query);
  BindText(s, 5, HeadersToJson(c.request_headers));
  BindText(s, 6, c.upstream_url);
  BindOptInt(s, 7, c.http_status ? std::optional<int64_t>(*c.http_status) : std::nullopt);
  BindText(s, 8, HeadersToJson(c.response_headers));
  BindText(s, 9, c.subprotocol);
  BindText(s, 10, c.error);
  sqlite3_bind_int64(s, 11, c.opened_ns);
  BindOptInt(s, 12, c.closed_ns);
  BindOptInt(s, 13, c.close_code ? std::optional<int64_t>(*c.close_code) : std::nullopt);
  BindText(s, 14, c.close_reason);
  BindText(s, 15, c.close_initiator);
  BindText(s, 16, c.request_head);
  BindText(s, 17, c.response_head);
  if (c.response_body) {
    sqlite3_bind_blob(s, 18, c.response_body->data(), static_cast<int>(c.response_body->size()),
                      SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(s, 18);
  }
  BindText(s, 19, c.extensions);
}
}  // namespace

int64_t Cassette::InsertConnection(const Connection& c) {
  sqlite3_stmt* s = Prepare(
      "INSERT INTO connections(session_id, ordinal, path, query, request_headers, upstream_url, "
      "http_status, response_headers, subprotocol, error, opened_ns, closed_ns, close_code, "
      "close_reason, close_initiator, request_head, response_head, response_body, extensions) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  BindConnection(s, c);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("inserting a connection");
  return sqlite3_last_insert_rowid(db_);
}

void Cassette::UpdateConnection(const Connection& c) {
  sqlite3_stmt* s = Prepare(
      "UPDATE connections SET session_id=?, ordinal=?, path=?, query=?, request_headers=?, "
      "upstream_url=?, http_status=?, response_headers=?, subprotocol=?, error=?, opened_ns=?, "
      "closed_ns=?, close_code=?, close_reason=?, close_initiator=?, request_head=?, "
      "response_head=?, response_body=?, extensions=? WHERE id=?");
  BindConnection(s, c);
  sqlite3_bind_int64(s, 20, c.id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("updating a connection");
}

namespace {

constexpr int kFrameParams = 13;
constexpr const char* kFrameInsertHead =
    "INSERT INTO frames(connection_id, seq, offset_ns, direction, opcode, payload, fragments, "
    "topic, event, join_ref, ref, flags, note) VALUES ";
constexpr const char* kFrameInsertRow = "(?,?,?,?,?,?,?,?,?,?,?,?,?)";

// The statement inserting kFramesPerInsert rows; built once (its address keys the cache).
const std::string& MultiFrameInsertSql() {
  static const std::string sql = [] {
    std::string out = kFrameInsertHead;
    for (size_t i = 0; i < Cassette::kFramesPerInsert; ++i) {
      if (i) out += ',';
      out += kFrameInsertRow;
    }
    return out;
  }();
  return sql;
}

// Binds f to parameters base+1 .. base+13. Text and blobs are bound without a copy: f and
// *fragments_json must outlive the statement's step.
void BindFrame(sqlite3_stmt* s, int base, const Frame& f, std::string* fragments_json) {
  auto bind_opt = [&](int i, const std::optional<std::string>& v) {
    if (v)
      sqlite3_bind_text(s, base + i, v->data(), static_cast<int>(v->size()), SQLITE_STATIC);
    else
      sqlite3_bind_null(s, base + i);
  };
  sqlite3_bind_int64(s, base + 1, f.connection_id);
  sqlite3_bind_int64(s, base + 2, f.seq);
  sqlite3_bind_int64(s, base + 3, f.offset_ns);
  sqlite3_bind_text(s, base + 4, DirectionName(f.direction), 3, SQLITE_STATIC);
  sqlite3_bind_int(s, base + 5, f.opcode);
  sqlite3_bind_blob(s, base + 6, f.payload.data(), static_cast<int>(f.payload.size()),
                    SQLITE_STATIC);
  if (f.fragments.size() > 1) {
    *fragments_json = FragmentsToJson(f.fragments);
    sqlite3_bind_text(s, base + 7, fragments_json->data(), static_cast<int>(fragments_json->size()),
                      SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, base + 7);
  }
  bind_opt(8, f.topic);
  bind_opt(9, f.event);
  bind_opt(10, f.join_ref);
  bind_opt(11, f.ref);
  sqlite3_bind_int(s, base + 12, f.flags);
  if (f.note.empty())
    sqlite3_bind_null(s, base + 13);
  else
    sqlite3_bind_text(s, base + 13, f.note.data(), static_cast<int>(f.note.size()), SQLITE_STATIC);
}

}  // namespace

int64_t Cassette::InsertFrame(const Frame& f) {
  static const std::string sql = std::string(kFrameInsertHead) + kFrameInsertRow;
  sqlite3_stmt* s = Prepare(sql.c_str(), /*clear_bindings=*/false);  // all 13 are bound below
  std::string fragments_json;
  BindFrame(s, 0, f, &fragments_json);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("inserting a frame");
  return sqlite3_last_insert_rowid(db_);
}

void Cassette::InsertFrames(std::span<const Frame* const> frames) {
  size_t i = 0;
  if (frames.size() >= kFramesPerInsert) {
    std::string fragments_json[kFramesPerInsert];
    for (; i + kFramesPerInsert <= frames.size(); i += kFramesPerInsert) {
      sqlite3_stmt* s = Prepare(MultiFrameInsertSql().c_str(), /*clear_bindings=*/false);
      for (size_t k = 0; k < kFramesPerInsert; ++k) {
        BindFrame(s, static_cast<int>(k) * kFrameParams, *frames[i + k], &fragments_json[k]);
      }
      if (sqlite3_step(s) != SQLITE_DONE) Fail("inserting frames");
    }
  }
  for (; i < frames.size(); ++i) InsertFrame(*frames[i]);
}

int64_t Cassette::InsertExchange(const Exchange& e) {
  sqlite3_stmt* s = Prepare(
      "INSERT INTO exchanges(session_id, ordinal, http_connection, method, path, query, "
      "request_headers, request_body, status, response_headers, response_body, initiator, "
      "error, request_ns, response_ns, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  sqlite3_bind_int64(s, 1, e.session_id);
  sqlite3_bind_int(s, 2, e.ordinal);
  sqlite3_bind_int(s, 3, e.http_connection);
  BindText(s, 4, e.method);
  BindText(s, 5, e.path);
  BindText(s, 6, e.query);
  BindText(s, 7, HeadersToJson(e.request_headers));
  sqlite3_bind_blob(s, 8, e.request_body.data(), static_cast<int>(e.request_body.size()),
                    SQLITE_STATIC);
  BindOptInt(s, 9, e.status ? std::optional<int64_t>(*e.status) : std::nullopt);
  BindText(s, 10, HeadersToJson(e.response_headers));
  sqlite3_bind_blob(s, 11, e.response_body.data(), static_cast<int>(e.response_body.size()),
                    SQLITE_STATIC);
  BindText(s, 12, e.initiator);
  BindText(s, 13, e.error);
  sqlite3_bind_int64(s, 14, e.request_ns);
  BindOptInt(s, 15, e.response_ns);
  sqlite3_bind_int(s, 16, e.flags);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("inserting an exchange");
  return sqlite3_last_insert_rowid(db_);
}

void Cassette::UpdateExchange(const Exchange& e) {
  sqlite3_stmt* s = Prepare(
      "UPDATE exchanges SET query = ?, request_headers = ?, request_body = ?, "
      "response_headers = ?, response_body = ? WHERE id = ?");
  BindText(s, 1, e.query);
  BindText(s, 2, HeadersToJson(e.request_headers));
  sqlite3_bind_blob(s, 3, e.request_body.data(), static_cast<int>(e.request_body.size()),
                    SQLITE_TRANSIENT);
  BindText(s, 4, HeadersToJson(e.response_headers));
  sqlite3_bind_blob(s, 5, e.response_body.data(), static_cast<int>(e.response_body.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 6, e.id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("updating an exchange");
}

void Cassette::DeleteSession(int64_t id) {
  sqlite3_stmt* s = Prepare(
      "DELETE FROM frames WHERE connection_id IN (SELECT id FROM connections WHERE session_id = "
      "?)");
  sqlite3_bind_int64(s, 1, id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting frames");
  if (has_exchanges_) {
    s = Prepare("DELETE FROM exchanges WHERE session_id = ?");
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting exchanges");
  }
  s = Prepare("DELETE FROM connections WHERE session_id = ?");
  sqlite3_bind_int64(s, 1, id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting connections");
  s = Prepare("DELETE FROM sessions WHERE id = ?");
  sqlite3_bind_int64(s, 1, id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting a session");
}

void Cassette::RenameSession(int64_t id, const std::string& name) {
  sqlite3_stmt* s = Prepare("UPDATE sessions SET name = ? WHERE id = ?");
  BindText(s, 1, name);
  sqlite3_bind_int64(s, 2, id);
  if (sqlite3_step(s) != SQLITE_DONE) {
    if ((sqlite3_errcode(db_) & 0xff) == SQLITE_CONSTRAINT) {
      throw Error("cassette '" + path_ + "' already has a session named '" + name + "'");
    }
    Fail("renaming a session");
  }
}

void Cassette::UpdateSessionUpstream(int64_t session_id, const std::string& upstream) {
  sqlite3_stmt* s = Prepare("UPDATE sessions SET upstream = ? WHERE id = ?");
  BindText(s, 1, upstream);
  sqlite3_bind_int64(s, 2, session_id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("updating a session");
}

void Cassette::DeleteConnection(int64_t connection_id) {
  sqlite3_stmt* s = Prepare("DELETE FROM frames WHERE connection_id = ?");
  sqlite3_bind_int64(s, 1, connection_id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting frames");
  s = Prepare("DELETE FROM connections WHERE id = ?");
  sqlite3_bind_int64(s, 1, connection_id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("deleting a connection");
}

void Cassette::UpdateFramePayload(const Frame& f) {
  sqlite3_stmt* s = Prepare(
      "UPDATE frames SET payload = ?, fragments = NULL, topic = ?, event = ?, join_ref = ?, "
      "ref = ? WHERE id = ?");
  sqlite3_bind_blob(s, 1, f.payload.data(), static_cast<int>(f.payload.size()), SQLITE_TRANSIENT);
  BindOptText(s, 2, f.topic);
  BindOptText(s, 3, f.event);
  BindOptText(s, 4, f.join_ref);
  BindOptText(s, 5, f.ref);
  sqlite3_bind_int64(s, 6, f.id);
  if (sqlite3_step(s) != SQLITE_DONE) Fail("updating a frame");
}

void Cassette::SetSecureDelete(bool on) {
  Exec(on ? "PRAGMA secure_delete=ON" : "PRAGMA secure_delete=OFF");
}

void Cassette::Vacuum() { Exec("VACUUM"); }

bool Cassette::CheckpointTruncate() {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &s, nullptr) != SQLITE_OK) {
    Fail("checkpointing");
  }
  int busy = 0;
  if (sqlite3_step(s) == SQLITE_ROW) busy = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return busy == 0;
}

int64_t Cassette::PageSize() {
  int64_t page_size = 4096;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA page_size", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    page_size = std::max(512, sqlite3_column_int(s, 0));
  }
  sqlite3_finalize(s);
  return page_size;
}

void Cassette::TuneForRecording() { Exec("PRAGMA foreign_keys=OFF"); }

void Cassette::OnWalCommit(std::function<void(int64_t wal_pages, int64_t wal_bytes)> on_commit) {
  page_size_ = PageSize();
  on_wal_commit_ = std::move(on_commit);
  if (!on_wal_commit_) {  // SQLite's automatic checkpoints again: every 16 MiB of WAL
    sqlite3_wal_autocheckpoint(db_, static_cast<int>(kCheckpointWalBytes / page_size_));
    return;
  }
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        auto* c = static_cast<Cassette*>(self);
        c->on_wal_commit_(pages, static_cast<int64_t>(pages) * c->page_size_);
        return SQLITE_OK;
      },
      this);
}

void Cassette::CheckpointPassive() {
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

void Cassette::Seal() {
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_exec(db_, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
}

}  // namespace wsr::cassette
