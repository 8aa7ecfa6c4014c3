import '../helpers/private-tmp.js';
/**
 * Every gradient rule against central finite differences of the same forward graph, run in float64 by
 * ONNX Runtime; then two whole models with every parameter checked.
 *
 * Tolerance (float64): |analytic - numeric| <= ATOL + RTOL * max(|analytic|, |numeric|) with step H.
 * The one float32 case (Cast through float32) uses a linear loss, a bigger step and its own tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/search/rng.js';
import {
  Graph, GraphError, add, cast, causalSelfAttention, compile, div, exp, expand, gather, gelu, gemm, gradients,
  greater, identity, layerNorm, linear, log, logSoftmax, matmul, mul, neg, pow, reduceMean, reduceSum, relu,
  reshape, scatterNDAdd, softmax, softmaxCrossEntropy, sqrt, sub, tanh, toModel, transpose, where,
  IR_VERSION, OPSET, type Feed, type FloatDType, type Shape, type Value, sigmoid, crossEntropyPerPosition,
} from '../../src/train/onnx/index.js';

const H = 1e-5;
const RTOL = 1e-6;
const ATOL = 1e-8;

interface Built {
  loss: Value;
  /** The inputs whose gradients are checked. */
  wrt: Value[];
}

interface CheckOptions {
  seed?: number;
  /** Feeds that must not be random normals (indices, positive values). */
  feeds?: Record<string, Feed>;
  h?: number;
  rtol?: number;
  atol?: number;
}

interface CheckResult {
  grads: Record<string, Float64Array | null>;
  feeds: Record<string, Feed>;
  checked: number;
  worst: number;
}

/** sum(y * r) for a random fixed r: every output element gets its own weight, so no error can cancel. */
function probe(y: Value, name = 'probe'): Value {
  return reduceSum(mul(y, y.graph.input(name, y.dtype, y.shape)));
}

async function gradCheck(build: (g: Graph) => Built, opts: CheckOptions = {}): Promise<CheckResult> {
  const { h = H, rtol = RTOL, atol = ATOL } = opts;
  const g = new Graph();
  const { loss, wrt } = build(g);
  const grads = gradients(loss, wrt);
  g.output('loss', loss);
  const names = wrt.map((w) => (w.op === 'Input' ? w.attrs.name : assert.fail('wrt must be graph inputs')));
  grads.forEach((gr, i) => gr && g.output(`d_${names[i]}`, gr));

  const rng = new Rng(opts.seed ?? 7);
  const feeds: Record<string, Feed> = {};
  for (const x of g.inputs) {
    const given = opts.feeds?.[x.attrs.name];
    if (given) feeds[x.attrs.name] = given;
    else if (x.dtype === 'float64') feeds[x.attrs.name] = Float64Array.from({ length: x.shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    else assert.fail(`test needs a feed for ${x.dtype} input ${x.attrs.name}`);
  }

  const full = await compile(g);
  const forward = await compile(g, { outputs: ['loss'] });
  const out = await full.run(feeds);
  const lossAt = async (): Promise<number> => Number((await forward.run(feeds)).loss[0]);
  assert.equal(await lossAt(), out.loss[0], 'the forward-only model computes the same loss');

  let checked = 0;
  let worst = 0;
  const result: Record<string, Float64Array | null> = {};
  for (const [i, name] of names.entries()) {
    const analytic = grads[i] ? (out[`d_${name}`] as Float64Array) : null;
    result[name] = analytic;
    if (!analytic) continue;
    const x = feeds[name];
    assert.ok(x instanceof Float64Array, `${name} is float64`);
    assert.equal(analytic.length, x.length, `d_${name} has the shape of ${name}`);
    for (let k = 0; k < x.length; k++) {
      const keep = x[k];
      x[k] = keep + h;
      const up = await lossAt();
      x[k] = keep - h;
      const down = await lossAt();
      x[k] = keep;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(analytic[k] - numeric);
      const bound = atol + rtol * Math.max(Math.abs(analytic[k]), Math.abs(numeric));
      worst = Math.max(worst, err / bound);
      assert.ok(err <= bound, `d loss / d ${name}[${k}]: analytic ${analytic[k]}, numeric ${numeric} (error ${err.toExponential(2)} > ${bound.toExponential(2)})`);
      checked++;
    }
  }
  await full.release();
  await forward.release();
  return { grads: result, feeds, checked, worst };
}

const positive = (n: number, seed = 3): Float64Array => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => 0.5 + Math.abs(rng.normal()));
};
const int64 = (v: number[]): BigInt64Array => BigInt64Array.from(v, BigInt);
const f64 = (g: Graph, name: string, shape: Shape): Value => g.input(name, 'float64', shape);

