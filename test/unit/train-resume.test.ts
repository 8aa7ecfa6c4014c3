import '../helpers/private-tmp.js';
/**
 * Save + restore continues bit for bit: n steps straight equal k steps, a checkpoint, a fresh trainer
 * restored from it, and n - k more steps; every parameter, every optimizer state tensor, every loss and
 * the evaluation identical. For both models, with both optimizers, and across growth and hyperparameter
 * operations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer, type Operation, type TrainerConfig } from '../../src/train/index.js';
import { tmpDir } from '../helpers/tune.js';

const dir = tmpDir('tune-train-resume-');

/** A script: steps to train, or operations to apply, in order. */
type Action = number | Operation;

interface Run {
  losses: number[];
  trainer: Trainer;
}

async function play(t: Trainer, actions: readonly Action[], losses: number[]): Promise<void> {
  for (const a of actions) {
    if (typeof a === 'number') for (let i = 0; i < a; i++) losses.push(await t.trainSteps(1));
    else t.applyOperation(a);
  }
}

async function straight(config: TrainerConfig, before: Action[], after: Action[]): Promise<Run> {
  const trainer = Trainer.create(config);
  const losses: number[] = [];
  await play(trainer, [...before, ...after], losses);
  return { losses, trainer };
}

async function interrupted(config: TrainerConfig, before: Action[], after: Action[], name: string): Promise<Run> {
  const first = Trainer.create(config);
  const losses: number[] = [];
  await play(first, before, losses);
  const path = join(dir, `${name}.ckpt`);
  first.save(path, { schedule: { fired: [0] }, note: name });
  await first.release();
  const { trainer, extra } = Trainer.restore(path);
  assert.deepEqual(extra, { schedule: { fired: [0] }, note: name });
  await play(trainer, after, losses);
  return { losses, trainer };
}

async function assertSame(a: Run, b: Run): Promise<void> {
  assert.deepEqual(b.losses, a.losses, 'losses');
  assert.equal(b.trainer.iteration, a.trainer.iteration);
  assert.equal(b.trainer.epoch, a.trainer.epoch);
  assert.deepEqual(b.trainer.sizes, a.trainer.sizes);
  assert.deepEqual(b.trainer.hyper, a.trainer.hyper);
  const slots = a.trainer.hyper.optimizer === 'sgd' ? ['m'] : ['m', 'v'];
  for (const [what, x, y] of [
    ['parameter', a.trainer.parameters(), b.trainer.parameters()],
    ...slots.map((k) => [`state ${k}`, a.trainer.optimizerState(k), b.trainer.optimizerState(k)] as const),
  ] as const) {
    assert.deepEqual([...y.keys()], [...x.keys()], `${what} names`);
    for (const [name, t] of x) assert.ok(Buffer.from(t.buffer, t.byteOffset, t.byteLength).equals(Buffer.from(y.get(name)!.buffer, y.get(name)!.byteOffset, y.get(name)!.byteLength)), `${what} ${name} differs`);
  }
  assert.deepEqual(await b.trainer.evaluate(), await a.trainer.evaluate());
  await a.trainer.release();
  await b.trainer.release();
}

const MLP: TrainerConfig = { kind: 'mlp', seed: 11, sizes: { hidden: 32, depth: 1 }, hyper: { batch_size: 32, clip: 1, warmup_iters: 3 } };
const GPT: TrainerConfig = { kind: 'gpt', seed: 11, sizes: { embd: 16, heads: 2, layers: 1 }, hyper: { batch_size: 16, clip: 1 } };

for (const [label, config] of [
  ['mlp adamw', MLP],
  ['mlp sgd, 2 micro-batches', { ...MLP, hyper: { ...MLP.hyper, optimizer: 'sgd', lr: 0.05, grad_accum: 2 } }],
  ['gpt adamw', GPT],
  ['gpt sgd', { ...GPT, hyper: { ...GPT.hyper, optimizer: 'sgd', lr: 0.1 } }],
] as [string, TrainerConfig][]) {
  test(`${label}: 6 steps straight = 3 steps, save, restore in a fresh trainer, 3 steps (bit for bit)`, async () => {
    await assertSame(await straight(config, [3], [3]), await interrupted(config, [3], [3], label.replace(/\W+/g, '-')));
  });
}

