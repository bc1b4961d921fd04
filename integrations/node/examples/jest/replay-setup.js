// Jest's globalSetup runs in its own context: the URL reaches the test workers through the
// environment they inherit.
import { replay } from "wsreplay";

import { cassette } from "../support/recording.js";

export default async function () {
  globalThis.__wsreplay = await replay({ cassette, session: "alice", speed: "max", strict: true });
  process.env.WSREPLAY_URL = globalThis.__wsreplay.url;
}
