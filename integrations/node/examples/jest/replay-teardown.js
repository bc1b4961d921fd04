// Stops the replay; under strict a non-clean report rejects, and jest fails the run with it.
export default async function () {
  await globalThis.__wsreplay.stop();
}
