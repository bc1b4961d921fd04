// Finding the wsreplay binary: the `bin` option, else $WSREPLAY_BIN, else `wsreplay` on $PATH.
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

import { WsreplayError } from "./errors.js";

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the path of the wsreplay binary to run.
 * @param {string|undefined} bin the `bin` option
 * @param {NodeJS.ProcessEnv} env where WSREPLAY_BIN and PATH are read
 * @returns {string}
 * @throws {WsreplayError} when no executable is found, naming where it looked
 */
export function resolveBinary(bin, env = process.env) {
  let explicit = null;
  if (bin) explicit = ["the `bin` option", bin];
  else if (env.WSREPLAY_BIN) explicit = ["WSREPLAY_BIN", env.WSREPLAY_BIN];
  if (explicit) {
    const [where, file] = explicit;
    if (isExecutableFile(file)) return file;
    throw new WsreplayError(
      `wsreplay binary not found: ${where} is '${file}', which is not an executable file`);
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, "wsreplay");
    if (isExecutableFile(file)) return file;
  }
  throw new WsreplayError(
    "wsreplay binary not found: pass the `bin` option, set WSREPLAY_BIN, or put `wsreplay` on " +
      "PATH (build it with `cmake --build build --target wsreplay`)");
}
