// A stand-in for the client under test in the examples: a phoenix.js socket (as Thenvoi's
// TypeScript SDK uses it, with `ws` as its transport) that joins topics and collects pushes.
import { Socket } from "phoenix";
import WebSocket from "ws";

/** Connects to `${wsUrl}/api/v1/socket` with an api_key; resolves once the socket is open. */
export async function connect(wsUrl, apiKey = "sim-user-alice") {
  const socket = new Socket(`${wsUrl}/api/v1/socket`, {
    transport: WebSocket,
    params: { api_key: apiKey },
    reconnectAfterMs: () => 60000, // an example never wants a silent reconnect
  });
  const events = [];
  const waiters = [];
  const wake = () => {
    for (const w of waiters.splice(0)) {
      if (events.length >= w.n) w.resolve(events.slice());
      else waiters.push(w);
    }
  };
  await new Promise((resolve, reject) => {
    socket.onOpen(resolve);
    socket.onError((e) => reject(new Error(`socket error: ${e?.message ?? e}`)));
    socket.connect();
  });
  return {
    /** Joins a topic; resolves with the join reply's status ("ok", "error" or "timeout"). */
    join(topic) {
      const ch = socket.channel(topic, {});
      ch.onMessage = (event, payload) => {
        if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
          events.push({ topic, event });
          wake();
        }
        return payload;
      };
      return new Promise((resolve) => {
        ch.join()
          .receive("ok", () => resolve("ok"))
          .receive("error", () => resolve("error"))
          .receive("timeout", () => resolve("timeout"));
      });
    },
    /** The pushes received so far, as {topic, event}. */
    events,
    /** Resolves with the pushes once at least n arrived. */
    waitForEvents(n) {
      return new Promise((resolve) => {
        waiters.push({ n, resolve });
        wake();
      });
    },
    disconnect() {
      return new Promise((resolve) => socket.disconnect(resolve, 1000, "done"));
    },
  };
}
