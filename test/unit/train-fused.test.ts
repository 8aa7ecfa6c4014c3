import '../helpers/private-tmp.js';
/**
 * The fused optimizer update (src/train/fused/): its WebAssembly kernels against the same float32
 * arithmetic written out in JS; the whole store update against the graph update it replaced
 * (optimizer.ts applyOptimizer run by ONNX Runtime in float32), for both optimizers, with and without
 * weight decay, with a gradient scale, over groups whose sizes are not multiples of the SIMD width; and
 * two trainers built alike giving the same bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, compile, type Feed } from '../../src/train/onnx/index.js';
import { applyOptimizer, optimizerScalarNames, optimizerScalars, STATE_SLOTS, type OptimizerHyper, type OptimizerKind } from '../../src/train/optimizer.js';
import { ScalarInput, packScalars } from '../../src/train/scalars.js';
import { instantiateKernels } from '../../src/train/fused/kernels.js';
import { ParamStore, paramGroups } from '../../src/train/fused/store.js';
import type { ParamSpec } from '../../src/train/models/types.js';
import { Trainer, type TrainerConfig } from '../../src/train/index.js';
import { Rng } from '../../src/search/rng.js';

const HYPER: OptimizerHyper = { momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.05 };
const f = Math.fround;

function randoms(rng: Rng, n: number, scale: number, positive = false): Float32Array {
  return Float32Array.from({ length: n }, () => (positive ? Math.abs(rng.normal()) : rng.normal()) * scale);
}

test('kernels: AdamW and SGD equal float32 arithmetic written out op by op, bit for bit', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const k = instantiateKernels(memory);
  const rng = new Rng(7);
  const n = 64;
  const [P, G, M, V] = [0, 256, 512, 768];
  const f32 = new Float32Array(memory.buffer);
  const fill = (at: number, xs: Float32Array) => f32.set(xs, at / 4);
  const read = (at: number) => f32.slice(at / 4, at / 4 + n);
  const [p, g, m, v] = [randoms(rng, n, 1), randoms(rng, n, 0.1), randoms(rng, n, 0.01), randoms(rng, n, 1e-3, true)];
  const s = { scale: 0.37, decay: 0.999, omb1: 0.1, b2: 0.999, omb2: 0.001, ss: 0.0123, eh: 3e-9 };
  fill(P, p); fill(G, g); fill(M, m); fill(V, v);
  k.adamw_decay(P, G, M, V, n * 4, s.scale, s.decay, s.omb1, s.b2, s.omb2, s.ss, s.eh);
  for (let i = 0; i < n; i++) {
    const gi = f(g[i] * f(s.scale));
    const mi = f(m[i] + f(f(gi - m[i]) * f(s.omb1)));
    const vi = f(f(v[i] * f(s.b2)) + f(f(gi * gi) * f(s.omb2)));
    const pi = f(f(p[i] * f(s.decay)) - f(f(mi * f(s.ss)) / f(f(Math.sqrt(vi)) + f(s.eh))));
    assert.deepEqual([read(P)[i], read(M)[i], read(V)[i]], [pi, mi, vi], `adamw element ${i}`);
  }
  fill(P, p); fill(G, g); fill(M, m);
  k.sgd_decay(P, G, M, n * 4, s.scale, 0.05, 0.9, 0.01);
  for (let i = 0; i < n; i++) {
    const gi = f(f(g[i] * f(s.scale)) + f(p[i] * f(0.01)));
    const mi = f(f(m[i] * f(0.9)) + gi);
    assert.deepEqual([read(P)[i], read(M)[i]], [f(p[i] - f(mi * f(0.05))), mi], `sgd element ${i}`);
  }
  fill(G, g);
  const sq = g.reduce((a, x) => a + x * x, 0); // float64, as the kernel sums
  assert.ok(Math.abs(k.sum_squares(G, n * 4) - sq) <= 1e-12 * sq, 'sum of squares');
});

/** Two groups of odd sizes: a decayed matrix and vector-like plain parameters. */
const SPECS: ParamSpec[] = [
  { name: 'w', shape: [7, 5], init: { kind: 'zeros' }, decay: true, outgoing: false },
  { name: 'b', shape: [5], init: { kind: 'zeros' }, decay: false, outgoing: false },
  { name: 'w2', shape: [3, 3], init: { kind: 'zeros' }, decay: true, outgoing: false },
  { name: 's', shape: [2], init: { kind: 'zeros' }, decay: false, outgoing: false },
];

/** The graph update (what the step graph computed before the fused kernels) on one flat group, in float32. */
async function graphUpdate(kind: OptimizerKind, scalars: Record<string, number>, p: Float32Array, g: Float32Array, state: Float32Array[], decay: boolean) {
  const graph = new Graph();
  const n = p.length;
  const names = optimizerScalarNames(kind);
  const input = new ScalarInput(graph, names, 'float32');
  const inState = state.map((_, i) => graph.input(`s${i}`, 'float32', [n]));
  const [u] = applyOptimizer(kind, [{ param: graph.input('p', 'float32', [n]), grad: graph.input('g', 'float32', [n]), state: inState, decay }], (k) => input.get(k));
  graph.output('p2', u.param);
  u.state.forEach((s, i) => graph.output(`s${i}'`, s));
  const run = await compile(graph);
  const feeds: Record<string, Feed> = { p, g, scalars: packScalars(names, scalars) };
  state.forEach((s, i) => (feeds[`s${i}`] = s));
  const out = await run.run(feeds);
  await run.release();
  return { p: out.p2 as Float32Array, state: state.map((_, i) => out[`s${i}'`] as Float32Array) };
}