// ---- one check per rule ----

const cases: [string, (g: Graph) => Built, CheckOptions?][] = [
  ['Add: bias over a batch (broadcast)', (g) => {
    const x = f64(g, 'x', [4, 3]), b = f64(g, 'b', [3]);
    return { loss: probe(add(x, b)), wrt: [x, b] };
  }],
  ['Add: both sides broadcast', (g) => {
    const a = f64(g, 'a', [3, 1]), b = f64(g, 'b', [1, 4]);
    return { loss: probe(add(a, b)), wrt: [a, b] };
  }],
  ['Sub', (g) => {
    const a = f64(g, 'a', [2, 3]), b = f64(g, 'b', [3]);
    return { loss: probe(sub(a, b)), wrt: [a, b] };
  }],
  ['Mul with broadcast', (g) => {
    const a = f64(g, 'a', [2, 3]), b = f64(g, 'b', [2, 1]);
    return { loss: probe(mul(a, b)), wrt: [a, b] };
  }],
  ['Div', (g) => {
    const a = f64(g, 'a', [2, 3]), b = f64(g, 'b', [3]);
    return { loss: probe(div(a, b)), wrt: [a, b] };
  }, { feeds: { b: positive(3) } }],
  ['Neg', (g) => {
    const x = f64(g, 'x', [5]);
    return { loss: probe(neg(x)), wrt: [x] };
  }],
  ['Relu', (g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: probe(relu(x)), wrt: [x] };
  }],
  ['Tanh', (g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: probe(tanh(x)), wrt: [x] };
  }],
  ['Exp', (g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: probe(exp(x)), wrt: [x] };
  }],
  ['Log', (g) => {
    const x = f64(g, 'x', [6]);
    return { loss: probe(log(x)), wrt: [x] };
  }, { feeds: { x: positive(6) } }],
  ['Sqrt', (g) => {
    const x = f64(g, 'x', [6]);
    return { loss: probe(sqrt(x)), wrt: [x] };
  }, { feeds: { x: positive(6) } }],
  ['Pow: exponents 3, 2, 0.5, -1.5, 1', (g) => {
    const x = f64(g, 'x', [6]);
    const y = add(add(add(pow(x, 3), pow(x, 2)), add(pow(x, 0.5), pow(x, -1.5))), pow(x, 1));
    return { loss: probe(y), wrt: [x] };
  }, { feeds: { x: positive(6) } }],
  ['MatMul 2-D', (g) => {
    const a = f64(g, 'a', [3, 4]), b = f64(g, 'b', [4, 5]);
    return { loss: probe(matmul(a, b)), wrt: [a, b] };
  }],
  ['MatMul 3-D @ 2-D (rows folded into one Gemm)', (g) => {
    const a = f64(g, 'a', [2, 3, 4]), b = f64(g, 'b', [4, 5]);
    return { loss: probe(matmul(a, b)), wrt: [a, b] };
  }],
  ['MatMul with broadcast batch dims', (g) => {
    const a = f64(g, 'a', [2, 1, 3, 4]), b = f64(g, 'b', [3, 4, 2]);
    return { loss: probe(matmul(a, b)), wrt: [a, b] };
  }],
  ...([[false, false], [false, true], [true, false], [true, true]] as const).map(([transA, transB]): [string, (g: Graph) => Built] => [
    `Gemm transA=${+transA} transB=${+transB}, alpha 0.75, beta 1.5, bias C`,
    (g) => {
      const a = f64(g, 'a', transA ? [4, 3] : [3, 4]), b = f64(g, 'b', transB ? [5, 4] : [4, 5]), c = f64(g, 'c', [5]);
      return { loss: probe(gemm(a, b, c, { transA, transB, alpha: 0.75, beta: 1.5 })), wrt: [a, b, c] };
    },
  ]),
  ['Gemm without C', (g) => {
    const a = f64(g, 'a', [3, 4]), b = f64(g, 'b', [4, 2]);
    return { loss: probe(gemm(a, b)), wrt: [a, b] };
  }],
  ['Softmax, last axis and axis 0', (g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: add(probe(softmax(x, -1), 'p1'), probe(softmax(x, 0), 'p2')), wrt: [x] };
  }],
  ['LogSoftmax, last axis and a middle axis', (g) => {
    const x = f64(g, 'x', [2, 3, 4]);
    return { loss: add(probe(logSoftmax(x, -1), 'p1'), probe(logSoftmax(x, 1), 'p2')), wrt: [x] };
  }],
  ['LayerNormalization over the last axis, scale and bias', (g) => {
    const x = f64(g, 'x', [2, 3, 5]), s = f64(g, 's', [5]), b = f64(g, 'b', [5]);
    return { loss: probe(layerNorm(x, s, b)), wrt: [x, s, b] };
  }],
  ['LayerNormalization over the last two axes, no bias', (g) => {
    const x = f64(g, 'x', [2, 3, 4]), s = f64(g, 's', [3, 4]);
    return { loss: probe(layerNorm(x, s, undefined, { axis: 1, epsilon: 1e-3 })), wrt: [x, s] };
  }],
  ['Gather (embedding lookup, repeated indices)', (g) => {
    const table = f64(g, 'table', [5, 3]);
    const ids = g.input('ids', 'int64', [2, 3]);
    return { loss: probe(gather(table, ids)), wrt: [table] };
  }, { feeds: { ids: int64([4, 0, 4, 2, 4, 0]) } }],
  ['Reshape', (g) => {
    const x = f64(g, 'x', [2, 6]);
    return { loss: probe(reshape(x, [3, -1, 2])), wrt: [x] };
  }],
  ['Transpose', (g) => {
    const x = f64(g, 'x', [2, 3, 4]);
    return { loss: probe(transpose(x, [2, 0, 1])), wrt: [x] };
  }],
  ['Expand', (g) => {
    const x = f64(g, 'x', [3, 1]);
    return { loss: probe(expand(x, [2, 3, 4])), wrt: [x] };
  }],
  ['ReduceSum: one axis, two axes kept, all', (g) => {
    const x = f64(g, 'x', [2, 3, 4]);
    const y = add(add(probe(reduceSum(x, [1]), 'p1'), probe(reduceSum(x, [0, -1], true), 'p2')), mul(reduceSum(x), 0.3));
    return { loss: y, wrt: [x] };
  }],
  ['ReduceMean: one axis, two axes kept, all', (g) => {
    const x = f64(g, 'x', [2, 3, 4]);
    const y = add(add(probe(reduceMean(x, [2]), 'p1'), probe(reduceMean(x, [0, 1], true), 'p2')), mul(reduceMean(x), 0.3));
    return { loss: y, wrt: [x] };
  }],
  ['Where with a broadcast branch (condition gets no gradient)', (g) => {
    const c = f64(g, 'c', [3, 4]), a = f64(g, 'a', [3, 4]), b = f64(g, 'b', [4]);
    return { loss: probe(where(greater(c, 0), a, b)), wrt: [a, b, c] };
  }],
  ['Identity', (g) => {
    const x = f64(g, 'x', [4]);
    return { loss: probe(identity(x)), wrt: [x] };
  }],
];

