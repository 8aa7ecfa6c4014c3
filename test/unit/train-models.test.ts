import '../helpers/private-tmp.js';
/**
 * Both models built in float64 and every parameter's gradient checked against central finite differences
 * of the same loss (the models' builders take the dtype of their inputs), plus the shapes and the data
 * helpers they rely on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/search/rng.js';
import { Graph, compile, gradients, type Feed } from '../../src/train/onnx/index.js';
import { gpt, type GptSizes } from '../../src/train/models/gpt.js';
import { mlp, type MlpSizes } from '../../src/train/models/mlp.js';
import type { ModelDef } from '../../src/train/models/types.js';
import { shiftImage } from '../../src/train/data/mnist.js';
import { shiftInto } from '../../src/train/tasks/mnist.js';
import { embedCorner } from '../../src/train/params.js';

const H = 1e-5;
const RTOL = 1e-6;
const ATOL = 1e-8;

/**
 * Every parameter element of `model` at `sizes`: analytic gradient (autodiff, float64) against the central
 * difference of the loss. Parameters are drawn N(0, 0.5), so no output projection starts at zero.
 */
async function checkModel<S>(model: ModelDef<S>, sizes: S, batch: number, data: Record<string, Feed>): Promise<number> {
  const g = new Graph();
  const specs = model.params(sizes);
  const p = Object.fromEntries(specs.map((s) => [s.name, g.input(s.name, 'float64', s.shape)]));
  const loss = model.loss(sizes, p, model.batchInputs(g, sizes, batch, 'float64'));
  g.output('loss', loss);
  gradients(loss, specs.map((s) => p[s.name])).forEach((gr, i) => g.output(`d/${specs[i].name}`, gr!));
  const full = await compile(g);
  const forward = await compile(g, { outputs: ['loss'] });
  const rng = new Rng(17);
  const feeds: Record<string, Feed> = { ...data };
  for (const s of specs) feeds[s.name] = Float64Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => 0.5 * rng.normal());
  const out = await full.run(feeds);
  const lossAt = async () => (await forward.run(feeds)).loss[0] as number;
  let checked = 0;
  for (const s of specs) {
    const x = feeds[s.name] as Float64Array;
    const analytic = out[`d/${s.name}`] as Float64Array;
    for (let k = 0; k < x.length; k++) {
      const keep = x[k];
      x[k] = keep + H;
      const up = await lossAt();
      x[k] = keep - H;
      const down = await lossAt();
      x[k] = keep;
      const numeric = (up - down) / (2 * H);
      const bound = ATOL + RTOL * Math.max(Math.abs(analytic[k]), Math.abs(numeric));
      assert.ok(Math.abs(analytic[k] - numeric) <= bound, `d loss / d ${s.name}[${k}]: analytic ${analytic[k]}, numeric ${numeric}`);
      checked++;
    }
  }
  await full.release();
  await forward.release();
  return checked;
}

const count = <S>(model: ModelDef<S>, sizes: S) => model.params(sizes).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

test('mlp (stem, 2 residual blocks, head, cross-entropy): every parameter gradient in float64', async () => {
  const sizes: MlpSizes = mlp.sizes({ inputs: 6, hidden: 5, ffn: 4, depth: 2, classes: 3 });
  const rng = new Rng(3);
  const data = { x: Float64Array.from({ length: 4 * 6 }, () => rng.normal()), y: BigInt64Array.from([0, 2, 1, 2], BigInt) };
  assert.equal(await checkModel(mlp, sizes, 4, data), count(mlp, sizes));
});

const GPT_DATA = {
  x: BigInt64Array.from([0, 3, 1, 4, 0, 2, 2, 0], BigInt),
  y: BigInt64Array.from([3, 1, 4, 0, 2, 2, 0, 0], BigInt),
  // The second name ends early: its last target is padding and must not count.
  mask: Float64Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
};

