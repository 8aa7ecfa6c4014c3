import '../helpers/private-tmp.js';
/**
 * The optimizers, clipping and gradient accumulation of the built-in trainer, against answers computed by
 * hand (or by PyTorch's own formula, written out in float64), then through the Trainer itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, compile, type Feed, type Value } from '../../src/train/onnx/index.js';
import { applyOptimizer, optimizerScalarNames, optimizerScalars, type OptimizerHyper, type OptimizerKind } from '../../src/train/optimizer.js';
import { clipByGlobalNorm } from '../../src/train/clip.js';
import { ScalarInput, packScalars } from '../../src/train/scalars.js';
import { Trainer } from '../../src/train/index.js';

const HYPER: OptimizerHyper = { momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };

/** One optimizer step in float64 on a parameter `p` with gradient `g` and state, through the real graph code. */
async function oneStep(kind: OptimizerKind, h: OptimizerHyper, lr: number, t: number, p: number[], g: number[], state: number[][], decay = true) {
  const graph = new Graph();
  const n = p.length;
  const names = optimizerScalarNames(kind);
  const scalars = new ScalarInput(graph, names, 'float64');
  const inState = state.map((_, i) => graph.input(`s${i}`, 'float64', [n]));
  const [u] = applyOptimizer(kind, [{ param: graph.input('p', 'float64', [n]), grad: graph.input('g', 'float64', [n]), state: inState, decay }], (k) => scalars.get(k));
  graph.output('p2', u.param);
  u.state.forEach((s, i) => graph.output(`s${i}'`, s));
  const run = await compile(graph);
  const feeds: Record<string, Feed> = { p: Float64Array.from(p), g: Float64Array.from(g), scalars: packScalars(names, optimizerScalars(kind, h, lr, t), 'float64') };
  state.forEach((s, i) => (feeds[`s${i}`] = Float64Array.from(s)));
  const out = await run.run(feeds);
  await run.release();
  return { p: Array.from(out.p2 as Float64Array), state: state.map((_, i) => Array.from(out[`s${i}'`] as Float64Array)) };
}

function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `${what}[${i}]: ${a}, expected ${expected[i]}`));
}

test('SGD with momentum: one step by hand (weight decay added to the gradient, PyTorch semantics)', async () => {
  // g' = g + 0.01 p = [0.11, 0.18, -0.295]; m' = 0.9 m + g' = [0.56, 0.18, 0.605]; p' = p - 0.1 m'.
  const r = await oneStep('sgd', HYPER, 0.1, 1, [1, -2, 0.5], [0.1, 0.2, -0.3], [[0.5, 0, 1]]);
  close(r.state[0], [0.56, 0.18, 0.605], 1e-12, 'momentum');
  close(r.p, [0.944, -2.018, 0.4395], 1e-12, 'parameter');
  const noDecay = await oneStep('sgd', HYPER, 0.1, 1, [1, -2, 0.5], [0.1, 0.2, -0.3], [[0.5, 0, 1]], false);
  close(noDecay.p, [1 - 0.1 * 0.55, -2 - 0.1 * 0.2, 0.5 - 0.1 * 0.6], 1e-12, 'parameter without decay');
});

test('AdamW, first step: bias correction makes the step lr * sign(g); decay is decoupled (p *= 1 - lr wd)', async () => {
  const h = { ...HYPER, weight_decay: 0.1 };
  // m = 0.1 g, v = 0.001 g^2; m^ = g, v^ = g^2; p' = p (1 - 0.01 * 0.1) - 0.01 g / (|g| + 1e-8).
  const r = await oneStep('adamw', h, 0.01, 1, [1, -2], [0.1, -0.3], [[0, 0], [0, 0]]);
  close(r.state[0], [0.01, -0.03], 1e-15, 'm');
  close(r.state[1], [0.00001, 0.00009], 1e-15, 'v');
  close(r.p, [0.999 - 0.01, -1.998 + 0.01], 1e-9, 'parameter');
});

test('AdamW, step 3 with history: equals PyTorch\'s formula written out', async () => {
  const h = { ...HYPER, beta1: 0.8, beta2: 0.95, weight_decay: 0.05 };
  const [lr, t] = [0.02, 3];
  const p = [0.7, -1.3, 2.1], g = [0.4, -0.05, 0.9], m = [0.1, 0.2, -0.3], v = [0.04, 0.01, 0.2];
  const r = await oneStep('adamw', h, lr, t, p, g, [m, v]);
  // torch.optim.AdamW: p *= 1 - lr wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
  // p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  const m2 = m.map((mi, i) => h.beta1 * mi + (1 - h.beta1) * g[i]);
  const v2 = v.map((vi, i) => h.beta2 * vi + (1 - h.beta2) * g[i] ** 2);
  const bc1 = 1 - h.beta1 ** t, bc2 = 1 - h.beta2 ** t;
  const p2 = p.map((pi, i) => pi * (1 - lr * h.weight_decay) - (lr / bc1) * m2[i] / (Math.sqrt(v2[i]) / Math.sqrt(bc2) + h.eps));
  close(r.state[0], m2, 1e-15, 'm');
  close(r.state[1], v2, 1e-15, 'v');
  close(r.p, p2, 1e-14, 'parameter');
});

