/**
 * The JSON half of a trainer checkpoint (the tensors are the other half): model kind and sizes,
 * hyperparameters, iteration, RNG and data cursor, and the caller's own JSON. Checked field by field on
 * the way in, so a hand-edited or foreign file is refused with a reason rather than half-loaded.
 */
import type { RngState } from '../search/rng.js';
import { isPlainObject, type Json } from '../util/json.js';
import type { Hyperparameters } from './hyper.js';
import type { GptSizes } from './models/gpt.js';
import type { MlpSizes } from './models/mlp.js';

const FORMAT = 'tune-trainer-state';
/**
 * 2: the MLP's weights are stored [out, in] (models/mlp.ts); a version 1 file holds them [in, out], and is
 * still read (its MLP matrices transposed as they load: see savedTransposed), so older sessions resume.
 */
const VERSION = 2;
const READS = [1, 2];

/**
 * Whether a checkpoint of `version` holds a parameter of the current shape `shape` transposed (saved with
 * its two dimensions swapped), so that it must be transposed as it loads. Only version 1's MLP matrices are.
 */
export function savedTransposed(version: number, kind: 'mlp' | 'gpt', shape: readonly number[]): boolean {
  return version === 1 && kind === 'mlp' && shape.length === 2;
}

/** A row-major [rows, cols] matrix as [cols, rows]. */
export function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

export interface TrainerState {
  readonly kind: 'mlp' | 'gpt';
  readonly sizes: MlpSizes | GptSizes;
  readonly hyper: Hyperparameters;
  readonly iteration: number;
  readonly rng: RngState;
  readonly cursor: number;
  readonly epoch: number;
  readonly extra: Json;
}

export function encodeState(s: TrainerState): Json {
  // Sizes and hyperparameters are flat records of numbers, booleans and strings, so already JSON.
  const flat = (o: object): Json => ({ ...o }) as Json;
  return {
    format: FORMAT,
    version: VERSION,
    kind: s.kind,
    sizes: flat(s.sizes),
    hyper: flat(s.hyper),
    iteration: s.iteration,
    rng: [...s.rng],
    cursor: s.cursor,
    epoch: s.epoch,
    extra: s.extra,
  };
}

export function decodeState(path: string, j: Json): Omit<TrainerState, 'sizes' | 'hyper'> & { sizes: Partial<MlpSizes & GptSizes>; hyper: Partial<Hyperparameters>; version: number } {
  const fail = (what: string): never => {
    throw new Error(`${path}: not a trainer checkpoint this tune can read (${what})`);
  };
  if (!isPlainObject(j)) return fail('its state is not an object');
  if (j.format !== FORMAT) fail(`format ${JSON.stringify(j.format)}`);
  if (!READS.includes(j.version as number)) fail(`state version ${JSON.stringify(j.version)}, this tune reads ${READS.join(' and ')}`);
  if (j.kind !== 'mlp' && j.kind !== 'gpt') fail(`model kind ${JSON.stringify(j.kind)}`);
  const whole = (k: string): number => {
    const v = j[k];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail(`${k} is ${JSON.stringify(v)}`);
  };
  const rng = j.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || !rng.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w < 2 ** 32)) fail('bad rng state');
  if (!isPlainObject(j.sizes) || !isPlainObject(j.hyper)) fail('sizes or hyperparameters missing');
  return {
    version: j.version as number,
    kind: j.kind as 'mlp' | 'gpt',
    // Checked again, value by value, by the model's sizes() and resolveHyper() when the trainer is built.
    sizes: j.sizes as Partial<MlpSizes & GptSizes>,
    hyper: j.hyper as Partial<Hyperparameters>,
    iteration: whole('iteration'),
    rng: rng as RngState,
    cursor: whole('cursor'),
    epoch: whole('epoch'),
    extra: j.extra ?? null,
  };
}
