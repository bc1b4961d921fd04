// vitest.config.js: one replay for the whole run (globalSetup), as in ../../README.md.
import { tmpdir } from "node:os";
import path from "node:path";

import { defineConfig } from "vitest/config";

export default defineConfig({
  // Keeps vitest's result cache out of the source tree (CTest runs this from a checkout).
  cacheDir: path.join(tmpdir(), "wsreplay-example-vitest-cache"),
  test: {
    globalSetup: ["./replay-setup.js"],
    include: ["*.test.js"],
    testTimeout: 20000,
    hookTimeout: 20000,
  },
});
