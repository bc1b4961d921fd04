// replay(): `wsreplay replay` on a free loopback port, for one test or a whole test run.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { duration, httpUrlOf, list, pushList, pushOpt } from "./args.js";
import { resolveBinary } from "./binary.js";
import { Control } from "./control.js";
import { WsreplayError, WsreplayReportError } from "./errors.js";
import { lastLine, ServerProcess } from "./server_process.js";

/** The text report wsreplay printed on stderr when it stopped (from its first line to the end). */
function reportText(stderr) {
  const at = stderr.lastIndexOf("replay report: ");
  return at < 0 ? null : stderr.slice(at).trimEnd();
}

function speedArg(speed) {
  if (speed === undefined || speed === null) return undefined;
  if (speed === "max" || speed === Infinity) return "max";
  if (typeof speed === "number" && Number.isFinite(speed) && speed > 0) return String(speed);
  throw new TypeError(`speed must be a number > 0 or "max", got ${String(speed)}`);
}

/** The `wsreplay replay` command line for the options (without the binary). */
export function replayArgs(options, reportFile) {
  const o = options;
  if (typeof o.cassette !== "string" || o.cassette === "") {
    throw new TypeError("replay(): the `cassette` option (a file path) is required");
  }
  if (o.clock !== undefined && o.clock !== "real" && o.clock !== "manual") {
    throw new TypeError(`clock must be "real" or "manual", got ${String(o.clock)}`);
  }
  const argv = ["replay", "--cassette", o.cassette, "--listen", o.listen ?? "127.0.0.1:0"];
  pushOpt(argv, "--session", o.session);
  pushOpt(argv, "--speed", speedArg(o.speed));
  pushOpt(argv, "--clock", o.clock);
  if (o.maxGap !== undefined) argv.push("--max-gap", duration("maxGap", o.maxGap));
  if (o.joinTimeout !== undefined) {
    argv.push("--join-timeout", duration("joinTimeout", o.joinTimeout));
  }
  pushOpt(argv, "--on-mismatch", o.onMismatch);
  pushOpt(argv, "--order", o.order);
  pushOpt(argv, "--protocol", o.protocol);
  pushList(argv, "--ignore-json", "ignoreJson", o.ignoreJson);
  pushList(argv, "--fault", "fault", o.fault);
  if (o.strict) argv.push("--strict");
  argv.push("--report-json", reportFile);
  if (o.args !== undefined) argv.push(...list("args", o.args));
  return argv;
}

/**
 * Starts a replay; resolves once it accepts connections. See index.d.ts for the options and
 * the returned handle.
 */
export async function replay(options = {}) {
  const env = options.env ?? process.env;
  const bin = resolveBinary(options.bin, env);
  const dir = await mkdtemp(path.join(tmpdir(), "wsreplay-node-"));
  const reportFile = path.join(dir, "report.json");
  let proc;
  try {
    proc = new ServerProcess(bin, replayArgs(options, reportFile), { env });
    await proc.ready(options.startupTimeoutMs ?? 10000);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const url = proc.url;
  const httpUrl = httpUrlOf(url);

  async function finish() {
    let exit;
    try {
      exit = await proc.stop(options.stopTimeoutMs ?? 10000);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    let json;
    try {
      json = await readFile(reportFile, "utf8");
    } catch {
      json = null;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const details = { stderr: proc.stderr, exitCode: exit.code, signal: exit.signal,
                      args: [bin, ...proc.args] };
    const status = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
    if (json === null) {
      throw new WsreplayError(
        `wsreplay replay exited with ${status} without writing its report: ` +
          (lastLine(proc.stderr) || "(no stderr)"), details);
    }
    const report = JSON.parse(json);
    if (exit.code !== 0 && exit.code !== 3) {
      throw new WsreplayError(
        `wsreplay replay exited with ${status}: ${lastLine(proc.stderr) || "(no stderr)"}`,
        details);
    }
    if (options.strict && !report.clean) {
      throw new WsreplayReportError(reportText(proc.stderr) ?? JSON.stringify(report, null, 2),
                                    report);
    }
    return report;
  }

  let stopping = null;
  return {
    url,
    httpUrl,
    control: new Control(httpUrl),
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