/** Largest difference in units of float32 rounding of the expected value (2^-24 relative, 2^-149 absolute). */
function ulps(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const unit = Math.max(Math.abs(expected[i]) * 2 ** -24, 2 ** -149);
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / unit);
  }
  return worst;
}

for (const kind of ['sgd', 'adamw'] as OptimizerKind[]) {
  test(`${kind}: the fused update equals the graph update it replaces within float32 rounding, each group and state slot`, async () => {
    const rng = new Rng(kind === 'sgd' ? 1 : 2);
    const store = new ParamStore(SPECS, STATE_SLOTS[kind]);
    const groups = paramGroups(SPECS);
    assert.deepEqual(groups.map((gr) => [gr.decay, gr.size]), [[true, 44], [false, 7]]);
    // Parameters, state and gradients, as the trainer would hold them after some steps.
    const init = groups.map((gr) => ({
      p: randoms(rng, gr.size, 0.5),
      g: randoms(rng, gr.size, 0.1),
      state: STATE_SLOTS[kind].map((s) => randoms(rng, gr.size, s === 'v' ? 1e-3 : 0.05, s === 'v')),
    }));
    groups.forEach((_, i) => {
      store.flat('p', i).set(init[i].p);
      STATE_SLOTS[kind].forEach((s, j) => store.flat(s, i).set(init[i].state[j]));
    });
    groups.forEach((gr, i) => gr.members.forEach((m) => store.gradientViews(true).get(m.spec.name)!.set(init[i].g.subarray(m.offset, m.offset + m.size))));
    const scalars = optimizerScalars(kind, HYPER, 0.02, 5);
    store.update(kind, scalars, 1);
    for (const [i, gr] of groups.entries()) {
      const want = await graphUpdate(kind, scalars, init[i].p, init[i].g, init[i].state, gr.decay);
      const what = `${kind} group ${i} (decay ${gr.decay})`;
      assert.ok(ulps(store.flat('p', i), want.p) <= 1, `${what}: parameters differ by ${ulps(store.flat('p', i), want.p)} units of rounding`);
      STATE_SLOTS[kind].forEach((s, j) => assert.ok(ulps(store.flat(s, i), want.state[j]) <= 1, `${what}: state ${s} differs`));
    }
  });
}

test('a scaled update (mean of micro-batches, clipping) equals the graph update on the scaled gradient', async () => {
  const rng = new Rng(3);
  const store = new ParamStore(SPECS, STATE_SLOTS.adamw);
  const groups = paramGroups(SPECS);
  const g1 = groups.map((gr) => randoms(rng, gr.size, 0.1));
  const g2 = groups.map((gr) => randoms(rng, gr.size, 0.1));
  const write = (gs: Float32Array[], first: boolean) => {
    for (const [i, gr] of groups.entries()) for (const m of gr.members) store.gradientViews(first).get(m.spec.name)!.set(gs[i].subarray(m.offset, m.offset + m.size));
  };
  write(g1, true);
  write(g2, false);
  store.addScratch();
  const sums = groups.map((_, i) => Float32Array.from(g1[i], (x, j) => x + g2[i][j]));
  const expectSquares = sums.reduce((a, s) => a + s.reduce((b, x) => b + x * x, 0), 0);
  assert.ok(Math.abs(store.gradientSquares() - expectSquares) <= 1e-12 * expectSquares, 'squares of the summed gradient');
  const scale = 0.5 * 0.8;
  const scalars = optimizerScalars('adamw', HYPER, 0.01, 1);
  store.update('adamw', scalars, scale);
  for (const [i, gr] of groups.entries()) {
    const zero = () => new Float32Array(gr.size);
    const want = await graphUpdate('adamw', scalars, zero(), Float32Array.from(sums[i], (x) => x * f(scale)), [zero(), zero()], gr.decay);
    assert.ok(ulps(store.flat('p', i), want.p) <= 1, `group ${i}: parameters`);
  }
});

test('two trainers built alike give the same bits, step after step (both models, both optimizers, clipping and accumulation)', async () => {
  const configs: TrainerConfig[] = [
    { kind: 'mlp', seed: 4, sizes: { hidden: 24, depth: 1 }, hyper: { optimizer: 'adamw', batch_size: 16, clip: 0.5 } },
    { kind: 'mlp', seed: 4, sizes: { hidden: 24, depth: 1 }, hyper: { optimizer: 'sgd', lr: 0.05, batch_size: 8, grad_accum: 3 } },
    { kind: 'gpt', seed: 4, sizes: { embd: 16, heads: 2, layers: 1 }, hyper: { batch_size: 8 } },
  ];
  for (const config of configs) {
    const [a, b] = [Trainer.create(config), Trainer.create(config)];
    for (let step = 0; step < 3; step++) {
      assert.equal(await a.trainSteps(1), await b.trainSteps(1), `${config.kind} loss at step ${step}`);
      for (const [name, t] of a.parameters()) {
        const u = b.parameters().get(name)!;
        assert.ok(Buffer.from(t.buffer, t.byteOffset, t.byteLength).equals(Buffer.from(u.buffer, u.byteOffset, u.byteLength)), `${config.kind} ${name} at step ${step}`);
      }
    }
    await a.release();
    await b.release();
  }
});
