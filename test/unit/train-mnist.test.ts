import '../helpers/private-tmp.js';
/**
 * The residual MLP learns MNIST to at least 97% validation accuracy on a budget a test can afford: hidden
 * 256, one block, AdamW, batch 64 with random ±2-pixel shifts, 1,600 steps (about 12 epochs) with the
 * learning rate halved three times through the same change_lr operation a schedule would send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../src/train/index.js';

test('mlp on MNIST: >= 97% validation accuracy in 1,600 steps', async (t) => {
  const started = performance.now();
  const trainer = Trainer.create({
    kind: 'mlp',
    seed: 1,
    sizes: { hidden: 256, depth: 1 },
    hyper: { optimizer: 'adamw', lr: 2e-3, batch_size: 64, weight_decay: 0.05, warmup_iters: 100 },
  });
  for (const [steps, factor] of [[600, 0.5], [400, 0.5], [400, 0.5], [200, 1]] as const) {
    await trainer.trainSteps(steps);
    if (factor !== 1) trainer.applyOperation({ name: 'change_lr', value: factor });
  }
  const { val_acc, val_loss } = await trainer.evaluate();
  t.diagnostic(`val_acc ${val_acc} val_loss ${val_loss.toFixed(4)} after ${trainer.iteration} steps (epoch ${trainer.epoch}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(val_acc! >= 0.97, `validation accuracy ${val_acc}`);
  await trainer.release();
});
