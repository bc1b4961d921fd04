-- wsreplay cassette schema, version 4.
-- This file is the single source of truth: it is compiled into the binary and applied to
-- new cassettes. See cassettes/README.md for what every column means.
-- Identification: PRAGMA application_id = 1465078352 ('WSRP'), PRAGMA user_version = 4.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per `wsreplay record` run (or import), named.
CREATE TABLE sessions (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  started_at_ns INTEGER NOT NULL,          -- wall clock, ns since the Unix epoch
  duration_ns   INTEGER,                   -- monotonic length; NULL while recording
  upstream      TEXT NOT NULL DEFAULT '',  -- upstream base URL (no query)
  source        TEXT NOT NULL DEFAULT 'record',  -- record | import-jsonl | import-har | cut | merge
  tool_version  TEXT NOT NULL DEFAULT ''
);

-- One row per client connection the proxy accepted.
CREATE TABLE connections (
  id               INTEGER PRIMARY KEY,
  session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  ordinal          INTEGER NOT NULL,           -- 1, 2, ... in order of acceptance
  path             TEXT NOT NULL,              -- request path, e.g. /api/v1/socket/websocket
  query            TEXT NOT NULL DEFAULT '',   -- query string with secrets redacted
  request_headers  TEXT NOT NULL DEFAULT '[]', -- JSON [[name, value], ...], redacted
  upstream_url     TEXT NOT NULL DEFAULT '',   -- full upstream URL, redacted
  http_status      INTEGER,                    -- upstream handshake status (101 = accepted); NULL = unreachable
  response_headers TEXT NOT NULL DEFAULT '[]', -- upstream handshake response headers, redacted
  subprotocol      TEXT NOT NULL DEFAULT '',   -- negotiated Sec-WebSocket-Protocol
  error            TEXT NOT NULL DEFAULT '',   -- why the upstream leg failed, if it did
  opened_ns        INTEGER NOT NULL,           -- offset from session start (monotonic)
  closed_ns        INTEGER,                    -- offset of the close; NULL while open
  close_code       INTEGER,                    -- 1000..4999; 1006 = ended without a close frame
  close_reason     TEXT NOT NULL DEFAULT '',
  close_initiator  TEXT NOT NULL DEFAULT '',   -- first close frame's sender: client | upstream;
                                               -- proxy = the proxy's own end; else whose TCP ended
  -- Version 3: the handshake as relayed.
  request_head     TEXT NOT NULL DEFAULT '',   -- client request head as received, redacted
  response_head    TEXT NOT NULL DEFAULT '',   -- response head the client got, redacted
  response_body    BLOB,                       -- body of a refused upgrade (status != 101)
  extensions       TEXT NOT NULL DEFAULT '',   -- negotiated Sec-WebSocket-Extensions
  UNIQUE (session_id, ordinal)
);

-- Every WebSocket message, whole (fragments reassembled; their sizes kept), and every control
-- frame (close, ping, pong).
CREATE TABLE frames (
  id            INTEGER PRIMARY KEY,
  connection_id INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,             -- 0, 1, ... per connection, both directions
  offset_ns     INTEGER NOT NULL,             -- from session start (monotonic clock)
  direction     TEXT NOT NULL CHECK (direction IN ('c2s', 's2c')),
  opcode        INTEGER NOT NULL,             -- 1 text, 2 binary, 8 close, 9 ping, 10 pong
  payload       BLOB NOT NULL,                -- inflated when sent compressed
  fragments     TEXT,                         -- JSON [size, ...] when sent in >1 fragment
  -- Phoenix v2 columns, set when the payload is a [join_ref, ref, topic, event, payload] array.
  topic         TEXT,
  event         TEXT,
  join_ref      TEXT,                         -- the ref's text ("1" and 1 both give 1); NULL for null
  ref           TEXT,
  flags         INTEGER NOT NULL DEFAULT 0,   -- 1 = sent compressed, 2 = RFC 6455 violation
  note          TEXT                          -- violation text(s), "; "-separated
);

-- Version 4: every HTTP request relayed on the proxy's listener and its response (the REST
-- half of a session), on the session clock like frames.
CREATE TABLE exchanges (
  id               INTEGER PRIMARY KEY,
  session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  ordinal          INTEGER NOT NULL,            -- 1, 2, ... per session in order of request start
  http_connection  INTEGER NOT NULL DEFAULT 0,  -- client TCP connection 1, 2, ... (not connections.id)
  method           TEXT NOT NULL,               -- GET, POST, ...
  path             TEXT NOT NULL,               -- the client's path as received
  query            TEXT NOT NULL DEFAULT '',    -- query string, secrets redacted
  request_headers  TEXT NOT NULL DEFAULT '[]',  -- JSON [[name, value], ...], redacted
  request_body     BLOB NOT NULL DEFAULT x'',   -- decoded when flags & 1
  status           INTEGER,                     -- status the client got; NULL = no response
  response_headers TEXT NOT NULL DEFAULT '[]',  -- JSON [[name, value], ...], redacted
  response_body    BLOB NOT NULL DEFAULT x'',   -- decoded when flags & 2
  initiator        TEXT NOT NULL DEFAULT '',    -- upstream | proxy (502/504) | client
  error            TEXT NOT NULL DEFAULT '',    -- why the exchange failed, if it did
  request_ns       INTEGER NOT NULL,            -- offset when the request head was complete
  response_ns      INTEGER,                     -- offset when the response was complete
  flags            INTEGER NOT NULL DEFAULT 0,  -- 1 = request body decoded, 2 = response body decoded
  UNIQUE (session_id, ordinal)
);

-- Secondary indexes. A recorder drops them while it appends and builds them when it stops
-- (and Cassette::Open for writing builds any that are missing, e.g. after a crash); readers
-- work without them. frames_by_seq is unique: a connection's frames in seq order (seq order is
-- offset order within a connection). (Version 1 also had frames_by_offset; versions 1 and 2
-- had UNIQUE (connection_id, seq) inside the table, which a migration to 3 turns into
-- frames_by_seq.)
CREATE UNIQUE INDEX frames_by_seq ON frames (connection_id, seq);
CREATE INDEX frames_by_topic ON frames (topic, event);
