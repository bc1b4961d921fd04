// Errors the helper rejects with. Every one carries what a test author needs to see why
// wsreplay did not do what was asked, without digging through logs.

/**
 * wsreplay could not be started or stopped: the binary is missing, it refused its arguments
 * (`message` is then its one-line error, e.g. "wsreplay: error: cannot open ..."), it did not
 * print its readiness line in time, or it exited in a way the helper did not expect.
 */
export class WsreplayError extends Error {
  /**
   * @param {string} message
   * @param {{stderr?: string, exitCode?: number|null, signal?: string|null,
   *          args?: string[]}} [details]
   */
  constructor(message, details = {}) {
    super(message);
    this.name = "WsreplayError";
    /** Everything the process wrote to stderr (possibly truncated at the front). */
    this.stderr = details.stderr ?? "";
    /** The process's exit status, or null when it has not exited or a signal ended it. */
    this.exitCode = details.exitCode ?? null;
    /** The signal that ended the process, if any. */
    this.signal = details.signal ?? null;
    /** The command line (binary first). */
    this.args = details.args ?? [];
  }
}

/**
 * A replay started with `strict: true` ended with a report that is not clean (a client frame
 * the cassette does not have, or recorded frames never delivered). `message` is the report as
 * wsreplay prints it; `report` is the parsed JSON report.
 */
export class WsreplayReportError extends Error {
  /**
   * @param {string} text the report's text
   * @param {object} report the parsed JSON report
   */
  constructor(text, report) {
    super(text);
    this.name = "WsreplayReportError";
    this.report = report;
  }
}
