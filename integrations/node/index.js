// wsreplay for Node.js: start `wsreplay replay` or `wsreplay record` around your tests.
//
//   import { replay } from "wsreplay";
//   const r = await replay({ cassette: "tests/thenvoi.cassette", session: "smoke",
//                            speed: "max", strict: true });
//   // point the client at `${r.url}/api/v1/socket`
//   const report = await r.stop(); // throws the report's text under `strict` when not clean
//
// No runtime dependencies: the binary is found via the `bin` option, $WSREPLAY_BIN or PATH.
export { record } from "./src/record.js";
export { replay } from "./src/replay.js";
export { Control } from "./src/control.js";
export { WsreplayError, WsreplayReportError } from "./src/errors.js";
export { resolveBinary } from "./src/binary.js";
