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