for (const tied of [false, true]) {
  test(`gpt (embeddings, attention with biases, GELU MLP, layer norms, ${tied ? 'tied' : 'untied'} head, masked loss): every parameter gradient in float64`, async () => {
    const sizes: GptSizes = gpt.sizes({ vocab: 5, block: 4, embd: 4, heads: 2, layers: 2, ffn: 6, tied });
    assert.equal(await checkModel(gpt, sizes, 2, GPT_DATA), count(gpt, sizes));
  });
}

test('gpt: padding positions do not change the loss, and a position never sees later tokens', async () => {
  const sizes = gpt.sizes({ vocab: 5, block: 4, embd: 4, heads: 2, layers: 1, ffn: 6 });
  const g = new Graph();
  const specs = gpt.params(sizes);
  const p = Object.fromEntries(specs.map((s) => [s.name, g.input(s.name, 'float64', s.shape)]));
  const batch = gpt.batchInputs(g, sizes, 2, 'float64');
  g.output('loss', gpt.loss(sizes, p, batch));
  g.output('logits', gpt.logits(sizes, p, batch));
  const run = await compile(g);
  const rng = new Rng(4);
  const feeds: Record<string, Feed> = { ...GPT_DATA };
  for (const s of specs) feeds[s.name] = Float64Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => 0.5 * rng.normal());
  const base = await run.run(feeds);
  // Change the masked target and the last input token of row 1: the loss stays, earlier logits stay.
  const out = await run.run({ ...feeds, y: BigInt64Array.from([3, 1, 4, 0, 2, 2, 0, 4], BigInt), x: BigInt64Array.from([0, 3, 1, 4, 0, 2, 2, 3], BigInt) });
  assert.equal(out.loss[0], base.loss[0]);
  const before = base.logits as Float64Array;
  const after = out.logits as Float64Array;
  assert.equal(after.length, 8 * 5);
  assert.deepEqual(Array.from(after.subarray(0, 7 * 5)), Array.from(before.subarray(0, 7 * 5)), 'positions before the change');
  assert.notDeepEqual(Array.from(after.subarray(7 * 5)), Array.from(before.subarray(7 * 5)), 'the changed position');
  await run.release();
});

test('sizes are checked and named; growth gives bigger sizes', () => {
  assert.throws(() => gpt.sizes({ embd: 30, heads: 4 }), /gpt embd is 30, but must be divisible by heads \(4\)/);
  assert.throws(() => mlp.sizes({ hidden: 0 }), /mlp hidden is 0, but must be a whole number >= 1/);
  assert.equal(gpt.sizes({ embd: 32 }).ffn, 128);
  assert.deepEqual(mlp.grow(mlp.sizes({ hidden: 8 }), 'widen_mlp', 3), mlp.sizes({ hidden: 8, ffn: 11 }));
  assert.equal(gpt.grow(gpt.sizes({}), 'stack_layers', 2).layers, 4);
});

test('the fast image shift equals shiftImage for every shift in [-2, 2]^2 (and beyond)', () => {
  const rng = new Rng(9);
  const src = Float32Array.from({ length: 2 * 784 }, () => rng.next());
  for (let dx = -3; dx <= 3; dx++) {
    for (let dy = -3; dy <= 3; dy++) {
      const want = new Float32Array(784 + 7).fill(7);
      const got = new Float32Array(784 + 7).fill(7);
      shiftImage(src, 784, want, 7, dx, dy);
      shiftInto(src, 784, got, 7, dx, dy);
      assert.deepEqual(got, want, `shift (${dx}, ${dy})`);
    }
  }
});

test('growth embeds the old tensor in the leading corner', () => {
  const dst = new Float32Array(3 * 4);
  embedCorner(Float32Array.of(1, 2, 3, 4), [2, 2], dst, [3, 4]);
  assert.deepEqual(Array.from(dst), [1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => embedCorner(new Float32Array(4), [2, 2], new Float32Array(4), [1, 4]), /cannot embed/);
});