for (const [name, build, opts] of cases) {
  test(`gradient of ${name} matches finite differences`, async () => {
    const r = await gradCheck(build, opts);
    assert.ok(r.checked > 0);
  });
}

test('Where: the condition has no gradient, the rest is checked', async () => {
  const r = await gradCheck(cases.find(([n]) => n.startsWith('Where'))![1]);
  assert.equal(r.grads.c, null);
});

test('Cast through float32 (float32 precision: step 1e-2, linear loss, tolerance 1e-4 relative)', async () => {
  // Rounding to float32 quantises x at ~6e-8 relative, so a tiny step would measure the rounding. A linear
  // loss makes central differences exact apart from that rounding: error <= |x| 6e-8 / step.
  const r = await gradCheck((g) => {
    const x = f64(g, 'x', [5]);
    return { loss: probe(cast(cast(x, 'float32'), 'float64')), wrt: [x] };
  }, { h: 1e-2, rtol: 1e-4, atol: 1e-6 });
  assert.equal(r.checked, 5);
});

// ---- engine behaviour ----

test('d/dx sum(x * x) is exactly 2x (a value used twice accumulates)', async () => {
  const r = await gradCheck((g) => {
    const x = f64(g, 'x', [7]);
    return { loss: reduceSum(mul(x, x)), wrt: [x] };
  });
  const x = r.feeds.x as Float64Array;
  assert.deepEqual(Array.from(r.grads.x!), Array.from(x, (v) => 2 * v));
});

