// Per test: a fresh replay on the manual clock; the test releases one push at a time.
import { afterEach, beforeEach, expect, test } from "vitest";
import { replay } from "wsreplay";

import { connect } from "../support/agent.js";
import { cassette, events as recorded, topics } from "../support/recording.js";

let r;
beforeEach(async () => {
  r = await replay({ cassette, session: "alice", clock: "manual", strict: true });
});
afterEach(async () => {
  await r.stop(); // throws (fails the test) when the client deviated from the recording
});

test("step() releases exactly one push", async () => {
  const client = await connect(r.url);
  await Promise.all(topics.map((t) => client.join(t)));
  await r.control.step();
  expect(await client.waitForEvents(1)).toEqual(recorded.slice(0, 1));
  await r.control.step();
  expect(await client.waitForEvents(2)).toEqual(recorded.slice(0, 2));
  expect(client.events).toHaveLength(2);
  // The rest: an hour of the session's time, so the strict report finds nothing undelivered.
  await r.control.advance(3600000);
  expect(await client.waitForEvents(recorded.length)).toEqual(recorded);
  await client.disconnect();
});
