// What the examples replay: `run.mjs` records a session of the built-in Thenvoi simulator
// before the test runner starts and passes it on in the environment (a real project commits
// its cassette instead).
//   WSREPLAY_CASSETTE  the cassette file
//   WSREPLAY_EXPECTED  JSON: {topics: [...], events: [{topic, event}, ...]} as recorded
export const cassette = process.env.WSREPLAY_CASSETTE;
export const { topics, events } = JSON.parse(process.env.WSREPLAY_EXPECTED ?? '{"topics":[],"events":[]}');