for (const [label, config] of [['mlp', MLP], ['gpt', GPT]] as const) {
  test(`${label}: bit for bit across growth and hyperparameter operations, before and after the checkpoint`, async () => {
    const before: Action[] = [2, { name: 'widen_mlp', value: 3 }, { name: 'change_lr', value: 0.5 }, 2];
    const after: Action[] = [1, { name: 'stack_layers', value: 1 }, { name: 'set_batch_size', value: 8 }, { name: 'set_grad_accum', value: 2 }, 3];
    await assertSame(await straight(config, before, after), await interrupted(config, before, after, `${label}-growth`));
  });
}

test('a damaged checkpoint is refused with the reason', async () => {
  const t = Trainer.create(GPT);
  const path = join(dir, 'damaged.ckpt');
  t.save(path);
  const bytes = readFileSync(path);
  bytes[bytes.length - 5] ^= 1;
  writeFileSync(path, bytes);
  assert.throws(() => Trainer.restore(path), /checksum mismatch/);
  await t.release();
});

test('evaluation is deterministic and does not disturb training (no RNG draws, no shared buffers)', async () => {
  const plain = Trainer.create(MLP);
  const probed = Trainer.create(MLP);
  await plain.trainSteps(4);
  await probed.trainSteps(2);
  const first = await probed.evaluate();
  assert.deepEqual(await probed.evaluate(), first);
  await probed.trainSteps(2);
  for (const [name, p] of plain.parameters()) assert.deepEqual(probed.parameters().get(name), p, name);
  await plain.release();
  await probed.release();
});

test('a checkpoint of state version 1 (MLP weights saved [in, out]) still restores, to the same trainer as version 2', async () => {
  const { parseCheckpoint, saveCheckpoint } = await import('../../src/train/checkpoint.js');
  const { transpose2d } = await import('../../src/train/trainer-state.js');
  for (const config of [
    { kind: 'mlp', seed: 5, sizes: { hidden: 24, depth: 1 }, hyper: { optimizer: 'adamw', batch_size: 8 } },
    { kind: 'gpt', seed: 5, sizes: { embd: 16, heads: 2, layers: 1 }, hyper: { optimizer: 'sgd', batch_size: 4 } },
  ] as TrainerConfig[]) {
    const trainer = Trainer.create(config);
    await trainer.trainSteps(3);
    const v2 = join(dir, `now-${config.kind}.ckpt`);
    trainer.save(v2, null);
    // The same checkpoint as the previous tune wrote it: version 1, every MLP matrix [in, out].
    const { state, tensors } = parseCheckpoint(v2, readFileSync(v2));
    const shapes = trainer.parameterShapes();
    const old: typeof tensors = {};
    for (const [key, t] of Object.entries(tensors)) {
      const shape = shapes.get(key.slice(key.indexOf('/') + 1));
      old[key] = config.kind === 'mlp' && shape?.length === 2 ? transpose2d(t as Float32Array, shape[0], shape[1]) : t;
    }
    const v1 = join(dir, `v1-${config.kind}.ckpt`);
    saveCheckpoint(v1, { ...(state as Record<string, unknown>), version: 1 } as Parameters<typeof saveCheckpoint>[1], old);
    if (config.kind === 'mlp') assert.notDeepEqual(old['p/stem.w'], tensors['p/stem.w'], 'the version 1 file holds the matrices in the other layout');
    const a = Trainer.restore(v2).trainer;
    const b = Trainer.restore(v1).trainer;
    assert.deepStrictEqual(b.parameters(), a.parameters());
    for (const slot of config.hyper?.optimizer === 'adamw' ? ['m', 'v'] : ['m']) assert.deepStrictEqual(b.optimizerState(slot), a.optimizerState(slot));
    assert.equal(await b.trainSteps(2), await a.trainSteps(2));
    for (const t of [trainer, a, b]) await t.release();
  }
});
