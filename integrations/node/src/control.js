// A client of the replay server's control endpoint (plain HTTP on the replay port, under
// /__wsreplay/; JSON answers). See replay/README.md, "Control endpoint".
import http from "node:http";

import { WsreplayError } from "./errors.js";

/**
 * One request; resolves with the parsed JSON answer, rejects with the server's answer on a
 * non-2xx status. A fresh connection per request (no keep-alive), so nothing lingers after
 * the server stops.
 */
function request(httpUrl, method, pathAndQuery) {
  const url = new URL(`/__wsreplay/${pathAndQuery}`, httpUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      res.setEncoding("utf8");
      let body = "";
      res.on("data", (s) => (body += s));
      res.on("end", () => {
        if (res.statusCode < 200 || res.statusCode > 299) {
          reject(new WsreplayError(
            `wsreplay control ${method} ${url.pathname}${url.search}: HTTP ${res.statusCode}: ` +
              body.trim()));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new WsreplayError(
            `wsreplay control ${method} ${url.pathname}: answer is not JSON: ${e.message}`));
        }
      });
      res.on("error", reject);
    });
    req.on("error", (e) =>
      reject(new WsreplayError(`wsreplay control ${method} ${url.pathname}: ${e.message}`)));
    req.end();
  });
}

/** The control API of one running replay. Methods may be called concurrently. */
export class Control {
  /** @param {string} httpUrl e.g. http://127.0.0.1:41873 */
  constructor(httpUrl) {
    this.httpUrl = httpUrl;
  }

  /** Releases the next pending frame: resolves with `{ok, stepped, status}`. */
  step() {
    return request(this.httpUrl, "POST", "step");
  }

  /**
   * Moves the manual clock by `ms`, an integer (on a real clock, skips recorded time ahead):
   * `{ok, advanced_ms, status}`.
   */
  advance(ms) {
    if (!Number.isInteger(ms) || ms < 0) {
      return Promise.reject(new TypeError(`advance(ms): ms must be an integer >= 0, got ${ms}`));
    }
    return request(this.httpUrl, "POST", `advance?ms=${ms}`);
  }

  /** Freezes recorded time: `{ok, paused: true}`. */
  pause() {
    return request(this.httpUrl, "POST", "pause");
  }

  /** Unfreezes recorded time: `{ok, paused: false}`. */
  resume() {
    return request(this.httpUrl, "POST", "resume");
  }

  /** Changes the speed live, a number (1 = recorded gaps) or "max": `{ok, speed}`. */
  speed(x) {
    return request(this.httpUrl, "POST", `speed?x=${encodeURIComponent(String(x))}`);
  }

  /** The status: clock, open and closed connections, pending frames and what they wait for. */
  status() {
    return request(this.httpUrl, "GET", "status");
  }

  /** The report so far (the same JSON `stop()` returns at the end). */
  report() {
    return request(this.httpUrl, "GET", "report");
  }
}
