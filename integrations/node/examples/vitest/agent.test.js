// Per run: the shared replay (globalSetup) serves the recorded session to the client.
import { expect, inject, test } from "vitest";

import { connect } from "../support/agent.js";
import { events as recorded, topics } from "../support/recording.js";

test("the client receives the recorded pushes in order", async () => {
  const client = await connect(inject("wsreplayUrl"));
  const joins = await Promise.all(topics.map((t) => client.join(t)));
  expect(joins).toEqual(topics.map(() => "ok"));
  if (process.env.WSREPLAY_EXAMPLE_DEVIATE) {
    // What a regression looks like: the client joins a topic the recording never had. The
    // replay answers the join with an error and the strict teardown fails the run.
    await client.join("chat_room:00000000-0000-4000-8000-000000000000");
  }
  const events = await client.waitForEvents(recorded.length);
  expect(events).toEqual(recorded);
  await client.disconnect();
});
