import '../helpers/private-tmp.js';
/**
 * Growth operations on trained models: the validation loss right after equals the loss before (1e-5), old
 * parameters and optimizer state are carried over, new optimizer state is zero, new output weights are
 * zero, and the grown model trains on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, type TrainerConfig } from '../../src/train/index.js';

const CONFIGS: TrainerConfig[] = [
  { kind: 'mlp', seed: 3, sizes: { hidden: 32, depth: 1 }, hyper: { batch_size: 32 } },
  { kind: 'gpt', seed: 3, sizes: { embd: 16, heads: 2, layers: 1 }, hyper: { batch_size: 16, warmup_iters: 0 } },
];

/** Elements of `after` outside the leading corner that `before` occupies (shapes from the old/new specs). */
function newElements(before: Float32Array, after: Float32Array, oldShape: number[], newShape: number[]): { old: number[]; fresh: number[] } {
  const old: number[] = [];
  const fresh: number[] = [];
  const cols = newShape[newShape.length - 1];
  const oldCols = oldShape[oldShape.length - 1];
  const oldRows = before.length / oldCols;
  for (let i = 0; i < after.length; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    if (r < oldRows && c < oldCols) old.push(i);
    else fresh.push(i);
  }
  return { old, fresh };
}

for (const config of CONFIGS) {
  for (const op of ['widen_mlp', 'stack_layers'] as const) {
    test(`${config.kind} ${op}: loss unchanged within 1e-5, state carried over, new weights silent, training goes on`, async () => {
      const t = Trainer.create(config);
      await t.trainSteps(25);
      const before = await t.evaluate();
      const oldShapes = shapes(t);
      const params = copy(t.parameters());
      const m = copy(t.optimizerState('m'));
      const v = copy(t.optimizerState('v'));

      t.applyOperation({ name: op, value: 2 });
      const after = await t.evaluate();
      assert.ok(Math.abs(after.val_loss - before.val_loss) <= 1e-5, `val_loss ${before.val_loss} -> ${after.val_loss}`);
      if (before.val_acc !== undefined) assert.equal(after.val_acc, before.val_acc);

      const newShapes = shapes(t);
      const grown = [...newShapes.keys()].filter((k) => !oldShapes.has(k) || oldShapes.get(k)!.join() !== newShapes.get(k)!.join());
      assert.ok(grown.length > 0, 'some parameter grew or appeared');
      for (const [name, p] of t.parameters()) {
        const mNow = t.optimizerState('m').get(name)!;
        const vNow = t.optimizerState('v').get(name)!;
        if (!params.has(name)) {
          assert.ok(mNow.every((x) => x === 0) && vNow.every((x) => x === 0), `${name}: a new parameter starts with zero state`);
          if (/\.(w2|b2|attn\.o\.[wb]|proj\.[wb])$/.test(name)) assert.ok(p.every((x) => x === 0), `${name}: a new output projection starts at zero`);
          continue;
        }
        const { old, fresh } = newElements(params.get(name)!, p, oldShapes.get(name)!, newShapes.get(name)!);
        const flatOld = params.get(name)!;
        old.forEach((i, j) => {
          assert.equal(p[i], flatOld[j], `${name}[${i}] kept`);
          assert.equal(mNow[i], m.get(name)![j], `${name}[${i}] m kept`);
          assert.equal(vNow[i], v.get(name)![j], `${name}[${i}] v kept`);
        });
        for (const i of fresh) assert.ok(mNow[i] === 0 && vNow[i] === 0, `${name}[${i}]: new state is zero`);
        if (/\.(w2|proj\.w)$/.test(name)) for (const i of fresh) assert.equal(p[i], 0, `${name}[${i}]: new outgoing weight is zero`);
      }

      const loss = await t.trainSteps(10);
      assert.ok(Number.isFinite(loss));
      const moved = [...t.parameters()].some(([name, p]) => grown.includes(name) && /\.(w2|proj\.w|attn\.o\.w)$/.test(name) && p.some((x) => x !== 0));
      assert.ok(moved, 'the new output weights start learning');
      await t.release();
    });
  }
}

test('growth operations are validated: whole numbers >= 1 only', () => {
  const t = Trainer.create(CONFIGS[0]);
  assert.throws(() => t.applyOperation({ name: 'widen_mlp', value: 0 }), /widen_mlp: value 0 must be a whole number >= 1/);
});

function copy(m: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...m].map(([k, v]) => [k, v.slice()]));
}

function shapes(t: Trainer): Map<string, number[]> {
  return new Map([...t.parameterShapes()].map(([k, v]) => [k, [...v]]));
}
