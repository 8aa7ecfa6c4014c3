import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkpointName, pruneCheckpoints } from './checkpoint-files.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RngState } from '../search/rng.js';
import type { Mlp, MlpOptimizer } from './mlp.js';

/** Everything the built-in worker needs to continue bit for bit: model, optimizer, RNG and data position. */
export interface MlpTrainingState {
  iteration: number;
  /** Validation boundaries passed (the eval interval itself may change during training). */
  boundaries: number;
  /** The hyperparameters now in force: scheduled operations change them during training. */
  hyper: Record<string, number>;
  model: Mlp;
  optimizer: MlpOptimizer;
  rng: RngState;
  perm: Uint32Array;
  cursor: number;
  /** Only in a final checkpoint: the metrics of the trial's last report (the trial ended there). */
  final?: Record<string, number> | null;
}

const FORMAT = 'tune-mlp-checkpoint';
const VERSION = 2;

const f64 = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fromF64 = (s: string): Float64Array => {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Writes the checkpoint atomically; floats as raw IEEE bytes (base64) so NaN and every bit survive. */
export function saveMlpCheckpoint(dir: string, s: MlpTrainingState): string {
  const payload = {
    iteration: s.iteration,
    boundaries: s.boundaries,
    hyper: s.hyper,
    sizes: s.model.sizes,
    weights: s.model.weights.map(f64),
    biases: s.model.biases.map(f64),
    vw: s.optimizer.vw.map(f64),
    vb: s.optimizer.vb.map(f64),
    rng: s.rng,
    perm: Buffer.from(s.perm.buffer, s.perm.byteOffset, s.perm.byteLength).toString('base64'),
    cursor: s.cursor,
    ...(s.final ? { final: s.final } : {}),
  };
  const body = JSON.stringify(payload);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const name = checkpointName(s.iteration, '.json');
  const path = join(dir, name);
  writeFileAtomic(path, `{"format":"${FORMAT}","version":${VERSION},"sha256":"${sha256}","payload":${body}}\n`);
  pruneCheckpoints(dir, name);
  return path;
}

export function loadMlpCheckpoint(path: string): MlpTrainingState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read the checkpoint (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  const bodyStart = text.indexOf('"payload":');
  let header: { format?: unknown; version?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(text) as typeof header;
  } catch {
    throw new Error(`${path}: the checkpoint is truncated or not JSON; delete it to restart this trial from its previous checkpoint`);
  }
  if (header.format !== FORMAT) throw new Error(`${path}: not a tune MLP checkpoint (format ${JSON.stringify(header.format)})`);
  if (header.version !== VERSION) throw new Error(`${path}: checkpoint version ${JSON.stringify(header.version)} is not supported (this tune reads ${VERSION})`);
  const body = text.slice(bodyStart + '"payload":'.length, text.lastIndexOf('}'));
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== header.sha256) throw new Error(`${path}: checksum mismatch, the checkpoint is corrupt`);
  const p = JSON.parse(body) as {
    iteration: number; boundaries: number; hyper: Record<string, number>; sizes: number[]; weights: string[]; biases: string[]; vw: string[]; vb: string[];
    rng: RngState; perm: string; cursor: number; final?: Record<string, number>;
  };
  const permBytes = Buffer.from(p.perm, 'base64');
  return {
    iteration: p.iteration,
    boundaries: p.boundaries,
    hyper: p.hyper,
    model: { sizes: p.sizes, weights: p.weights.map(fromF64), biases: p.biases.map(fromF64) },
    optimizer: { vw: p.vw.map(fromF64), vb: p.vb.map(fromF64) },
    rng: p.rng,
    perm: new Uint32Array(permBytes.buffer.slice(permBytes.byteOffset, permBytes.byteOffset + permBytes.byteLength)),
    cursor: p.cursor,
    final: p.final ?? null,
  };
}
