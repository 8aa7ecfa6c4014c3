import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from '../chaos/chaos.js';

// The short version of `npm run chaos` (test/chaos): a few rounds of kill -9 (tune, a trial, both), one
// full disk and one hung trial, at concurrency 3 and at concurrency 1 (equal to an uninterrupted run).
const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);

// The two runs wait mostly on their random pauses between kills: they run side by side.
describe('chaos', { concurrency: true }, () => {
  for (const concurrency of [3, 1]) {
    test(`chaos at concurrency ${concurrency}: every session completes, each result and operation once (seed ${SEED})`, async () => {
      const r = await runChaos({ kills: concurrency === 3 ? 5 : 3, diskRounds: concurrency === 3 ? 1 : 0, hangRounds: concurrency === 3 ? 1 : 0, concurrency, seed: SEED });
      assert.deepEqual(r.problems, []);
      assert.ok(r.sessionsCompleted >= 1 && r.trialsChecked >= 6);
    });
  }
});
