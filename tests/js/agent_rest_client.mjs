#!/usr/bin/env node
// A Thenvoi agent and a user on one chat, each with the official `phoenix` client (transport
// `ws`) for pushes and Node's own `fetch` for the REST API, both pointed at one base URL (the
// simulator, `wsreplay record` or `wsreplay replay`). Tests read what happened as JSON Lines.
//
//   node agent_rest_client.mjs --base http://HOST:PORT --room ROOM_ID --agent-id ID
//        [--extra METHOD:PATH]... [--timeout-ms N]
//
// 1. The agent (key sim-agent-weather) joins chat_room:ROOM, then the user (sim-user-alice).
// 2. The agent GETs /api/v1/agent/me twice, then once with a wrong key (401).
// 3. The user posts a message that mentions the agent (Human API): REST call -> push.
// 4. On that push the agent marks it processing, replies mentioning the user, marks it
//    processed: push -> REST calls. The user's client then receives the reply as a push.
// 5. Each --extra request is made by the agent after that (e.g. an unrecorded one).
// Lines: {"kind":"http","who","method","path","status","body"},
//        {"kind":"event","who","topic","event","payload"}, {"kind":"done","ok"}.
import { Socket } from "phoenix";
import WebSocket from "ws";

const args = { base: null, room: null, agentId: null, extra: [], timeoutMs: 10000 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  if (a === "--base") { args.base = v; i++; }
  else if (a === "--room") { args.room = v; i++; }
  else if (a === "--agent-id") { args.agentId = v; i++; }
  else if (a === "--extra") { args.extra.push(v); i++; }
  else if (a === "--timeout-ms") { args.timeoutMs = Number(v); i++; }
  else { process.stderr.write(`agent_rest_client: unknown argument ${a}\n`); process.exit(2); }
}
if (!args.base || !args.room || !args.agentId) {
  process.stderr.write("agent_rest_client: --base, --room and --agent-id are required\n");
  process.exit(2);
}
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const wsBase = args.base.replace(/^http/, "ws") + "/api/v1/socket";
const topic = `chat_room:${args.room}`;
const AGENT_KEY = "sim-agent-weather", USER_KEY = "sim-user-alice";

async function call(who, key, method, path, body) {
  const headers = { "X-API-Key": key, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(args.base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  out({ kind: "http", who, method, path, status: r.status, body: text });
  return { status: r.status, text };
}

function connect(who, key, onEvent) {
  return new Promise((resolve, reject) => {
    const socket = new Socket(wsBase, { transport: WebSocket, params: { api_key: key },
                                        heartbeatIntervalMs: 30000, reconnectAfterMs: () => 60000 });
    socket.onError((e) => reject(new Error(`${who}: socket error ${e && e.message}`)));
    socket.connect();
    const ch = socket.channel(topic, {});
    ch.onMessage = (event, payload) => {
      if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
        out({ kind: "event", who, topic, event, payload });
        onEvent(event, payload);
      }
      return payload;
    };
    ch.join().receive("ok", () => resolve(socket))
      .receive("error", (e) => reject(new Error(`${who}: join refused ${JSON.stringify(e)}`)));
  });
}

const timer = setTimeout(() => { out({ kind: "done", ok: false, why: "timeout" }); process.exit(1); },
                         args.timeoutMs);
let replySeen, agentDone;
const userGotReply = new Promise((r) => { replySeen = r; });
const agentAnswered = new Promise((r) => { agentDone = r; });
let answering = false;

try {
  const agent = await connect("agent", AGENT_KEY, async (event, p) => {
    const mentioned = (p.metadata?.mentions ?? []).some((m) => m.id === args.agentId);
    if (event !== "message_created" || !mentioned || p.sender_id === args.agentId || answering) return;
    answering = true;
    const chat = `/api/v1/agent/chats/${args.room}`;
    await call("agent", AGENT_KEY, "POST", `${chat}/messages/${p.id}/processing`);
    await call("agent", AGENT_KEY, "POST", `${chat}/messages`,
               { message: { content: "@Alice Doe sunny, 24°C", mentions: [{ id: p.sender_id }] } });
    await call("agent", AGENT_KEY, "POST", `${chat}/messages/${p.id}/processed`);
    agentDone();
  });
  const user = await connect("user", USER_KEY, (event, p) => {
    if (event === "message_created" && p.sender_id === args.agentId) replySeen();
  });
  await call("agent", AGENT_KEY, "GET", "/api/v1/agent/me");
  await call("agent", AGENT_KEY, "GET", "/api/v1/agent/me");
  await call("agent", "wrong-key", "GET", "/api/v1/agent/me");
  await call("user", USER_KEY, "POST", `/api/v1/me/chats/${args.room}/messages`,
             { message: { content: "@weather-agent forecast?", mentions: [{ id: args.agentId }] } });
  await agentAnswered;
  await userGotReply;
  for (const e of args.extra) {
    const at = e.indexOf(":");
    await call("agent", AGENT_KEY, e.slice(0, at), e.slice(at + 1));
  }
  clearTimeout(timer);
  out({ kind: "done", ok: true });
  agent.disconnect();
  user.disconnect();
  setTimeout(() => process.exit(0), 50);
} catch (e) {
  out({ kind: "done", ok: false, why: String(e && e.message) });
  process.exit(1);
}
