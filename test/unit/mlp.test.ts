import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/search/rng.js';
import { accumulateGradients, evaluate, initMlp, sgdUpdate, trainStep, widenMlp, zeroGradients, zeroOptimizer, type Mlp } from '../../src/trial/mlp.js';
import { loadMlpCheckpoint, saveMlpCheckpoint } from '../../src/trial/mlp-checkpoint.js';
import { spirals, type Dataset } from '../../src/trial/spiral-data.js';
import { tmpDir } from '../helpers/tune.js';

function clone(m: Mlp): Mlp {
  return { sizes: [...m.sizes], weights: m.weights.map((w) => w.slice()), biases: m.biases.map((b) => b.slice()) };
}

test('backward pass matches central finite differences for every parameter', () => {
  const rng = new Rng(1);
  const data: Dataset = spirals(3, 3, 0.2, 5); // 9 rows: the whole set is one batch
  const model = initMlp([2, 5, 4, 3], () => rng.normal());
  const idx = Uint32Array.from({ length: data.n }, (_, i) => i);
  // With lr 1, no momentum and no decay, one step moves each parameter by exactly minus its gradient.
  const stepped = clone(model);
  trainStep(stepped, zeroOptimizer(stepped), data, idx, 1, 0, 0);
  const h = 1e-6;
  let checked = 0;
  for (let l = 0; l < model.weights.length; l++) {
    for (const [kind, arr] of [['w', model.weights[l]], ['b', model.biases[l]]] as const) {
      for (let k = 0; k < arr.length; k++) {
        const plus = clone(model);
        const minus = clone(model);
        (kind === 'w' ? plus.weights : plus.biases)[l][k] += h;
        (kind === 'w' ? minus.weights : minus.biases)[l][k] -= h;
        const numeric = (evaluate(plus, data).loss - evaluate(minus, data).loss) / (2 * h);
        const analytic = arr[k] - (kind === 'w' ? stepped.weights : stepped.biases)[l][k];
        assert.ok(Math.abs(numeric - analytic) < 1e-7 * Math.max(1, Math.abs(numeric)), `layer ${l} ${kind}[${k}]: ${analytic} vs ${numeric}`);
        checked++;
      }
    }
  }
  assert.equal(checked, 2 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
});

test('L2 decay and momentum follow v = m*v + g + l2*w, w -= lr*v', () => {
  const rng = new Rng(2);
  const data = spirals(2, 3, 0.1, 3);
  const idx = Uint32Array.from({ length: data.n }, (_, i) => i);
  const base = initMlp([2, 3, 3], () => rng.normal());
  const g = clone(base);
  trainStep(g, zeroOptimizer(g), data, idx, 1, 0, 0);
  const grad = base.weights[0].map((w, k) => w - g.weights[0][k]);
  const m = clone(base);
  const opt = zeroOptimizer(m);
  opt.vw[0].fill(0.5);
  trainStep(m, opt, data, idx, 0.1, 0.9, 0.01);
  for (let k = 0; k < grad.length; k++) {
    const v = 0.9 * 0.5 + grad[k] + 0.01 * base.weights[0][k];
    assert.ok(Math.abs(opt.vw[0][k] - v) < 1e-12);
    assert.ok(Math.abs(m.weights[0][k] - (base.weights[0][k] - 0.1 * v)) < 1e-12);
  }
});

test('training on spirals lowers the validation loss well below chance (ln 3)', () => {
  const rng = new Rng(3);
  const train = spirals(300, 3, 0.2, 11);
  const val = spirals(100, 3, 0.2, 12);
  const m = initMlp([2, 32, 3], () => rng.normal());
  const opt = zeroOptimizer(m);
  const perm = Uint32Array.from({ length: train.n }, (_, i) => i);
  const batch = new Uint32Array(32);
  let cursor = 0;
  for (let step = 0; step < 1500; step++) {
    for (let b = 0; b < 32; b++) {
      if (cursor === perm.length) { rng.shuffle(perm); cursor = 0; }
      batch[b] = perm[cursor++];
    }
    trainStep(m, opt, train, batch, 0.1, 0.9, 0);
  }
  const r = evaluate(m, val);
  assert.ok(r.loss < 0.5 * Math.log(3), `val loss ${r.loss}`);
  assert.ok(r.accuracy > 0.8, `val accuracy ${r.accuracy}`);
});

test('a checkpoint restores every bit, keeps the last two, and refuses a corrupt file', () => {
  const dir = tmpDir('tune-ckpt-');
  const rng = new Rng(4);
  const model = initMlp([2, 4, 3], () => rng.normal());
  model.weights[0][0] = NaN; // raw bytes survive what JSON numbers would not
  const opt = zeroOptimizer(model);
  opt.vw[1][2] = -0;
  const state = { iteration: 40, boundaries: 4, hyper: { lr: 0.05, batch_size: 16 }, model, optimizer: opt, rng: rng.getState(), perm: Uint32Array.from([3, 1, 2, 0]), cursor: 2 };
  let path = '';
  for (const it of [10, 20, 30, 40]) path = saveMlpCheckpoint(dir, { ...state, iteration: it });
  assert.deepEqual(readdirSync(dir).sort(), ['ckpt-00000030.json', 'ckpt-00000040.json']);
  const back = loadMlpCheckpoint(path);
  assert.equal(back.iteration, 40);
  assert.equal(back.boundaries, 4);
  assert.deepEqual(back.hyper, { lr: 0.05, batch_size: 16 });
  assert.ok(Number.isNaN(back.model.weights[0][0]));
  assert.ok(Object.is(back.optimizer.vw[1][2], -0));
  assert.deepEqual(Array.from(back.model.weights[1]), Array.from(model.weights[1]));
  assert.deepEqual(back.rng, state.rng);
  assert.deepEqual(Array.from(back.perm), [3, 1, 2, 0]);
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replace('"cursor":2', '"cursor":3'));
  assert.throws(() => loadMlpCheckpoint(path), /checksum mismatch/);
  writeFileSync(path, text.slice(0, 50));
  assert.throws(() => loadMlpCheckpoint(path), /truncated/);
});

