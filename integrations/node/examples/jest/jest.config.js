// jest.config.js: one replay for the whole run, as in ../../README.md. The tests are ESM
// (run with NODE_OPTIONS=--experimental-vm-modules) and need no transform.
export default {
  globalSetup: "./replay-setup.js",
  globalTeardown: "./replay-teardown.js",
  testMatch: ["**/*.test.js"],
  transform: {},
  testTimeout: 20000,
};