test('clipping by global norm: scaled to the threshold above it, untouched below it', async () => {
  const graph = new Graph();
  const a = graph.input('a', 'float64', [2]);
  const b = graph.input('b', 'float64', [1]);
  const clip = graph.input('clip', 'float64', []);
  const [ca, cb] = clipByGlobalNorm([a, b] as Value[], clip);
  graph.output('ca', ca);
  graph.output('cb', cb);
  const run = await compile(graph);
  const at = async (threshold: number) => {
    const out = await run.run({ a: Float64Array.of(3, 4), b: Float64Array.of(12), clip: Float64Array.of(threshold) });
    return [...(out.ca as Float64Array), ...(out.cb as Float64Array)];
  };
  // ||(3, 4, 12)|| = 13; threshold 6.5 halves every gradient (PyTorch's coefficient 6.5 / (13 + 1e-6)).
  const c = 6.5 / (13 + 1e-6);
  close(await at(6.5), [3 * c, 4 * c, 12 * c], 1e-15, 'clipped');
  assert.deepEqual(await at(20), [3, 4, 12]);
  await run.release();
});

const TINY = { hidden: 16, depth: 1 } as const;

async function paramsAfter(hyper: Parameters<typeof Trainer.create>[0]['hyper'], steps: number, ops: { name: string; value: number }[] = []) {
  const t = Trainer.create({ kind: 'mlp', seed: 5, sizes: TINY, hyper });
  for (const op of ops) t.applyOperation(op);
  const loss = await t.trainSteps(steps);
  const p = new Map([...t.parameters()].map(([k, v]) => [k, v.slice()]));
  await t.release();
  return { p, loss };
}

function maxRelDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    const scale = Math.max(1e-3, ...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

test('gradient accumulation over 4 micro-batches of 8 equals one step on their union of 32 (and with clipping)', async () => {
  for (const clip of [0, 0.5]) {
    const base = { optimizer: 'sgd', lr: 0.05, weight_decay: 0.01, clip } as const;
    const union = await paramsAfter({ ...base, batch_size: 32, grad_accum: 1 }, 2);
    const accum = await paramsAfter({ ...base, batch_size: 8, grad_accum: 4 }, 2);
    // The same 32 examples with the same shifts; only float32 summation order differs.
    assert.ok(maxRelDiff(union.p, accum.p) < 1e-5, `clip ${clip}: parameters differ by ${maxRelDiff(union.p, accum.p)}`);
    assert.ok(Math.abs(union.loss - accum.loss) < 1e-5, `clip ${clip}: losses ${union.loss} vs ${accum.loss}`);
  }
});

test('clipping is applied: a tiny threshold shrinks the first SGD step to lr * threshold in norm', async () => {
  const t = Trainer.create({ kind: 'mlp', seed: 5, sizes: TINY, hyper: { optimizer: 'sgd', lr: 0.1, weight_decay: 0, clip: 1e-3 } });
  const before = new Map([...t.parameters()].map(([k, v]) => [k, v.slice()]));
  await t.trainSteps(1);
  let sq = 0;
  for (const [k, v] of t.parameters()) v.forEach((x, i) => (sq += (x - before.get(k)![i]) ** 2));
  assert.ok(Math.abs(Math.sqrt(sq) - 0.1 * 1e-3) < 1e-7, `update norm ${Math.sqrt(sq)}`);
  await t.release();
});

test('schedule operations change run-time scalars: change_lr and warmup give the same step as the plain rate', async () => {
  const plain = await paramsAfter({ optimizer: 'sgd', lr: 0.1 }, 1);
  const changed = await paramsAfter({ optimizer: 'sgd', lr: 0.2 }, 1, [{ name: 'change_lr', value: 0.5 }]);
  const warm = await paramsAfter({ optimizer: 'sgd', lr: 0.4, warmup_iters: 4 }, 1); // step 1 of 4: lr / 4
  for (const [k, v] of plain.p) {
    assert.deepEqual(changed.p.get(k), v, `${k} after change_lr`);
    assert.deepEqual(warm.p.get(k), v, `${k} with warmup`);
  }
});

test('batch size, accumulation, weight decay and warmup operations apply; bad ones are refused with the reason', async () => {
  const t = Trainer.create({ kind: 'mlp', seed: 2, sizes: TINY });
  t.applyOperation({ name: 'set_batch_size', value: 16 });
  t.applyOperation({ name: 'change_grad_accum', value: 3 });
  t.applyOperation({ name: 'set_weight_decay', value: 0 });
  t.applyOperation({ name: 'set_warmup_iters', value: 10 });
  t.applyOperation({ name: 'set_eval_interval', value: 7 });
  assert.deepEqual(
    [t.hyper.batch_size, t.hyper.grad_accum, t.hyper.weight_decay, t.hyper.warmup_iters, t.hyper.eval_interval],
    [16, 3, 0, 10, 7],
  );
  assert.ok(Number.isFinite(await t.trainSteps(2)));
  assert.equal(t.iteration, 2);
  assert.throws(() => t.applyOperation({ name: 'set_lr', value: 0 }), /set_lr: value 0 must be > 0/);
  assert.throws(() => t.applyOperation({ name: 'set_momentum', value: 1 }), /unknown operation set_momentum/);
  assert.throws(() => t.applyOperation({ name: 'stack_layers', value: 1.5 }), /whole number/);
  await t.release();
});
