import '../helpers/private-tmp.js';
/**
 * The character GPT (defaults: C=64, 4 heads, 2 layers, context 16) learns first names: after 300 AdamW
 * steps its validation loss is well below the best unigram model's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../src/train/index.js';
import { loadNames } from '../../src/train/data/names.js';

test('gpt on names: validation loss at least 0.4 nats below the unigram baseline after 300 steps', async (t) => {
  const started = performance.now();
  const trainer = Trainer.create({ kind: 'gpt', seed: 1 });
  const initial = (await trainer.evaluate()).val_loss;
  await trainer.trainSteps(300);
  const { val_loss } = await trainer.evaluate();
  const { unigramLoss } = loadNames(16);
  t.diagnostic(`val_loss ${initial.toFixed(3)} -> ${val_loss.toFixed(3)}, unigram ${unigramLoss.toFixed(3)}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.ok(initial > unigramLoss, 'starts no better than unigram');
  assert.ok(val_loss < unigramLoss - 0.4, `validation loss ${val_loss} vs unigram ${unigramLoss}`);
  await trainer.release();
});
