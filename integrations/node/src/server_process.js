// One running `wsreplay <command> --listen 127.0.0.1:0 ...` process: started, awaited until it
// prints its readiness line, stopped with SIGTERM and awaited until it exits.
//
// wsreplay prints exactly one line on stdout once it accepts connections,
// `listening on ws://HOST:PORT` (wss:// with TLS); logs, errors and the replay report go to
// stderr. A start-up failure is one line on stderr (`wsreplay: error: ...` or
// `wsreplay: <flag problem> (see ...)`) and a non-zero exit before that readiness line.
import { spawn } from "node:child_process";

import { WsreplayError } from "./errors.js";

const READY_RE = /^listening on (wss?:\/\/\S+)\s*$/;
const STDERR_LIMIT = 4 << 20; // keep at most the last 4 MiB of stderr

// Processes still running, killed if the test process exits without stopping them (a failed
// test that never reached its cleanup must not leave a server behind).
const live = new Set();
let exitHookInstalled = false;
function track(child) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  child.once("close", () => live.delete(child));
}

/** The last non-empty line of a text, or "". */
export function lastLine(text) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1] : "";
}

export class ServerProcess {
  /**
   * Spawns the binary; call `ready()` next.
   * @param {string} bin
   * @param {string[]} args
   * @param {{env?: NodeJS.ProcessEnv, cwd?: string}} [opts]
   */
  constructor(bin, args, opts = {}) {
    this.bin = bin;
    this.args = args;
    this.url = null;
    this._stderr = "";
    this._stdoutRest = "";
    this._onReady = null;
    this.child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    this._spawnError = null;
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        // The binary could not be executed at all: no 'close' may follow.
        this._spawnError = err;
        resolve({ code: null, signal: null });
      });
      this.child.once("close", (code, signal) => resolve({ code, signal }));
    });
    this._done = false;
    this.exited.then(() => {
      this._done = true;
    });
    if (this.child.pid !== undefined) track(this.child);
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (s) => {
      this._stderr += s;
      if (this._stderr.length > STDERR_LIMIT) this._stderr = this._stderr.slice(-STDERR_LIMIT);
    });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (s) => this._onStdout(s));
  }

  /** Everything the process wrote to stderr so far (the last 4 MiB). */
  get stderr() {
    return this._stderr;
  }

  /** The process id (undefined when it could not be spawned). */
  get pid() {
    return this.child.pid;
  }

  _onStdout(chunk) {
    const lines = (this._stdoutRest + chunk).split("\n");
    this._stdoutRest = lines.pop();
    for (const line of lines) {
      const m = READY_RE.exec(line);
      if (m && this.url === null) {
        this.url = m[1];
        if (this._onReady) this._onReady(this.url);
      }
    }
  }

  _details(exit = {}) {
    return {
      stderr: this._stderr,
      exitCode: exit.code ?? null,
      signal: exit.signal ?? null,
      args: [this.bin, ...this.args],
    };
  }

  /**
   * Resolves with the URL of the readiness line. Rejects when the process cannot be spawned,
   * exits first (with its one-line error), or prints nothing within `timeoutMs` (the process is
   * then killed; the error includes its stderr).
   * @param {number} timeoutMs
   * @returns {Promise<string>}
   */
  async ready(timeoutMs) {
    if (this.url !== null) return this.url;
    let timer;
    const readyLine = new Promise((resolve) => {
      this._onReady = resolve;
    });
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([readyLine, this.exited.then(() => "exited"), timeout]);
    clearTimeout(timer);
    this._onReady = null;
    if (outcome === "timeout") {
      this.child.kill("SIGKILL");
      const exit = await this.exited;
      throw new WsreplayError(
        `${this._what()} printed no readiness line ('listening on ws://...') within ` +
          `${timeoutMs} ms and was killed; its stderr:\n${this._stderr.trimEnd() || "(empty)"}`,
        this._details(exit));
    }
    if (outcome === "exited") {
      const exit = await this.exited;
      if (this._spawnError) {
        throw new WsreplayError(
          `cannot run the wsreplay binary '${this.bin}': ${this._spawnError.message}`,
          this._details(exit));
      }
      const line = lastLine(this._stderr);
      const status = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
      throw new WsreplayError(
        line || `${this._what()} exited with ${status} before it was ready (no stderr)`,
        this._details(exit));
    }
    return outcome;
  }

  /**
   * Sends SIGTERM (unless the process already exited) and waits for the exit. After
   * `timeoutMs` it is killed with SIGKILL and the promise rejects.
   * @param {number} timeoutMs
   * @returns {Promise<{code: number|null, signal: string|null}>}
   */
  async stop(timeoutMs) {
    if (!this._done) this.child.kill("SIGTERM");
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (exit === null) {
      this.child.kill("SIGKILL");
      const killed = await this.exited;
      throw new WsreplayError(
        `${this._what()} did not exit within ${timeoutMs} ms of SIGTERM and was killed; ` +
          `its stderr:\n${this._stderr.trimEnd() || "(empty)"}`,
        this._details(killed));
    }
    return exit;
  }

  _what() {
    return `wsreplay ${this.args[0] ?? ""}`.trimEnd();
  }
}
