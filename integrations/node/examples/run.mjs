// Runs the README's vitest or jest example as a user's project would, against the binary in
// $WSREPLAY_BIN (CTest: node_example_vitest, node_example_vitest_strict, node_example_jest).
//   node run.mjs vitest|jest [--expect-failure]
// It first records Alice's session of the built-in Thenvoi simulator with the helper's
// record() (a real project commits that cassette), then runs the test runner on it. With
// --expect-failure the example deviates from the recording (WSREPLAY_EXAMPLE_DEVIATE) and the
// run must fail with the strict replay report in its output.
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [runner, flag] = process.argv.slice(2);
const expectFailure = flag === "--expect-failure";
if (runner !== "vitest" && runner !== "jest") {
  console.error("usage: node run.mjs vitest|jest [--expect-failure]");
  process.exit(2);
}
if (!existsSync(path.join(here, "node_modules", runner))) {
  console.error(`run.mjs: ${here}/node_modules lacks the example's packages: run \`npm ci\` there ` +
                "(./dev test does)");
  process.exit(1);
}
const { record } = await import("wsreplay");
const { connect } = await import("./support/agent.js");

const bin = process.env.WSREPLAY_BIN ?? "wsreplay";
const topics = [
  "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a",
  "tasks:0b8e5a92-61d4-4c3e-8f7a-9e2c1d4b6a58",
];

/** Starts `wsreplay sim`; resolves with {url, stop}. */
function startSim() {
  const sim = spawn(bin, ["sim", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    sim.on("error", reject);
    sim.on("exit", (code) => reject(new Error(`wsreplay sim exited with ${code}`)));
    sim.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/ws:\/\/127\.0\.0\.1:\d+/);
      if (m) resolve({ url: m[0], stop: () => sim.kill("SIGTERM") });
    });
  });
}

/** The simulator's pushes on `topics`, in order (its default scenario). */
function scenarioEvents() {
  const text = execFileSync(bin, ["sim", "--print-default-scenario"], { encoding: "utf8" });
  return text
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"))
    .map((l) => JSON.parse(l))
    .sort((a, b) => a.at_ms - b.at_ms)
    .filter((p) => topics.includes(p.topic))
    .map((p) => ({ topic: p.topic, event: p.event }));
}

const dir = await mkdtemp(path.join(tmpdir(), "wsreplay-example-"));
let status = 1;
try {
  const cassette = path.join(dir, "thenvoi.cassette");
  const sim = await startSim();
  const expected = scenarioEvents();
  try {
    const rec = await record({ bin, upstream: sim.url, cassette, session: "alice" });
    const client = await connect(rec.url);
    await Promise.all(topics.map((t) => client.join(t)));
    await client.waitForEvents(expected.length);
    await client.disconnect();
    await rec.stop();
  } finally {
    sim.stop();
  }

  const env = {
    ...process.env,
    WSREPLAY_BIN: bin,
    WSREPLAY_CASSETTE: cassette,
    WSREPLAY_EXPECTED: JSON.stringify({ topics, events: expected }),
    CI: "true", // no watch mode, no interactive reporter
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  if (expectFailure) env.WSREPLAY_EXAMPLE_DEVIATE = "1";
  const cmd = runner === "vitest"
    ? [path.join(here, "node_modules/vitest/vitest.mjs"), "run", "--root", path.join(here, "vitest")]
    : [path.join(here, "node_modules/jest/bin/jest.js"), "--config", path.join(here, "jest/jest.config.js"), "--ci"];
  if (runner === "jest") env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --experimental-vm-modules`;
  const child = spawn(process.execPath, cmd, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; process.stdout.write(d); });
  child.stderr.on("data", (d) => { output += d; process.stderr.write(d); });
  const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c)));
  if (!expectFailure) {
    status = code === 0 ? 0 : 1;
  } else if (code === 0) {
    console.error("run.mjs: the deviating run passed; strict should have failed it");
  } else if (!/replay report/.test(output) || !/NOT clean/.test(output)) {
    console.error("run.mjs: the run failed, but its output lacks the strict replay report");
  } else {
    console.log("run.mjs: the deviating run failed with the replay report, as it should");
    status = 0;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(status);
