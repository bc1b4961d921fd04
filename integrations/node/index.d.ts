// Types for the `wsreplay` Node.js helper (index.js). The helper runs the wsreplay binary
// (`bin` option, else $WSREPLAY_BIN, else `wsreplay` on PATH) and has no runtime dependencies.

/** Options every command shares. */
export interface ProcessOptions {
  /** The wsreplay binary; default $WSREPLAY_BIN, else `wsreplay` on PATH. */
  bin?: string;
  /** HOST:PORT to listen on; default "127.0.0.1:0" (a free loopback port). */
  listen?: string;
  /** Extra command-line arguments appended as is. */
  args?: string[];
  /** Environment of the process (and where WSREPLAY_BIN/PATH are read); default process.env. */
  env?: Record<string, string | undefined>;
  /** How long to wait for the readiness line before killing the process; default 10000 ms. */
  startupTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL and a rejection; default 10000 ms. */
  stopTimeoutMs?: number;
}

export interface ReplayOptions extends ProcessOptions {
  /** The cassette file (opened read-only). Required. */
  cassette: string;
  /** The session to replay; default the cassette's only session. */
  session?: string;
  /** 1 = recorded gaps, 10 = ten times faster, "max" = as fast as order allows. Default 1. */
  speed?: number | "max";
  /** stop() rejects with a WsreplayReportError when the report is not clean. */
  strict?: boolean;
  /** Fault specs, each passed as `--fault SPEC`. */
  fault?: string[];
  /** "manual": time moves only through `control.advance()` / `control.step()`. Default "real". */
  clock?: "real" | "manual";
  /** Cap on any single wait: milliseconds, or a wsreplay duration such as "2s". */
  maxGap?: number | string;
  /** Skip pushes for a topic not joined this long after they were due (default "5s"). */
  joinTimeout?: number | string;
  /** A client frame the cassette does not have: phx_reply error (default) or close 4400. */
  onMismatch?: "reply-error" | "close";
  /** "connection" (default): pushes in recorded order; "topic": per-topic order only. */
  order?: "connection" | "topic";
  /** "auto" (Phoenix when detected, default) or "raw". */
  protocol?: "auto" | "raw";
  /** JSON pointers ignored when comparing client frames, e.g. ["/id"]. */
  ignoreJson?: string[];
}

/** Lateness statistics of one connection, in milliseconds. */
export interface Lateness {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface UndeliveredFrame {
  seq: number;
  offset_ms: number;
  frame: string;
  reason: string;
}

export interface Mismatch {
  at_ms: number;
  frame: string;
  explanation: string;
  action: string;
}

export interface ConnectionReport {
  connection: number;
  recorded_connection: number;
  path: string;
  mode: "phoenix" | "raw" | "refused" | string;
  http_status: number;
  open: boolean;
  delivered: number;
  undelivered_count: number;
  undelivered: UndeliveredFrame[];
  mismatch_count: number;
  mismatches: Mismatch[];
  heartbeats_answered: number;
  close: string;
  lateness_ms: Lateness;
  [key: string]: unknown;
}

/** The replay report (replay/README.md, "The report"). */
export interface Report {
  cassette: string;
  session: string;
  /** No mismatch and no undelivered frame. */
  clean: boolean;
  mismatches: number;
  undelivered: number;
  refused_upgrades: number;
  unused_recorded_connections: unknown[];
  connections: ConnectionReport[];
  [key: string]: unknown;
}

/** `GET /__wsreplay/status` (replay/README.md, "Control endpoint"). */
export interface Status {
  session: string;
  clock: { kind: "manual" | "real"; now_ms: number; paused: boolean; speed: string };
  /** Open connections, each with its joined topics and the first pending frames (`waits_for`). */
  connections: Record<string, any>[];
  closed_connections: Record<string, any>[];
  unused_recorded_connections: number[];
  delivered: number;
  mismatches: number;
  [key: string]: unknown;
}

/** The control endpoint of a running replay (`/__wsreplay/...` on the replay port). */
export declare class Control {
  constructor(httpUrl: string);
  readonly httpUrl: string;
  /** Releases the next pending frame (false when none could be released). */
  step(): Promise<{ ok: boolean; stepped: boolean; status: Status }>;
  /** Moves the manual clock by `ms`, an integer (on a real clock, skips recorded time ahead). */
  advance(ms: number): Promise<{ ok: boolean; advanced_ms: number; status: Status }>;
  /** Freezes recorded time. */
  pause(): Promise<{ ok: boolean; paused: true }>;
  /** Unfreezes recorded time. */
  resume(): Promise<{ ok: boolean; paused: false }>;
  /** Changes the speed live. */
  speed(x: number | "max"): Promise<{ ok: boolean; speed: string }>;
  /** Clock, connections, pending frames and what each waits for. */
  status(): Promise<Status>;
  /** The report so far. */
  report(): Promise<Report>;
}

export interface ReplayHandle {
  /** ws://127.0.0.1:PORT; clients connect to `${url}/api/v1/socket/websocket?...`. */
  readonly url: string;
  /** http://127.0.0.1:PORT (the control endpoint's base). */
  readonly httpUrl: string;
  readonly control: Control;
  /** The wsreplay process id. */
  readonly pid: number;
  /** What wsreplay wrote to stderr so far (logs, mismatches, and at the end the report). */
  readonly stderr: string;
  /**
   * Stops the replay (SIGTERM; live connections are closed with 1001) and resolves with the
   * report. With `strict`, rejects with a WsreplayReportError when it is not clean. Calling it
   * again returns the same promise.
   */
  stop(): Promise<Report>;
}

export interface RecordOptions extends ProcessOptions {
  /**
   * Upstream base URL, e.g. "wss://app.thenvoi.com"; the client's path and query are
   * appended. Required.
   */
  upstream: string;
  /** The cassette file, created if missing. Required. */
  cassette: string;
  /** Session name (must not exist in the cassette); default rec-YYYYmmdd-HHMMSS. */
  session?: string;
  /** Extra query parameters to redact (api_key and token always are). */
  redactParams?: string[];
  /** Extra handshake headers to redact. */
  redactHeaders?: string[];
  /** JSON pointers redacted inside text frames. */
  redactJson?: string[];
  /** PEM file of CAs to trust for a wss upstream. */
  upstreamCa?: string;
  /** Do not verify the upstream's TLS certificate. */
  insecure?: boolean;
}

export interface RecordResult {
  cassette: string;
  /** The session's name (as wsreplay logged it). */
  session: string | null;
  /** Frames recorded (as wsreplay logged it). */
  frames: number | null;
}

export interface RecordHandle {
  readonly url: string;
  readonly httpUrl: string;
  readonly pid: number;
  readonly stderr: string;
  /** Stops recording (open connections are closed with 1001) once everything is written. */
  stop(): Promise<RecordResult>;
}

/** Starts `wsreplay replay`; resolves when it accepts connections. */
export declare function replay(options: ReplayOptions): Promise<ReplayHandle>;

/** Starts `wsreplay record`; resolves when it accepts connections. */
export declare function record(options: RecordOptions): Promise<RecordHandle>;

/** The binary that would be run for a `bin` option and an environment. */
export declare function resolveBinary(
  bin?: string,
  env?: Record<string, string | undefined>,
): string;

/** wsreplay could not be started or stopped; `message` is its one-line error when it gave one. */
export declare class WsreplayError extends Error {
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly args: string[];
}

/** A strict replay ended with a report that is not clean; `message` is the report's text. */
export declare class WsreplayReportError extends Error {
  readonly report: Report;
}
