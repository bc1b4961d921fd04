// The shared replay (globalSetup) serves the recorded session to the client.
import { connect } from "../support/agent.js";
import { events as recorded, topics } from "../support/recording.js";

test("the client receives the recorded pushes in order", async () => {
  const client = await connect(process.env.WSREPLAY_URL);
  const joins = await Promise.all(topics.map((t) => client.join(t)));
  expect(joins).toEqual(topics.map(() => "ok"));
  const events = await client.waitForEvents(recorded.length);
  expect(events).toEqual(recorded);
  await client.disconnect();
});
