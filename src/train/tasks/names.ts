/** The character GPT on English first names: predict each next character, the boundary '.' included. */
import { loadNames, type CharSet } from '../data/names.js';
import { gpt, type GptSizes } from '../models/gpt.js';
import type { BatchFeeds } from '../models/types.js';
import type { Task } from './types.js';

export function namesTask(block: number): Task<GptSizes> {
  const data = loadNames(block);
  const copyRows = (set: CharSet, rows: ArrayLike<number>, count: number, feeds: BatchFeeds): void => {
    // allocate() makes these exact types.
    const x = feeds.x as BigInt64Array;
    const y = feeds.y as BigInt64Array;
    const mask = feeds.mask as Float32Array;
    for (let b = 0; b < count; b++) {
      const from = rows[b] * block;
      x.set(set.x.subarray(from, from + block), b * block);
      y.set(set.y.subarray(from, from + block), b * block);
      mask.set(set.mask.subarray(from, from + block), b * block);
    }
    x.fill(0n, count * block);
    y.fill(0n, count * block);
    mask.fill(0, count * block);
  };
  return {
    model: gpt,
    fixSizes: (partial) => ({ ...partial, vocab: data.vocab.length, block }),
    trainSize: data.train.n,
    valSize: data.val.n,
    evalBatch: 256,
    reportsAccuracy: false,
    allocate: (_sizes, batch) => ({
      x: new BigInt64Array(batch * block),
      y: new BigInt64Array(batch * block),
      mask: new Float32Array(batch * block),
    }),
    fillTrain: (idx, feeds) => copyRows(data.train, idx, idx.length, feeds),
    fillVal(start, count, feeds) {
      copyRows(data.val, Array.from({ length: count }, (_, i) => start + i), count, feeds);
      return (feeds.mask as Float32Array).slice();
    },
  };
}
