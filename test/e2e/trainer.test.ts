import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlySession, resultsJson, resumeLine, runTune, sleep, startTune, testRng, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';

const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);

const strip = (d: ResultsDoc) => d.trials.map(({ id, status, config, iteration, last, best }) => ({ id, status, config, iteration, last, best }));

function metricsFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of readdirSync(join(dir, 'trials'))) out[id] = readFileSync(join(dir, 'trials', id, 'metrics.jsonl'), 'utf8');
  return out;
}

/** Runs to completion, pausing with SIGINT at random moments and resuming with the printed command. */
async function withPauses(cwd: string, rand: () => number, maxDelay: number): Promise<{ dir: string; pauses: number }> {
  let args = ['spec.yaml'];
  let pauses = 0;
  for (let round = 0; round < 40; round++) {
    const run = startTune(args, cwd);
    while (!/\] (started|resumed) /.test(run.stdoutSoFar()) && run.child.exitCode === null) await sleep(5);
    await sleep(Math.floor(rand() * maxDelay));
    run.child.kill('SIGINT');
    const r = await run.result;
    if (r.code === 0) return { dir: onlySession(cwd, readdirSync(join(cwd, 'sessions'))[0]), pauses };
    assert.equal(r.code, 3, r.stdout + r.stderr);
    pauses++;
    args = resumeLine(r.stdout).split(' ').slice(1);
  }
  throw new Error('did not complete');
}

// Short waits, so both operations fire early in a short run: one growth, then a hyperparameter change.
const SCHEDULES = {
  'mnist-mlp': '- {name: widen_mlp, value: 16, max_wait_iters: 40, reevaluate: true}\n- {name: change_lr, value: 0.5, max_wait_iters: 40}\n',
  'names-gpt': '- {name: stack_layers, value: 1, max_wait_iters: 40, reevaluate: true}\n- {name: widen_mlp, value: 16, max_wait_iters: 40}\n',
};

for (const [builtin, params] of [
  ['mnist-mlp', { hidden: 32, batch_size: 32 }],
  ['names-gpt', { embd: 32, heads: 2, layers: 1, batch_size: 16 }],
] as const) {
  test(`${builtin}: paused and resumed across its growth operations, it ends bit for bit like an uninterrupted run (seed ${SEED})`, async () => {
    const spec = {
      name: builtin,
      trial: { builtin, params, schedule: 'schedule.yaml' },
      search_space: { lr: { type: 'loguniform', low: 1e-3, high: 3e-3 } },
      num_trials: 2,
      max_iters: 100,
      eval_interval: 20,
      concurrency: 1,
      seed: 3,
    };
    const refCwd = tmpDir();
    writeSpec(refCwd, spec);
    writeFileSync(join(refCwd, 'schedule.yaml'), SCHEDULES[builtin]);
    const ref = await runTune(['spec.yaml'], refCwd);
    assert.equal(ref.code, 0, ref.stdout + ref.stderr);
    const refDir = onlySession(refCwd, builtin);
    const refDoc = await resultsJson(refDir, refCwd);
    // The growth operation fired in the reference run (not only hyperparameter ones).
    const log = readFileSync(join(refDir, 'trials', '0000', 'stdout.log'), 'utf8');
    assert.match(log, builtin === 'mnist-mlp' ? /operation at iteration 40: widen_mlp 16/ : /operation at iteration 40: stack_layers 1/);

    const cwd = tmpDir();
    writeSpec(cwd, spec);
    writeFileSync(join(cwd, 'schedule.yaml'), SCHEDULES[builtin]);
    const { dir, pauses } = await withPauses(cwd, testRng(SEED), 500);
    assert.ok(pauses >= 1, 'paused at least once');
    assert.deepStrictEqual(strip(await resultsJson(dir, cwd)), strip(refDoc));
    assert.deepStrictEqual(metricsFiles(dir), metricsFiles(refDir));
  });
}
