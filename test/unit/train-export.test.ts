import '../helpers/private-tmp.js';
/**
 * The exported ONNX model is the forward pass alone (one input, `logits` out, the parameters and nothing of
 * training), its batch dimension is free, and it gives the trainer's own logits: bit for bit at the batch
 * size the trainer evaluates with, within float rounding at others (a one-row product takes another kernel
 * and sums in another order), also after the model grew (its sizes then come from the checkpoint).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/train/export.js';
import { loadMnist } from '../../src/train/data/mnist.js';
import { loadNames } from '../../src/train/data/names.js';
import { readTrainedModel, Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { tmpDir } from '../helpers/tune.js';

const dir = tmpDir('tune-train-export-');
/** ONNX Runtime prepacks constant Gemm weights by default, which sums in another order; training feeds them. */
const AS_TRAINED: ort.InferenceSession.SessionOptions = { extra: { session: { disable_prepacking: '1' } } };

/** evalBatch: the trainer's own evaluation batch (tasks/*.ts). */
const CASES: { config: TrainerConfig; grow: string; input: string; perExample: number; shape: (string | number)[]; evalBatch: number }[] = [
  { config: { kind: 'mlp', seed: 4, sizes: { hidden: 8, depth: 1 }, hyper: { batch_size: 8 } }, grow: 'widen_mlp', input: 'image', perExample: 784, shape: ['N', 10], evalBatch: 500 },
  { config: { kind: 'gpt', seed: 4, sizes: { embd: 8, heads: 2, layers: 1 }, hyper: { batch_size: 4 } }, grow: 'stack_layers', input: 'tokens', perExample: 16, shape: ['N', 16, 28], evalBatch: 256 },
];

for (const c of CASES) {
  test(`${c.config.kind}: forward only, a free batch dimension, the trainer's logits at batch sizes 1, 7 and its own`, async () => {
    const trainer = Trainer.create(c.config);
    await trainer.trainSteps(2);
    trainer.applyOperation({ name: c.grow, value: 1 });
    await trainer.trainSteps(2);
    const path = join(dir, `${c.config.kind}.ckpt`);
    trainer.save(path);
    const expected = await trainer.validationLogits();
    const paramCount = [...trainer.parameters().values()].reduce((n, p) => n + p.length, 0);
    await trainer.release();

    const exported = exportOnnx(readTrainedModel(path, readFileSync(path)), { builtin: c.config.kind });
    assert.deepEqual([exported.input.name, exported.output.name, exported.output.shape], [c.input, 'logits', c.shape]);
    const model = onnxProto.onnx.ModelProto.decode(exported.bytes);
    const g = model.graph!;
    assert.deepEqual(g.input!.map((x) => x.name), [c.input]);
    assert.deepEqual(g.output!.map((x) => x.name), ['logits']);
    assert.deepEqual(g.output![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)), c.shape);
    // The trained parameters are the only large tensors; no optimizer state, no gradient (ScatterND) nodes.
    const named = g.initializer!.filter((t) => !t.name!.startsWith('#'));
    assert.equal(named.reduce((n, t) => n + t.rawData!.length / 4, 0), paramCount);
    assert.ok(!g.node!.some((n) => n.opType === 'ScatterND'), 'no backward pass');
    assert.deepEqual(Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])).iteration, '4');

    const session = await ort.InferenceSession.create(exported.bytes, AS_TRAINED);
    const source = c.config.kind === 'mlp' ? loadMnist().val.x : loadNames(16).val.x;
    const rowFloats = expected.length / (c.config.kind === 'mlp' ? loadMnist().val.n : loadNames(16).val.n);
    for (const n of [1, 7, c.evalBatch]) {
      const data = source.slice(0, n * c.perExample);
      const tensor = data instanceof Float32Array ? new ort.Tensor('float32', data, [n, c.perExample]) : new ort.Tensor('int64', data as BigInt64Array, [n, c.perExample]);
      const got = (await session.run({ [c.input]: tensor })).logits;
      assert.equal(got.dims[0], n);
      const want = Array.from(expected.subarray(0, n * rowFloats));
      if (n === c.evalBatch) assert.deepEqual(Array.from(got.data as Float32Array), want, `batch ${n}, as the trainer evaluates`);
      else (got.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `batch ${n}, logit ${i}: ${v} vs ${want[i]}`));
    }
    await session.release();
  });
}
