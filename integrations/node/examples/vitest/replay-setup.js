// One replay server for the whole vitest run; the tests read its URL with inject().
import { replay } from "wsreplay";

import { cassette } from "../support/recording.js";

let server;

export async function setup({ provide }) {
  server = await replay({ cassette, session: "alice", speed: "max", strict: true });
  provide("wsreplayUrl", server.url);
}

export async function teardown() {
  await server.stop(); // a non-clean report fails the run with the report's text
}
