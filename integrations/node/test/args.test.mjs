// The command lines the helper builds from its options (no process is started).
import assert from "node:assert/strict";
import { test } from "node:test";

import { recordArgs } from "../src/record.js";
import { replayArgs } from "../src/replay.js";

test("replay options become wsreplay replay flags; fault specs pass through in order", () => {
  const argv = replayArgs({ cassette: "c.db", session: "s", speed: "max", strict: true,
                            clock: "manual", maxGap: 250, joinTimeout: "2s",
                            fault: ["drop:3", "close:1012@5"], ignoreJson: ["/id"] },
                          "/tmp/r.json");
  assert.deepEqual(argv, [
    "replay", "--cassette", "c.db", "--listen", "127.0.0.1:0", "--session", "s",
    "--speed", "max", "--clock", "manual", "--max-gap", "250ms", "--join-timeout", "2s",
    "--ignore-json", "/id", "--fault", "drop:3", "--fault", "close:1012@5", "--strict",
    "--report-json", "/tmp/r.json",
  ]);
  assert.deepEqual(replayArgs({ cassette: "c.db", speed: 10 }, "r").slice(5, 7), ["--speed", "10"]);
});

test("replay options of the wrong type are refused before anything starts", () => {
  assert.throws(() => replayArgs({}, "r"), /`cassette` option .* is required/);
  assert.throws(() => replayArgs({ cassette: "c", speed: 0 }, "r"),
                /speed must be a number > 0 or "max"/);
  assert.throws(() => replayArgs({ cassette: "c", clock: "fake" }, "r"),
                /clock must be "real" or "manual"/);
  assert.throws(() => replayArgs({ cassette: "c", fault: [1] }, "r"),
                /fault must be a string or an array of strings/);
});

test("record options become wsreplay record flags", () => {
  assert.deepEqual(
    recordArgs({ upstream: "wss://app.thenvoi.com", cassette: "c.db", session: "s",
                 redactParams: ["agent_id"], insecure: true }),
    ["record", "--upstream", "wss://app.thenvoi.com", "--cassette", "c.db", "--listen",
     "127.0.0.1:0", "--session", "s", "--redact-param", "agent_id", "--insecure"]);
  assert.throws(() => recordArgs({ cassette: "c" }), /`upstream` option .* is required/);
});
