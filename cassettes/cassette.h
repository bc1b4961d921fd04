// Cassette: one SQLite file holding recorded sessions (WebSocket frames and HTTP exchanges) (see
// README.md, schema.sql).
//
// Open() checks that the file is a wsreplay cassette of a schema this build understands:
// a file that is not SQLite, an SQLite file of another application, or a cassette of a newer
// schema is refused with a wsr::Error whose message says what to do. Older schemas are
// migrated when opened for writing.
//
// Journal modes: a recorder (kReadWrite/kCreate) works in WAL mode and Seal()s the file back to
// journal_mode=DELETE when it stops; the offline write commands (kEdit/kEditCreate) never
// switch to WAL, so a cassette they touch stays one self-contained file.
//
// SQL lives only in cassettes/*.cc: every read and write is a typed method here (callers
// never see SQLite). The replay core reads one session through CassetteSession
// (cassette_session.h), the SessionSource over a Cassette.
//
// Ownership and threads: a Cassette owns its sqlite3 handle. It is not thread-safe: use one
// Cassette per thread (SQLite in WAL mode lets a reader open the file while a recorder writes
// it). FrameCursor borrows the Cassette and must not outlive it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cassettes/model.h"
#include "cassettes/session_source.h"

struct sqlite3;
struct sqlite3_stmt;

namespace wsr::cassette {

class Cassette;

// Streams frames in order (see the method that made it) without loading them all.
class FrameCursor final : public FrameStream {
 public:
  FrameCursor(FrameCursor&&) noexcept;
  FrameCursor& operator=(FrameCursor&&) noexcept;
  ~FrameCursor() override;
  // Fills *out with the next frame; false at the end and after it. Throws wsr::Error on read
  // errors.
  bool Next(Frame* out) override;

 private:
  friend class Cassette;
  explicit FrameCursor(sqlite3_stmt* stmt) : stmt_(stmt) {}
  sqlite3_stmt* stmt_ = nullptr;
};

struct FrameFilter {
  std::optional<int64_t> session_id = std::nullopt;
  std::optional<int64_t> connection_id = std::nullopt;
  std::optional<std::string> topic = std::nullopt;
  std::optional<std::string> event = std::nullopt;
  // Control frames (close, ping, pong: opcode >= 8) are left out unless this is set; the
  // typed readers (replay, diff, lint) see only data frames.
  bool include_control = false;
  std::optional<Direction> direction = std::nullopt;
  // Only Phoenix frames sent without a ref (from the server: pushes, not replies).
  bool without_ref = false;
};

// Frames of one connection: data frames per direction, and control frames.
struct FrameCounts {
  int64_t c2s = 0, s2c = 0;  // data frames (opcode < 8)
  int64_t control = 0;       // close, ping, pong
};

class Cassette {
 public:
  enum class Mode {
    kReadOnly,   // never creates or modifies the file
    kReadWrite,  // the file must exist; switched to WAL mode (a recorder's readers keep reading)
    kCreate,     // like kReadWrite; creates a new cassette when the file is missing
    // For the offline write commands (sessions, redact, merge, import, cut): read-write, the
    // file must exist, and its journal mode is left as it is (DELETE for every sealed
    // cassette), so opening writes nothing, a rolled-back transaction leaves the file
    // byte-identical and no -wal/-shm appears. Call Seal() when done. (An older schema is
    // still migrated, in its own transaction; validate on a kReadOnly open first.)
    kEdit,
    // Like kEdit; creates a new cassette in journal_mode=DELETE when the file is missing.
    kEditCreate,
  };

  // Throws wsr::Error (missing file, not SQLite, foreign database, newer schema, ...).
  static std::unique_ptr<Cassette> Open(const std::string& path, Mode mode);
  ~Cassette();
  Cassette(const Cassette&) = delete;
  Cassette& operator=(const Cassette&) = delete;

  const std::string& path() const { return path_; }

  // --- reading ---
  std::vector<Session> Sessions();
  std::optional<Session> FindSession(const std::string& name);
  // The only session when there is one; the named one; otherwise throws with the list.
  Session ResolveSession(const std::optional<std::string>& name);
  std::vector<Connection> Connections(int64_t session_id);
  // Frames in (offset_ns, connection ordinal, seq) order.
  FrameCursor Frames(const FrameFilter& filter);
  int64_t CountFrames(const FrameFilter& filter);
  // Frames of one connection in seq order, selected by `query` (see session_source.h). Used
  // by replay (through CassetteSession) to stream one connection with a bounded window.
  FrameCursor ConnectionFrames(int64_t connection_id, const FrameQuery& query);
  int64_t CountConnectionFrames(int64_t connection_id, const FrameQuery& query);
  // For each connection of a session that has frames: connection id -> counts.
  std::map<int64_t, FrameCounts> CountFramesByConnection(int64_t session_id);
  // The HTTP exchanges of a session (schema version 4) in ordinal order (request start order);
  // none for an older file opened read-only.
  std::vector<Exchange> Exchanges(int64_t session_id);
  int64_t CountExchanges(int64_t session_id);
  // The largest frame id (about the number of frames ever inserted; one index lookup).
  int64_t MaxFrameId();
  // Which of the tables every command needs (sessions, connections, frames) the file lacks
  // (a damaged file, or one not written by wsreplay); empty when it has them all.
  std::vector<std::string> MissingTables();

