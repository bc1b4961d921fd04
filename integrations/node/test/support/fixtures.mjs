// Shared pieces of the helper's tests: the wsreplay binary, temp dirs, the built-in Thenvoi
// simulator, and the official `phoenix` client (from tests/js/node_modules, not a dependency
// of the package) with `ws` as its transport.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { resolveBinary } from "../../index.js";
import { ServerProcess } from "../../src/server_process.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
const requireJs = createRequire(path.join(repoRoot, "tests/js/package.json"));
export const { Socket } = requireJs("phoenix");
export const WebSocket = requireJs("ws");

/** The binary under test ($WSREPLAY_BIN, set by CTest). */
export const BIN = resolveBinary(undefined, process.env);

/** Alice (a user) and two topics she may join, with the ids of sim/README.md. */
export const ALICE_KEY = "sim-user-alice";
export const ROOM_TOPIC = "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a";
export const TASKS_TOPIC = "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58";

/** A fresh temp dir, removed when the test (or suite) `t` ends. */
export async function tempDir(t) {
  const dir = await mkdtemp(path.join(tmpdir(), "wsreplay-node-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `wsreplay sim` on a free port; stopped when `t` ends. Resolves with its ws:// URL. */
export async function startSim(t) {
  const sim = new ServerProcess(BIN, ["sim", "--listen", "127.0.0.1:0"]);
  t.after(() => sim.stop(10000));
  return sim.ready(10000);
}

/** The pushes of the simulator's default scenario for some topics, in order: [{topic, event}]. */
export function scenarioPushes(topics) {
  const text = execFileSync(BIN, ["sim", "--print-default-scenario"], { encoding: "utf8" });
  return text
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"))
    .map((l) => JSON.parse(l))
    .sort((a, b) => a.at_ms - b.at_ms) // stable: equal times keep file order, as the sim does
    .filter((p) => topics.includes(p.topic))
    .map((p) => ({ topic: p.topic, event: p.event }));
}

/**
 * A phoenix.js socket that joins topics and records every push it receives.
 * `events` holds {topic, event, payload} in arrival order.
 */
export class PhoenixClient {
  /** @param {string} wsUrl the server's ws://HOST:PORT */
  /** @param {{reconnectAfterMs?: number}} options for a test that wants phoenix.js to reconnect */
  constructor(wsUrl, params = { api_key: ALICE_KEY }, options = {}) {
    this.events = [];
    this.closes = [];
    this._waiters = [];
    const reconnectMs = options.reconnectAfterMs ?? 60000; // by default no silent reconnect
    this.socket = new Socket(`${wsUrl}/api/v1/socket`, {
      transport: WebSocket,
      params,
      heartbeatIntervalMs: 30000,
      reconnectAfterMs: () => reconnectMs,
      rejoinAfterMs: () => reconnectMs,
    });
    this.socket.onClose((e) =>
      this.closes.push({ code: e?.code, reason: e?.reason, after: this.events.length }));
    this.opened = new Promise((resolve, reject) => {
      this.socket.onOpen(resolve);
      this.socket.onError((e) => reject(new Error(`phoenix socket error: ${e?.message ?? e}`)));
    });
    this.socket.connect();
  }

  /** Joins a topic; resolves with {status, response} ("ok" or "error"). */
  join(topic) {
    const ch = this.socket.channel(topic, {});
    ch.onMessage = (event, payload) => {
      if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
        this.events.push({ topic, event, payload });
        this._wake();
      }
      return payload;
    };
    return new Promise((resolve) => {
      ch.join()
        .receive("ok", (response) => resolve({ status: "ok", response }))
        .receive("error", (response) => {
          ch.rejoinTimer.reset();
          this.socket.remove(ch);
          resolve({ status: "error", response });
        })
        .receive("timeout", () => resolve({ status: "timeout", response: null }));
    });
  }

  /** Resolves once at least `n` pushes arrived. */
  waitForEvents(n) {
    if (this.events.length >= n) return Promise.resolve(this.events);
    return new Promise((resolve) => this._waiters.push({ n, resolve }));
  }

  _wake() {
    this._waiters = this._waiters.filter((w) => {
      if (this.events.length < w.n) return true;
      w.resolve(this.events);
      return false;
    });
  }

  /** Closes the socket with 1000 and resolves once it is closed. */
  disconnect() {
    return new Promise((resolve) => {
      if (!this.socket.isConnected()) {
        this.socket.disconnect();
        resolve();
        return;
      }
      this.socket.disconnect(resolve, 1000, "done");
    });
  }
}

/** Records, through the helper's record(), Alice joining both topics until every push arrived. */
export async function recordAliceSession(t, { record }, cassette, session) {
  const simUrl = await startSim(t);
  const rec = await record({ upstream: simUrl, cassette, session });
  t.after(() => rec.stop().catch(() => {}));
  const expected = scenarioPushes([ROOM_TOPIC, TASKS_TOPIC]);
  const client = new PhoenixClient(rec.url);
  await client.opened;
  const joins = await Promise.all([client.join(ROOM_TOPIC), client.join(TASKS_TOPIC)]);
  const events = await client.waitForEvents(expected.length);
  await client.disconnect();
  const result = await rec.stop();
  return { joins, events: events.map(({ topic, event }) => ({ topic, event })), expected, result };
}
