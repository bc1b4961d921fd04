#!/usr/bin/env node
// A generic Phoenix Channels client driven from the command line, built on the official
// `phoenix` npm package (what Thenvoi's TypeScript SDK uses) with `ws` as the transport.
// Tests start it against the simulator, the recorder or the replayer and read what it saw as
// JSON Lines on stdout. The interface is documented in README.md; keep it stable.
import { Socket } from "phoenix";
import WebSocket from "ws";

function usage(msg) {
  if (msg) process.stderr.write(`phoenix_client: ${msg}\n`);
  process.stderr.write(
    "usage: node phoenix_client.mjs --url ws://HOST:PORT/api/v1/socket [--params JSON]\n" +
      "  [--join TOPIC]... [--heartbeat-ms N] [--duration-ms N] [--until-events N]\n" +
      "  [--join-delay-ms N] [--leave TOPIC@MS]... [--reconnect] [--timeout-ms N]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const o = { url: null, params: {}, joins: [], heartbeatMs: 30000, durationMs: null,
              untilEvents: null, joinDelayMs: 0, leaves: [], reconnect: false, timeoutMs: 10000 };
  const num = (name, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) usage(`${name} needs a number >= 0`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case "--url": if (!v) usage("--url needs a value"); o.url = v; i++; break;
      case "--params":
        try { o.params = JSON.parse(v); } catch (e) { usage(`--params is not JSON: ${e.message}`); }
        if (typeof o.params !== "object" || o.params === null || Array.isArray(o.params)) {
          usage("--params must be a JSON object");
        }
        i++; break;
      case "--join": if (!v) usage("--join needs a topic"); o.joins.push(v); i++; break;
      case "--heartbeat-ms": o.heartbeatMs = num(a, v); i++; break;
      case "--duration-ms": o.durationMs = num(a, v); i++; break;
      case "--until-events": o.untilEvents = num(a, v); i++; break;
      case "--join-delay-ms": o.joinDelayMs = num(a, v); i++; break;
      case "--timeout-ms": o.timeoutMs = num(a, v); i++; break;
      case "--leave": {
        const at = v ? v.lastIndexOf("@") : -1;
        if (at <= 0) usage("--leave needs TOPIC@MS");
        o.leaves.push({ topic: v.slice(0, at), ms: num(a, v.slice(at + 1)) });
        i++; break;
      }
      case "--reconnect": o.reconnect = true; break;
      case "-h": case "--help": usage();
      default: usage(`unknown argument '${a}'`);
    }
  }
  if (!o.url) usage("--url is required");
  if (o.durationMs === null && o.untilEvents === null && o.joins.length === 0) {
    usage("give --join, --duration-ms or --until-events (else it would run forever)");
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
let events = 0;
let finished = false;
const channels = new Map();

function emit(obj) { process.stdout.write(JSON.stringify(obj) + "\n"); }

function finish(code, message) {
  if (finished) return;
  finished = true;
  if (message) process.stderr.write(`phoenix_client: ${message}\n`);
  emit({ kind: "done", events });
  const exit = () => process.stdout.write("", () => process.exit(code));
  if (socket.isConnected()) {
    socket.disconnect(exit, 1000, "done");
    setTimeout(exit, 1000).unref();
  } else {
    exit();
  }
}

const socket = new Socket(opts.url, {
  transport: WebSocket,
  params: opts.params,
  heartbeatIntervalMs: opts.heartbeatMs,
  timeout: opts.timeoutMs,
  reconnectAfterMs: (tries) => [10, 50, 100, 250, 500, 1000][tries - 1] ?? 1000,
});

socket.onOpen(() => { if (!finished) emit({ kind: "open", ms: Date.now() - start }); });
socket.onClose((e) => {
  if (finished) return;
  emit({ kind: "close", code: e && e.code !== undefined ? e.code : null,
         reason: e && e.reason !== undefined ? String(e.reason) : null, ms: Date.now() - start });
  if (!opts.reconnect) finish(0);
});

function joinAll() {
  for (const topic of opts.joins) {
    if (channels.has(topic)) continue;
    const ch = socket.channel(topic, {});
    channels.set(topic, ch);
    // Runs for every message the channel accepts (join_ref current or null).
    ch.onMessage = (event, payload) => {
      if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
        emit({ kind: "event", topic, event, payload, ms: Date.now() - start });
        events++;
        if (opts.untilEvents !== null && events >= opts.untilEvents) {
          setImmediate(() => finish(0));
        }
      }
      return payload;
    };
    ch.onClose(() => { if (!finished) emit({ kind: "channel_close", topic }); });
    ch.onError((reason) => {
      if (!finished) emit({ kind: "channel_error", topic, reason: reason ?? null });
    });
    ch.join()
      .receive("ok", (response) => emit({ kind: "join", topic, status: "ok", response }))
      .receive("error", (response) => {
        emit({ kind: "join", topic, status: "error", response });
        // Like Thenvoi's TS SDK: a channel whose join failed is dropped, not retried.
        ch.rejoinTimer.reset();
        socket.remove(ch);
      })
      .receive("timeout", () => emit({ kind: "join", topic, status: "timeout", response: null }));
  }
}

const start = Date.now();
let joinsScheduled = false;
socket.onOpen(() => {
  if (joinsScheduled) return;
  joinsScheduled = true;
  setTimeout(joinAll, opts.joinDelayMs);
});
for (const { topic, ms } of opts.leaves) {
  setTimeout(() => {
    const ch = channels.get(topic);
    if (!ch || finished) return;
    ch.leave().receive("ok", () => emit({ kind: "leave", topic, status: "ok" }));
  }, Math.max(0, ms - (Date.now() - start)));
}
if (opts.durationMs !== null) setTimeout(() => finish(0), opts.durationMs);
process.on("uncaughtException", (e) => finish(1, `uncaught: ${e && e.stack || e}`));
socket.connect();