  // --- writing (ReadWrite/Create only) ---
  void Begin();
  void Commit();
  void Rollback();
  int64_t InsertSession(const Session& s);  // returns the new id
  void FinishSession(int64_t session_id, int64_t duration_ns);
  int64_t InsertConnection(const Connection& c);  // returns the new id
  void UpdateConnection(const Connection& c);     // by c.id
  int64_t InsertFrame(const Frame& f);            // returns the new id
  // Inserts the frames in order, kFramesPerInsert rows per INSERT statement (a recorder's
  // batch: one statement per row costs about a third more).
  void InsertFrames(std::span<const Frame* const> frames);
  static constexpr size_t kFramesPerInsert = 32;
  int64_t InsertExchange(const Exchange& e);  // by e.session_id; returns the new id
  // Rewrites an exchange's query, headers and bodies (by e.id): what `redact` changes.
  void UpdateExchange(const Exchange& e);
  void DeleteSession(int64_t session_id);
  void RenameSession(int64_t session_id, const std::string& new_name);
  void UpdateSessionUpstream(int64_t session_id, const std::string& upstream);
  // (DeleteSession deletes the session's connections, frames and exchanges.)
  // Deletes a connection and its frames.
  void DeleteConnection(int64_t connection_id);
  // Rewrites a frame's payload and Phoenix columns (by f.id); its fragment sizes are dropped
  // (they described the old bytes).
  void UpdateFramePayload(const Frame& f);
  // Scrubbing (redact): with secure delete on, deleted content is overwritten with zeros;
  // Vacuum() rebuilds the file without free pages; CheckpointTruncate() empties the WAL and
  // returns false when another reader or writer kept it from completing.
  void SetSecureDelete(bool on);
  void Vacuum();
  bool CheckpointTruncate();
  // Leaves a single self-contained file: WAL checkpointed and journal_mode=DELETE (best
  // effort: another open reader keeps it in WAL mode).
  void Seal();
  // Settings for a connection that only appends a recording (CassetteWriter): foreign keys
  // are not re-checked per row (the writer inserts a frame only under a connection it
  // inserted itself). (Its checkpoints: OnWalCommit.)
  void TuneForRecording();
  // The file's page size in bytes.
  int64_t PageSize();
  // Replaces SQLite's automatic checkpoints (run inside the commit that crosses the
  // threshold) with `on_commit(wal_pages, wal_bytes)`, called on this connection's thread after
  // each commit with the WAL's size: a recorder checkpoints on another connection (Checkpointer).
  // An empty function restores the automatic checkpoints.
  void OnWalCommit(std::function<void(int64_t wal_pages, int64_t wal_bytes)> on_commit);
  // A PASSIVE checkpoint on this connection (the recorder's fallback when the Checkpointer
  // cannot keep the WAL small); errors are ignored, as SQLite's own automatic checkpoints do.
  void CheckpointPassive();
  // The secondary frame indexes (frames_by_seq, frames_by_topic): a recorder drops them while
  // it appends and, when it stops, builds frames_by_seq only (BuildSeqIndex: what replay reads
  // every connection through); an open for writing builds missing ones (BuildIndexes).
  void DropIndexes();
  void BuildIndexes();
  void BuildSeqIndex();

 private:
  // Runs sql (no results); throws wsr::Error with context on failure.
  void Exec(const std::string& sql);
  Cassette(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  void CheckAndMigrate(Mode mode);
  void Migrate(int from_version);  // ReadWrite/Create only
  void MigrateToVersion3();
  void MigrateToVersion4();
  // The CREATE TABLE statement of `table` as schema.sql has it.
  std::string SchemaTableDdl(const std::string& table);
  const char* FrameCols() const;
  // The cached statement for `sql`, reset; its bindings are cleared unless the caller binds
  // every parameter on each use (clear_bindings = false).
  sqlite3_stmt* Prepare(const char* sql, bool clear_bindings = true);
  [[noreturn]] void Fail(const std::string& what);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::function<void(int64_t, int64_t)> on_wal_commit_;
  int64_t page_size_ = 4096;
  bool v3_columns_ = true;     // false: a read-only open of a version 1/2 file
  bool has_exchanges_ = true;  // false: a read-only open of a version 1-3 file
  // Prepared statements keyed by the address of their SQL literal.
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

}  // namespace wsr::cassette