test('a value reused along several paths: y = e^x, loss = sum(y*y + y*x)', async () => {
  await gradCheck((g) => {
    const x = f64(g, 'x', [2, 3]);
    const y = exp(x);
    return { loss: probe(add(mul(y, y), mul(y, x))), wrt: [x] };
  });
});

test('an unused input gets a null gradient and the used one is still checked', async () => {
  const r = await gradCheck((g) => {
    const x = f64(g, 'x', [3]);
    const unused = f64(g, 'unused', [2]);
    void unused;
    return { loss: probe(tanh(x)), wrt: [x, unused] };
  });
  assert.equal(r.grads.unused, null);
  assert.equal(r.checked, 3);
});

test('a gradient reaching an operator without a rule is an error naming it', () => {
  const g = new Graph();
  const u = f64(g, 'u', [2, 3]);
  const ids = g.input('ids', 'int64', [2, 1]);
  const y = scatterNDAdd(f64(g, 'base', [4, 3]), ids, u);
  assert.throws(() => gradients(reduceSum(y), [u]), /no gradient rule for ScatterNDAdd/);
});

test('the loss must be a single float', () => {
  const g = new Graph();
  const x = f64(g, 'x', [3]);
  assert.throws(() => gradients(x, [x]), /the loss must be one float number, got float64\[3\]/);
});

test('shape mistakes throw at build time with the shapes in the message', () => {
  const g = new Graph();
  const a = f64(g, 'a', [2, 3]);
  const b = f64(g, 'b', [4, 5]);
  assert.throws(() => matmul(a, b), (e: unknown) => e instanceof GraphError && /MatMul: inner dimensions differ: \[2,3\] @ \[4,5\] \(3 vs 4\)/.test(e.message));
  assert.throws(() => add(a, f64(g, 'c', [4])), /Add: shapes \[2,3\], \[4\] do not broadcast/);
  assert.throws(() => reshape(a, [4, -1]), /Reshape: cannot reshape float64\[2,3\]/);
  assert.throws(() => gemm(a, b), /Gemm: inner dimensions differ/);
  assert.throws(() => layerNorm(a, f64(g, 's', [2])), /scale \[2\] must have the normalised shape \[3\]/);
  assert.throws(() => add(a, g.input('i', 'int64', [3])), /Add: dtypes differ/);
  assert.throws(() => softmax(a, 2), /Softmax: axis 2 is out of range/);
});

test('the model is IR 8, opset 18, and keeps only what the chosen outputs need', () => {
  const g = new Graph();
  const x = f64(g, 'x', [2]);
  g.output('y', tanh(x));
  g.output('z', exp(x));
  const model = toModel(g, ['y']);
  assert.equal(Number(model.irVersion), IR_VERSION);
  assert.equal(Number(model.opsetImport[0].version), OPSET);
  assert.deepEqual(model.graph!.node!.map((n) => n.opType), ['Tanh']);
});

test('the runner refuses a missing or mistyped feed', async () => {
  const g = new Graph();
  const x = f64(g, 'x', [2]);
  g.output('x2', identity(x));
  const r = await compile(g);
  await assert.rejects(r.run({}), /no feed for input x/);
  await assert.rejects(r.run({ x: new Float32Array(2) }), /input x is float64, fed a Float32Array/);
  await assert.rejects(r.run({ x: new Float64Array(3) }), /needs 2 elements, fed 3/);
  assert.deepEqual(Array.from((await r.run({ x: Float64Array.of(1, 2) })).x2 as Float64Array), [1, 2]);
  await r.release();
});

// ---- composites: no rules of their own ----

test('GELU (tanh form) matches finite differences', async () => {
  await gradCheck((g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: probe(gelu(x)), wrt: [x] };
  });
});

