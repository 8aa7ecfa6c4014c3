/**
 * The training data every engine of bench/trainer-speed.ts reads, so that all of them take the same data
 * path: the built-in trainer's own MNIST training split (augmentation off) and name rows, written once per
 * bench run as raw little-endian files that numpy, tfjs and Node read in one go. Each engine then draws
 * every batch the way the built-in trainer does: the next rows of a permutation reshuffled each epoch,
 * gathered into a batch buffer.
 *
 *   DIR/data.json      {"mnist": {"n", "pixels"}, "names": {"n", "block", "vocab"}}
 *   DIR/mnist-x.f32    n x 784 float32 pixels          DIR/mnist-y.i64   n int64 labels
 *   DIR/names-x.i64    n x block int64 context tokens  DIR/names-y.i64   n x block int64 targets
 *   DIR/names-mask.f32 n x block float32, 1 where the target is real
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, MNIST_PIXELS } from '../../src/train/data/mnist.js';
import { loadNames } from '../../src/train/data/names.js';

export interface PeerDataInfo {
  readonly mnist: { readonly n: number; readonly pixels: number };
  readonly names: { readonly n: number; readonly block: number; readonly vocab: number };
}

const bytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Writes the files into `dir` (which must exist) and returns what data.json says. */
export function writePeerData(dir: string, block = 16): PeerDataInfo {
  const { train } = loadMnist();
  const names = loadNames(block);
  writeFileSync(join(dir, 'mnist-x.f32'), bytes(train.x));
  writeFileSync(join(dir, 'mnist-y.i64'), bytes(BigInt64Array.from(train.y, (v) => BigInt(v))));
  writeFileSync(join(dir, 'names-x.i64'), bytes(names.train.x));
  writeFileSync(join(dir, 'names-y.i64'), bytes(names.train.y));
  writeFileSync(join(dir, 'names-mask.f32'), bytes(names.train.mask));
  const info: PeerDataInfo = {
    mnist: { n: train.n, pixels: MNIST_PIXELS },
    names: { n: names.train.n, block, vocab: names.vocab.length },
  };
  writeFileSync(join(dir, 'data.json'), `${JSON.stringify(info)}\n`);
  return info;
}

export interface PeerData {
  readonly info: PeerDataInfo;
  readonly mnistX: Float32Array;
  readonly mnistY: BigInt64Array;
  readonly namesX: BigInt64Array;
  readonly namesY: BigInt64Array;
  readonly namesMask: Float32Array;
}

/** The files writePeerData wrote, for a JavaScript peer. */
export function readPeerData(dir: string): PeerData {
  const info = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8')) as PeerDataInfo;
  const read = <T>(file: string, make: (b: ArrayBuffer) => T): T => {
    const b = readFileSync(join(dir, file));
    return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return {
    info,
    mnistX: read('mnist-x.f32', (b) => new Float32Array(b)),
    mnistY: read('mnist-y.i64', (b) => new BigInt64Array(b)),
    namesX: read('names-x.i64', (b) => new BigInt64Array(b)),
    namesY: read('names-y.i64', (b) => new BigInt64Array(b)),
    namesMask: read('names-mask.f32', (b) => new Float32Array(b)),
  };
}
