// Turning option objects into wsreplay command-line flags, with early, readable errors for
// values of the wrong type (the binary checks the values themselves).

/** A duration flag value: a number is milliseconds, a string is passed as is ("2s", "500ms"). */
export function duration(name, v) {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be >= 0 ms, got ${v}`);
    return `${v}ms`;
  }
  if (typeof v === "string" && v !== "") return v;
  throw new TypeError(`${name} must be a number of milliseconds or a string such as "2s"`);
}

/** A list flag value: a string or an array of strings. */
export function list(name, v) {
  const a = Array.isArray(v) ? v : [v];
  for (const s of a) {
    if (typeof s !== "string") {
      throw new TypeError(`${name} must be a string or an array of strings`);
    }
  }
  return a;
}

/** Adds `flag value` when the value is given (not undefined/null). */
export function pushOpt(argv, flag, value) {
  if (value !== undefined && value !== null) argv.push(flag, String(value));
}

/** Adds `flag value` once per value of a list option. */
export function pushList(argv, flag, name, value) {
  if (value === undefined || value === null) return;
  for (const s of list(name, value)) argv.push(flag, s);
}

/** `ws://h:p` -> `http://h:p`, `wss://` -> `https://`. */
export function httpUrlOf(wsUrl) {
  return wsUrl.replace(/^ws/, "http");
}
