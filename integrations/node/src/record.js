// record(): `wsreplay record` on a free loopback port, relaying to an upstream and writing a
// session into a cassette.
import { httpUrlOf, list, pushList, pushOpt } from "./args.js";
import { resolveBinary } from "./binary.js";
import { WsreplayError } from "./errors.js";
import { lastLine, ServerProcess } from "./server_process.js";

/** The `wsreplay record` command line for the options (without the binary). */
export function recordArgs(options) {
  const o = options;
  if (typeof o.upstream !== "string" || o.upstream === "") {
    throw new TypeError("record(): the `upstream` option (ws:// or wss:// URL) is required");
  }
  if (typeof o.cassette !== "string" || o.cassette === "") {
    throw new TypeError("record(): the `cassette` option (a file path) is required");
  }
  const argv = ["record", "--upstream", o.upstream, "--cassette", o.cassette,
                "--listen", o.listen ?? "127.0.0.1:0"];
  pushOpt(argv, "--session", o.session);
  pushList(argv, "--redact-param", "redactParams", o.redactParams);
  pushList(argv, "--redact-header", "redactHeaders", o.redactHeaders);
  pushList(argv, "--redact-json", "redactJson", o.redactJson);
  pushOpt(argv, "--upstream-ca", o.upstreamCa);
  if (o.insecure) argv.push("--insecure");
  if (o.args !== undefined) argv.push(...list("args", o.args));
  return argv;
}

/**
 * Starts a recording proxy; resolves once it accepts connections. See index.d.ts for the
 * options and the returned handle.
 */
export async function record(options = {}) {
  const env = options.env ?? process.env;
  const bin = resolveBinary(options.bin, env);
  const proc = new ServerProcess(bin, recordArgs(options), { env });
  await proc.ready(options.startupTimeoutMs ?? 10000);
  const url = proc.url;

  async function finish() {
    const exit = await proc.stop(options.stopTimeoutMs ?? 10000);
    if (exit.code !== 0) {
      const status = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
      throw new WsreplayError(
        `wsreplay record exited with ${status}: ${lastLine(proc.stderr) || "(no stderr)"}`,
        { stderr: proc.stderr, exitCode: exit.code, signal: exit.signal,
          args: [bin, ...proc.args] });
    }
    const stopped = /stopped: (\d+) frame\(s\) recorded in session '(.*)'/.exec(proc.stderr);
    return {
      cassette: options.cassette,
      session: stopped ? stopped[2] : (options.session ?? null),
      frames: stopped ? Number(stopped[1]) : null,
    };
  }

  let stopping = null;
  return {
    url,
    httpUrl: httpUrlOf(url),
    pid: proc.pid,
    get stderr() {
      return proc.stderr;
    },
    stop() {
      stopping ??= finish();
      return stopping;
    },
  };
}
