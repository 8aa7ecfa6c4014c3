/**
 * What the built-in trials declare, seen from outside: a metric's declared direction is the session's
 * mode, `tune train --set` takes a run's length as the spec field it is, and the start line of
 * `tune train` says what it trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onlySession, resultsJson, runTune, tmpDir, writeSpec } from '../helpers/tune.js';

test('metric val_acc with no mode ranks trials by the highest accuracy, as spirals-mlp declares', async () => {
  const cwd = tmpDir();
  writeSpec(cwd, {
    name: 'by-accuracy',
    trial: { builtin: 'spirals-mlp', params: { hidden: 8, batch_size: 16 } },
    // Learning rates far apart, so the trials end with different accuracies.
    search_space: { lr: { type: 'grid', values: [0.003, 0.3] } },
    searcher: 'grid',
    metric: 'val_acc',
    max_iters: 100,
    eval_interval: 50,
    seed: 2,
  });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^tune: experiment by-accuracy, 2 trials, 2 at a time, val_acc max$/m);
  const doc = await resultsJson(onlySession(cwd, 'by-accuracy'), cwd);
  assert.equal(doc.mode, 'max');
  const best = Math.max(...doc.trials.map((t) => t.best!));
  assert.ok(doc.trials.some((t) => t.best !== best), `the trials differ: ${doc.trials.map((t) => t.best).join(', ')}`);
  assert.equal(doc.best?.value, best, 'the best trial is the most accurate one');
});

test('tune train: --set max_iters sets the run\'s length, and the start line says what is trained', async () => {
  const cwd = tmpDir();
  writeSpec(cwd, 'name: short\ntrial: {builtin: spirals-mlp, params: {hidden: 8, lr: 0.05}}\nmax_iters: 5000\neval_interval: 20\n');
  const r = await runTune(['train', 'spec.yaml', '--set', 'max_iters=40', '--set', 'batch_size=16'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'tune: training spirals-mlp (hidden 8, layers 1, lr 0.05, momentum 0.9, batch 16) for 40 iterations, evaluated every 20');
  const doc = await resultsJson(onlySession(cwd, 'short'), cwd);
  assert.deepEqual(doc.trials.map((t) => [t.status, t.iteration]), [['completed', 40]]);
});

test('tune train with no spec names mnist-mlp and the defaults it trains with', async () => {
  const cwd = tmpDir();
  const r = await runTune(['train', '--set', 'max_iters=10'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'tune: training mnist-mlp (hidden 256, depth 1, lr 0.001, adamw, batch 64) for 10 iterations, evaluated every 10');
  const doc = await resultsJson(onlySession(cwd, 'train'), cwd);
  assert.deepEqual(doc.trials.map((t) => [t.status, t.iteration]), [['completed', 10]]);
});