test('softmax cross-entropy: finite differences, and the known answer (softmax - onehot) / N', async () => {
  const labels = [2, 0, 4, 4];
  const r = await gradCheck((g) => {
    const z = f64(g, 'z', [4, 5]);
    return { loss: softmaxCrossEntropy(z, g.input('labels', 'int64', [4])), wrt: [z] };
  }, { feeds: { labels: int64(labels) } });
  const z = r.feeds.z as Float64Array;
  for (let i = 0; i < 4; i++) {
    const row = Array.from(z.subarray(i * 5, i * 5 + 5));
    const m = Math.max(...row);
    const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
    for (let j = 0; j < 5; j++) {
      const expected = (Math.exp(row[j] - m) / s - (j === labels[i] ? 1 : 0)) / 4;
      assert.ok(Math.abs(r.grads.z![i * 5 + j] - expected) < 1e-15, `d/dz[${i},${j}]`);
    }
  }
});

// ---- whole models ----

test('2-layer MLP with softmax cross-entropy: every parameter gradient', async () => {
  const r = await gradCheck((g) => {
    const x = f64(g, 'x', [6, 5]);
    const labels = g.input('labels', 'int64', [6]);
    const w1 = f64(g, 'w1', [5, 8]), b1 = f64(g, 'b1', [8]);
    const w2 = f64(g, 'w2', [8, 4]), b2 = f64(g, 'b2', [4]);
    const hidden = relu(linear(x, w1, b1)); // Gemm with bias
    const logits = add(matmul(hidden, w2), b2); // MatMul + broadcast Add
    return { loss: softmaxCrossEntropy(logits, labels), wrt: [w1, b1, w2, b2, x] };
  }, { feeds: { labels: int64([0, 3, 1, 1, 2, 3]) } });
  assert.equal(r.checked, 5 * 8 + 8 + 8 * 4 + 4 + 6 * 5);
});

const [B, T, V, D, HEADS, F] = [2, 4, 6, 8, 2, 12];
const LM_FEEDS = { ids: int64([1, 5, 5, 0, 3, 2, 1, 4]), targets: int64([5, 5, 0, 2, 2, 1, 4, 4]) };

/** Embedding → LN → causal attention → LN → GELU MLP → LN → head → cross-entropy, pre-norm residuals. */
function tinyTransformer(g: Graph, dtype: FloatDType): Built {
  const ids = g.input('ids', 'int64', [B, T]);
  const targets = g.input('targets', 'int64', [B, T]);
  const p = (name: string, shape: Shape): Value => g.input(name, dtype, shape);
  const tok = p('tok', [V, D]), pos = p('pos', [T, D]);
  const ln1s = p('ln1_s', [D]), ln1b = p('ln1_b', [D]), ln2s = p('ln2_s', [D]), ln2b = p('ln2_b', [D]);
  const wq = p('wq', [D, D]), wk = p('wk', [D, D]), wv = p('wv', [D, D]), wo = p('wo', [D, D]);
  const w1 = p('w1', [D, F]), b1 = p('b1', [F]), w2 = p('w2', [F, D]), b2 = p('b2', [D]);
  const lnfs = p('lnf_s', [D]), head = p('head', [D, V]);
  const x0 = add(gather(tok, ids), pos); // positions broadcast over the batch
  const x1 = add(x0, causalSelfAttention(layerNorm(x0, ln1s, ln1b), { wq, wk, wv, wo }, HEADS));
  const x2 = add(x1, linear(gelu(linear(layerNorm(x1, ln2s, ln2b), w1, b1)), w2, b2));
  const logits = matmul(layerNorm(x2, lnfs), head);
  return {
    loss: softmaxCrossEntropy(logits, targets),
    wrt: [tok, pos, ln1s, ln1b, wq, wk, wv, wo, ln2s, ln2b, w1, b1, w2, b2, lnfs, head],
  };
}

