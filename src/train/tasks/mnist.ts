/** The residual MLP on MNIST digits (8,500 train / 1,500 validation), with random ±2-pixel shifts. */
import type { Rng } from '../../search/rng.js';
import { loadMnist, MNIST_PIXELS } from '../data/mnist.js';
import { mlp, type MlpSizes } from '../models/mlp.js';
import type { BatchFeeds } from '../models/types.js';
import type { Task } from './types.js';

const MAX_SHIFT = 2;
const SIDE = 28;

/**
 * shiftImage (data/mnist.ts), done with block copies: a shift by (dx, dy) moves every pixel by the same
 * flat offset dy*28 + dx, after which only the |dx| columns that wrapped into the neighbouring row need
 * zeroing. Four times faster than a pixel loop, which matters at ~60 images a step.
 */
export function shiftInto(src: Float32Array, srcOff: number, dst: Float32Array, dstOff: number, dx: number, dy: number): void {
  const off = dy * SIDE + dx;
  const lo = Math.max(0, off);
  const hi = Math.min(MNIST_PIXELS, MNIST_PIXELS + off);
  dst.set(src.subarray(srcOff + lo - off, srcOff + hi - off), dstOff + lo);
  dst.fill(0, dstOff, dstOff + lo);
  dst.fill(0, dstOff + hi, dstOff + MNIST_PIXELS);
  const [c0, c1] = dx > 0 ? [0, dx] : [SIDE + dx, SIDE];
  for (let r = 0; r < SIDE; r++) for (let c = c0; c < c1; c++) dst[dstOff + r * SIDE + c] = 0;
}

export function mnistTask(): Task<MlpSizes> {
  const { train, val } = loadMnist();
  const images = (f: BatchFeeds): Float32Array => f.x as Float32Array; // allocate() makes x a Float32Array
  const labels = (f: BatchFeeds): BigInt64Array => f.y as BigInt64Array;
  return {
    model: mlp,
    fixSizes: (partial) => ({ ...partial, inputs: MNIST_PIXELS, classes: 10 }),
    trainSize: train.n,
    valSize: val.n,
    evalBatch: 500,
    reportsAccuracy: true,
    allocate: (_sizes, batch) => ({ x: new Float32Array(batch * MNIST_PIXELS), y: new BigInt64Array(batch) }),

    fillTrain(idx, feeds, rng: Rng, augment) {
      const x = images(feeds);
      const y = labels(feeds);
      for (let b = 0; b < idx.length; b++) {
        const k = idx[b];
        if (augment) {
          const dx = rng.int(-MAX_SHIFT, MAX_SHIFT);
          const dy = rng.int(-MAX_SHIFT, MAX_SHIFT);
          shiftInto(train.x, k * MNIST_PIXELS, x, b * MNIST_PIXELS, dx, dy);
        } else {
          x.set(train.x.subarray(k * MNIST_PIXELS, (k + 1) * MNIST_PIXELS), b * MNIST_PIXELS);
        }
        y[b] = BigInt(train.y[k]);
      }
    },

    fillVal(start, count, feeds) {
      const x = images(feeds);
      const y = labels(feeds);
      x.set(val.x.subarray(start * MNIST_PIXELS, (start + count) * MNIST_PIXELS));
      x.fill(0, count * MNIST_PIXELS);
      for (let b = 0; b < y.length; b++) y[b] = b < count ? BigInt(val.y[start + b]) : 0n;
      const w = new Float32Array(y.length);
      w.fill(1, 0, count);
      return w;
    },
  };
}
