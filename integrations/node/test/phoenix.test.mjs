// The helper end to end: record() between phoenix.js and `wsreplay sim`, then replay() of that
// recording to phoenix.js (the official client, as Thenvoi's TypeScript SDK uses it).
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { record, replay, WsreplayError, WsreplayReportError } from "../index.js";
import {
  PhoenixClient,
  recordAliceSession,
  ROOM_TOPIC,
  TASKS_TOPIC,
  tempDir,
} from "./support/fixtures.mjs";

const UNRECORDED_TOPIC = "chat_room:a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d";

describe("record() and replay() with phoenix.js", () => {
  // One recording for the whole suite; cleanups registered like a test context's.
  const cleanups = [];
  const suite = { after: (fn) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  let cassette;
  let recorded;
  before(async () => {
    cassette = path.join(await tempDir(suite), "thenvoi.cassette");
    recorded = await recordAliceSession(suite, { record }, cassette, "alice");
  });

  test("record() captures the session phoenix.js had with the simulator", () => {
    assert.deepEqual(recorded.joins.map((j) => j.status), ["ok", "ok"]);
    assert.ok(recorded.expected.length >= 4, "the scenario pushes on both topics");
    assert.deepEqual(recorded.events, recorded.expected);
    assert.equal(recorded.result.session, "alice");
    assert.equal(recorded.result.cassette, cassette);
    assert.ok(recorded.result.frames > recorded.expected.length,
              `frames: ${recorded.result.frames}`);
  });

  test("record() refuses a session name the cassette already has", async () => {
    await assert.rejects(record({ upstream: "ws://127.0.0.1:1", cassette, session: "alice" }), (e) => {
      assert.ok(e instanceof WsreplayError);
      assert.equal(e.message, `wsreplay: error: session 'alice' already exists in ${cassette}: ` +
                                "choose another --session name");
      return true;
    });
  });

  test("replay() serves the recording to phoenix.js; stop() gives a clean report", async (t) => {
    const r = await replay({ cassette, session: "alice", speed: "max", strict: true });
    t.after(() => r.stop().catch(() => {}));
    assert.match(r.url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(r.httpUrl, r.url.replace("ws://", "http://"));

    const client = new PhoenixClient(r.url);
    await client.opened;
    // Joined in the opposite order to the recording: the replay still delivers in recorded order.
    const joins = await Promise.all([client.join(TASKS_TOPIC), client.join(ROOM_TOPIC)]);
    assert.deepEqual(joins.map((j) => j.status), ["ok", "ok"]);
    const events = await client.waitForEvents(recorded.expected.length);
    assert.deepEqual(events.map(({ topic, event }) => ({ topic, event })), recorded.events);
    await client.disconnect();

    const report = await r.stop();
    assert.equal(report.clean, true);
    assert.equal(report.session, "alice");
    assert.equal(report.mismatches, 0);
    assert.equal(report.undelivered, 0);
    assert.equal(report.connections.length, 1);
    assert.equal(report.connections[0].mode, "phoenix");
    assert.equal(report.connections[0].delivered, recorded.expected.length + 2); // + 2 join replies
    assert.strictEqual(await r.stop(), report, "stop() again returns the same report");
  });

  test("strict: a join the cassette lacks makes stop() reject with the report", async (t) => {
    const r = await replay({ cassette, session: "alice", speed: "max", strict: true });
    t.after(() => r.stop().catch(() => {}));
    const client = new PhoenixClient(r.url);
    await client.opened;
    const join = await client.join(UNRECORDED_TOPIC);
    assert.equal(join.status, "error");
    assert.match(join.response.reason, /not in cassette/);
    await client.disconnect();

    await assert.rejects(r.stop(), (e) => {
      assert.ok(e instanceof WsreplayReportError, `${e}`);
      assert.match(e.message, /^replay report: session 'alice'/);
      assert.match(e.message, /mismatch at .*\n.*topic '.*' is not in the cassette/);
      assert.match(e.message, /-> NOT clean$/);
      assert.equal(e.report.clean, false);
      assert.equal(e.report.mismatches, 1);
      assert.equal(e.report.undelivered, recorded.expected.length); // every push
      return true;
    });
  });

  test("without strict, stop() resolves with the report even when it is not clean", async (t) => {
    const r = await replay({ cassette, session: "alice", speed: "max" });
    t.after(() => r.stop().catch(() => {}));
    const client = new PhoenixClient(r.url);
    await client.opened;
    assert.equal((await client.join(ROOM_TOPIC)).status, "ok");
    await client.disconnect();
    const report = await r.stop();
    assert.equal(report.clean, false);
    assert.equal(report.mismatches, 0);
    assert.ok(report.undelivered > 0);
  });

  test("fault: a restart close mid-session; phoenix.js reconnects and loses nothing", async (t) => {
    // Before the 4th server frame of the connection, whatever it is (at --speed max the pushes
    // of the first topic can overtake the second join's reply): Thenvoi's deploy close.
    const r = await replay({ cassette, session: "alice", speed: "max", strict: true,
                             fault: ["close:1012:Service Restart@frame:4"] });
    t.after(() => r.stop().catch(() => {}));
    const client = new PhoenixClient(r.url, undefined, { reconnectAfterMs: 50 });
    await client.opened;
    await Promise.all([client.join(ROOM_TOPIC), client.join(TASKS_TOPIC)]);
    // The default --after-fault resume: the rejoined channels get the rest, in recorded order.
    const events = await client.waitForEvents(recorded.expected.length);
    assert.deepEqual(client.closes.map((c) => c.code), [1012]);
    assert.equal(client.closes[0].reason, "Service Restart");
    assert.deepEqual(events.map(({ topic, event }) => ({ topic, event })), recorded.events);
    await client.disconnect();

    const report = await r.stop();
    assert.equal(report.clean, true, JSON.stringify(report));
    assert.equal(report.faults.length, 1);
    const [hit] = report.faults;
    assert.equal(hit.spec, "close:1012:Service Restart@frame:4");
    assert.equal(hit.connection, 1);
    assert.equal(hit.breakpoint, false);
    assert.equal(typeof hit.reconnect_after_ms, "number");
    assert.deepEqual([...hit.rejoined].sort(), [ROOM_TOPIC, TASKS_TOPIC].sort());
    // What the client received after the close is what the report says was delivered after it.
    assert.equal(hit.frames_after, recorded.expected.length - client.closes[0].after);
    assert.equal(report.connections[0].delivered, 3, "the close came before the 4th frame");
    assert.equal(hit.next_connection, 2);
    assert.equal(report.connections[1].resumes, 1, "connection 2 resumed connection 1");
  });

  test("fault: a bad spec rejects replay() with the binary's one-line error", async () => {
    await assert.rejects(replay({ cassette, session: "alice", fault: ["explode@frame:1"] }), (e) => {
      assert.ok(e instanceof WsreplayError, `${e}`);
      assert.match(e.message, /explode/);
      return true;
    });
  });

  test("manual clock: step() and advance() release frames, pause() freezes time", async (t) => {
    const r = await replay({ cassette, session: "alice", clock: "manual", strict: true });
    t.after(() => r.stop().catch(() => {}));
    const client = new PhoenixClient(r.url);
    await client.opened;
    await Promise.all([client.join(ROOM_TOPIC), client.join(TASKS_TOPIC)]);

    let status = await r.control.status();
    assert.equal(status.clock.kind, "manual");
    assert.equal(client.events.length, 0, "time stands still: no push yet");

    const first = await r.control.step();
    assert.equal(first.stepped, true);
    await client.waitForEvents(1);
    const { topic, event } = client.events[0];
    assert.deepEqual({ topic, event }, recorded.events[0]);
    assert.equal((await r.control.step()).stepped, true);
    await client.waitForEvents(2);

    assert.equal((await r.control.pause()).paused, true);
    assert.equal((await r.control.status()).clock.paused, true);
    assert.equal((await r.control.resume()).paused, false);
    assert.equal((await r.control.status()).clock.paused, false);

    // An hour of recorded time: everything is due.
    assert.equal((await r.control.advance(60 * 60 * 1000)).advanced_ms, 3600000);
    const events = await client.waitForEvents(recorded.expected.length);
    assert.deepEqual(events.map(({ topic, event }) => ({ topic, event })), recorded.events);
    assert.equal((await r.control.report()).undelivered, 0);
    await client.disconnect();
    assert.equal((await r.stop()).clean, true);
  });
});