test('tiny causal transformer block (embedding, layer norm, attention, GELU MLP, head): every parameter gradient', async () => {
  const r = await gradCheck((g) => tinyTransformer(g, 'float64'), { feeds: LM_FEEDS });
  assert.equal(r.checked, V * D + T * D + 4 * D + 4 * D * D + 2 * D * F + F + D + D + D * V);

  // The same model in float32 (what training will run): its gradients agree with the float64 ones to
  // float32 precision, 1e-4 of each parameter's largest gradient.
  const g = new Graph();
  const { loss, wrt } = tinyTransformer(g, 'float32');
  gradients(loss, wrt).forEach((gr, i) => g.output(`d_${i}`, gr!));
  const run = await compile(g);
  const feeds32: Record<string, Feed> = { ...LM_FEEDS };
  for (const x of g.inputs) if (x.dtype === 'float32') feeds32[x.attrs.name] = Float32Array.from(r.feeds[x.attrs.name] as Float64Array);
  const out = await run.run(feeds32);
  wrt.forEach((w, i) => {
    const name = w.op === 'Input' ? w.attrs.name : '';
    const want = r.grads[name]!;
    const got = out[`d_${i}`] as Float32Array;
    const scale = Math.max(...Array.from(want, Math.abs));
    want.forEach((v, k) => assert.ok(Math.abs(got[k] - v) <= 1e-4 * scale, `float32 d_${name}[${k}]: ${got[k]} vs ${v}`));
  });
  await run.release();
});

test('causal attention: a position never sees later positions', async () => {
  // d out[t] / d x[s] must be zero for s > t; checked with the engine on a one-head block.
  const [T, D] = [4, 4];
  const g = new Graph();
  const x = f64(g, 'x', [1, T, D]);
  const w = { wq: f64(g, 'wq', [D, D]), wk: f64(g, 'wk', [D, D]), wv: f64(g, 'wv', [D, D]), wo: f64(g, 'wo', [D, D]) };
  const y = causalSelfAttention(x, w, 1);
  const sel = g.input('sel', 'float64', [1, T, D]);
  const [gx] = gradients(reduceSum(mul(y, sel)), [x]);
  g.output('gx', gx!);
  const run = await compile(g);
  const rng = new Rng(11);
  const feeds: Record<string, Feed> = {};
  for (const i of g.inputs) feeds[i.attrs.name] = Float64Array.from({ length: i.shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  for (let t = 0; t < T; t++) {
    const s = new Float64Array(T * D);
    s.fill(1, t * D, t * D + D);
    feeds.sel = s;
    const d = (await run.run(feeds)).gx as Float64Array;
    for (let later = t + 1; later < T; later++) {
      assert.ok(d.subarray(later * D, later * D + D).every((v) => v === 0), `out[${t}] depends on x[${later}]`);
    }
    assert.ok(d.subarray(t * D, t * D + D).some((v) => v !== 0), `out[${t}] depends on x[${t}]`);
  }
  await run.release();
});

// ---- operators with hand-written rules for speed (issue 18) ----

test('gradient of Sigmoid matches finite differences', async () => {
  const r = await gradCheck((g) => {
    const x = f64(g, 'x', [3, 4]);
    return { loss: probe(sigmoid(x)), wrt: [x] };
  });
  assert.equal(r.checked, 12);
});

test('gradient of the per-position cross-entropy, weighted by a mask, matches finite differences and is (softmax - onehot) w', async () => {
  const labels = [1, 0, 3, 3, 2, 1];
  const w = Float64Array.of(1, 0, 1, 0.5, 1, 0);
  const r = await gradCheck((g) => {
    const z = f64(g, 'z', [2, 3, 4]);
    const nll = crossEntropyPerPosition(z, g.input('labels', 'int64', [2, 3]));
    return { loss: reduceSum(mul(nll, g.input('w', 'float64', [2, 3]))), wrt: [z] };
  }, { feeds: { labels: int64(labels), w } });
  const z = r.feeds.z as Float64Array;
  for (let i = 0; i < 6; i++) {
    const row = Array.from(z.subarray(i * 4, i * 4 + 4));
    const s = row.reduce((acc, v) => acc + Math.exp(v), 0);
    for (let j = 0; j < 4; j++) {
      const expected = (Math.exp(row[j]) / s - (j === labels[i] ? 1 : 0)) * w[i];
      assert.ok(Math.abs(r.grads.z![i * 4 + j] - expected) < 1e-14, `d/dz[${i},${j}]`);
    }
  }
});

test('LayerNormalization in float32 takes the kernel\'s own mean and 1/std, and agrees with the float64 gradient', async () => {
  const build = (dtype: FloatDType) => {
    const g = new Graph();
    const x = g.input('x', dtype, [6, 8]), s = g.input('s', dtype, [8]), b = g.input('b', dtype, [8]);
    const loss = reduceSum(mul(layerNorm(x, s, b), g.input('r', dtype, [6, 8])));
    gradients(loss, [x, s, b]).forEach((gr, i) => g.output(`d${i}`, gr!));
    return g;
  };
  const g32 = build('float32');
  const ln = toModel(g32).graph!.node!.find((n) => n.opType === 'LayerNormalization')!;
  assert.equal(ln.output!.filter(Boolean).length, 3, 'the float32 gradient reads the mean and 1/std outputs');
  const ln64 = toModel(build('float64')).graph!.node!.filter((n) => n.opType === 'LayerNormalization');
  assert.ok(ln64.every((n) => n.output!.length === 1), 'float64 recomputes them');
  const rng = new Rng(11);
  const values = Object.fromEntries([['x', 48], ['s', 8], ['b', 8], ['r', 48]].map(([k, n]) => [k, Float64Array.from({ length: n as number }, () => rng.normal() * (k === 'x' ? 3 : 1) + (k === 'x' ? 2 : 0))]));
  const run = async (g: Graph, f: (a: Float64Array) => Feed) => {
    const c = await compile(g);
    const out = await c.run(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, f(v)])));
    await c.release();
    return [0, 1, 2].map((i) => Array.from(out[`d${i}`] as Float32Array | Float64Array));
  };
  const want = await run(build('float64'), (a) => a);
  const got = await run(g32, (a) => Float32Array.from(a));
  want.forEach((w, i) => {
    const scale = Math.max(...w.map(Math.abs));
    w.forEach((v, k) => assert.ok(Math.abs(got[i][k] - v) <= 1e-5 * scale, `d${i}[${k}]: ${got[i][k]} vs ${v}`));
  });
});