test('widen_mlp keeps the function: the loss is the same before and after, and training goes on', () => {
  const rng = new Rng(8);
  const data = spirals(50, 3, 0.2, 21);
  const m = initMlp([2, 6, 5, 3], () => rng.normal());
  const opt = zeroOptimizer(m);
  const all = Uint32Array.from({ length: data.n }, (_, i) => i);
  for (let i = 0; i < 20; i++) trainStep(m, opt, data, all, 0.05, 0.5, 1e-4);
  const before = evaluate(m, data).loss;
  widenMlp(m, opt, 4, () => rng.normal());
  assert.deepEqual(m.sizes, [2, 10, 9, 3]);
  assert.equal(m.weights[1].length, 10 * 9);
  const after = evaluate(m, data).loss;
  assert.ok(Math.abs(after - before) < 1e-12, `loss ${before} -> ${after}`);
  // New units' optimizer state starts at zero; old units keep theirs.
  assert.equal(opt.vw[0][6], 0);
  assert.notEqual(opt.vw[0][0], 0);
  for (let i = 0; i < 20; i++) trainStep(m, opt, data, all, 0.05, 0.5, 1e-4);
  assert.ok(evaluate(m, data).loss < after, 'the wider network trains on');
});

test('gradient accumulation over k micro-batches equals one step on their union', () => {
  const rng = new Rng(9);
  const data = spirals(20, 3, 0.2, 22);
  const a = initMlp([2, 5, 3], () => rng.normal());
  const b = clone(a);
  const idx = Uint32Array.from({ length: 16 }, (_, i) => i * 3);
  trainStep(a, zeroOptimizer(a), data, idx, 0.1, 0, 0);
  const g = zeroGradients(b);
  accumulateGradients(b, data, idx.subarray(0, 8), g, 0.5);
  accumulateGradients(b, data, idx.subarray(8), g, 0.5);
  sgdUpdate(b, zeroOptimizer(b), g, 0.1, 0, 0);
  for (let l = 0; l < a.weights.length; l++) {
    for (let k = 0; k < a.weights[l].length; k++) assert.ok(Math.abs(a.weights[l][k] - b.weights[l][k]) < 1e-14);
  }
});