test('GELU is one node here and six kernels with no Pow in ONNX; its rule reads the forward pass\'s x² and gate', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [4, 5]);
  const y = gelu(x);
  g.output('y', y);
  g.output('dx', gradients(reduceSum(y), [x])[0]!);
  const nodes = toModel(g).graph!.node!;
  assert.ok(!nodes.some((n) => n.opType === 'Pow' || n.opType === 'Tanh'), nodes.map((n) => n.opType).join(' '));
  assert.equal(nodes.filter((n) => n.opType === 'Sigmoid').length, 1, 'the backward pass reuses the forward gate');
});

test('a backward Add of two Gemm products is written as one Gemm with C, and gives the checked gradient', async () => {
  // x feeds two Gemms, so d x is the sum of two products: the Add becomes the second Gemm's C input.
  const build = (g: Graph): Built => {
    const x = f64(g, 'x', [3, 4]), w1 = f64(g, 'w1', [4, 5]), w2 = f64(g, 'w2', [4, 2]);
    return { loss: add(probe(gemm(x, w1), 'r1'), probe(gemm(x, w2), 'r2')), wrt: [x, w1, w2] };
  };
  await gradCheck(build);
  const g = new Graph();
  const { loss, wrt } = build(g);
  g.output('dx', gradients(loss, wrt)[0]!);
  const nodes = toModel(g).graph!.node!;
  assert.ok(!nodes.some((n) => n.opType === 'Add'), nodes.map((n) => n.opType).join(' '));
  const withC = nodes.filter((n) => n.opType === 'Gemm' && n.input!.length === 3);
  assert.equal(withC.length, 1, 'one Gemm adds the other product');
  assert.equal(withC[0].attribute!.find((a) => a.name === 'beta')!.f, 1);
});

test('Relu\'s backward mask reads the Relu\'s output, so a Gemm before it feeds the Relu alone (ONNX Runtime fuses the two)', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [4, 3]), w = g.input('w', 'float32', [3, 5]);
  const y = relu(gemm(x, w));
  const loss = probe(y);
  g.output('loss', loss);
  g.output('dw', gradients(loss, [w])[0]!);
  const nodes = toModel(g).graph!.node!;
  const product = nodes.find((n) => n.opType === 'Gemm' && n.input![0] === 'x')!.output![0];
  assert.deepEqual(nodes.filter((n) => n.input!.includes(product)).map((n) => n.opType), ['Relu']);
});
