/**
 * Test functions for bench/search-quality.ts. Every one is minimised; every one is deterministic (the
 * multi-fidelity one draws its noise from a hash of its inputs, so the same point at the same budget always
 * gives the same value, whatever order the points are asked in).
 *
 * Black-box (Surjanovic & Bingham, "Virtual Library of Simulation Experiments", sfu.ca/~ssurjano; the same
 * constants as Optuna's, HPOlib's and BoTorch's test functions):
 *
 *   Branin, x1 in [-5, 10], x2 in [0, 15]:
 *     f(x) = (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s,
 *     b = 5.1 / (4 pi^2), c = 5 / pi, r = 6, s = 10, t = 1 / (8 pi);
 *     global minimum 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
 *
 *   Hartmann-6, x in [0, 1]^6:
 *     f(x) = -sum_{i=1..4} alpha_i exp(-sum_{j=1..6} A_ij (x_j - P_ij)^2),
 *     alpha, A, P below; global minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
 *
 * Multi-fidelity: the fidelity-biased Hartmann-6 of mf-prior-bench (github.com/automl/mf-prior-bench,
 * src/mfpbench/synthetic/hartmann/generators.py, class MFHartmann6, as of commit 7ae8f94, read for this
 * file; the benchmark suite PriorBand was evaluated on). With the fidelity z in 1..Z (here z = the trial's
 * iteration, Z = max_t):
 *
 *   s(z)   = (ln z - ln 1) / (ln Z - ln 1)                         (log-scaled fidelity, 0 at z = 1, 1 at Z)
 *   f(x,z) = -sum_i (alpha_i - bias (1 - s(z))) exp(-sum_j A_ij (x_j - P_ij)^2)  +  noise (1 - s(z)) |eps(x, z)|
 *
 * eps(x, z) ~ N(0, 1), a pure function of (x, z): mf-prior-bench seeds numpy's default_rng with
 * |1337 z hash(x)|; we hash the six float64s and z with FNV-1a into our own xoshiro128** stream and take one
 * Box-Muller normal (the same distribution, not the same numbers). At z = Z both terms vanish and f is exactly
 * Hartmann-6. Both terms only ever raise the value (the bias subtracts the same amount from every alpha_i
 * and the exponentials are positive; the noise is |eps|), so f(x, z) >= f(x, Z) for every z: a low-budget
 * value is an upper bound on the full-budget one.
 *
 * mf-prior-bench's presets (bias, noise): its default MFHartmann6Benchmark (0.5, 0.1), "good" (2.5, 2.0),
 * "moderate" (3.0, 3.0), "bad" (3.5, 4.0), "terrible" (4.0, 5.0). It uses Z = 100; we use Z = max_t = 243.
 */
import { Rng } from '../src/search/rng.js';
import type { Config, SearchSpace } from '../src/search/space.js';

export interface BlackBoxProblem {
  readonly name: string;
  readonly dims: number;
  /** Known global minimum. */
  readonly optimum: number;
  /** The space in the order Optuna's side suggests it (the order matters for seeded draws). */
  readonly space: SearchSpace;
  readonly f: (c: Config) => number;
}

// ------------------------------------------------------------------------------------------------ Branin

const BRANIN = { a: 1, b: 5.1 / (4 * Math.PI ** 2), c: 5 / Math.PI, r: 6, s: 10, t: 1 / (8 * Math.PI) };

export function branin(x1: number, x2: number): number {
  const { a, b, c, r, s, t } = BRANIN;
  return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
}

// -------------------------------------------------------------------------------------------- Hartmann-6

export const HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2] as const;
export const HARTMANN6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
] as const;
export const HARTMANN6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((p) => p * 1e-4));
export const HARTMANN6_ARGMIN = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573] as const;
export const HARTMANN6_MIN = -3.32237;

/** The four exponentials exp(-sum_j A_ij (x_j - P_ij)^2). */
function hartmannBumps(x: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) {
      const d = x[j] - HARTMANN6_P[i][j];
      inner += HARTMANN6_A[i][j] * d * d;
    }
    out.push(Math.exp(-inner));
  }
  return out;
}

export function hartmann6(x: readonly number[]): number {
  const e = hartmannBumps(x);
  let h = 0;
  for (let i = 0; i < 4; i++) h -= HARTMANN6_ALPHA[i] * e[i];
  return h;
}

const H6_NAMES = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'] as const;
const h6Point = (c: Config): number[] => H6_NAMES.map((k) => c[k] as number);

export const BLACK_BOX: readonly BlackBoxProblem[] = [
  {
    name: 'branin',
    dims: 2,
    optimum: 0.397887,
    space: { x1: { type: 'uniform', low: -5, high: 10 }, x2: { type: 'uniform', low: 0, high: 15 } },
    f: (c) => branin(c.x1 as number, c.x2 as number),
  },
  {
    name: 'hartmann6',
    dims: 6,
    optimum: HARTMANN6_MIN,
    space: Object.fromEntries(H6_NAMES.map((k) => [k, { type: 'uniform', low: 0, high: 1 }])) as SearchSpace,
    f: (c) => hartmann6(h6Point(c)),
  },
];

// ------------------------------------------------------------------------------ multi-fidelity Hartmann-6

export interface MfHartmannOptions {
  /** mf-prior-bench's fidelity_bias. */
  readonly bias: number;
  /** mf-prior-bench's fidelity_noise. */
  readonly noise: number;
  /** The highest fidelity Z (= max_t); the lowest is 1. */
  readonly maxFidelity: number;
  /** Mixed into the noise hash (mf-prior-bench's default seed is 1337). */
  readonly seed: number;
}

export interface MultiFidelityProblem {
  readonly name: string;
  readonly preset: string;
  readonly options: MfHartmannOptions;
  readonly optimum: number;
  readonly space: SearchSpace;
  /** The value of config c after z iterations (1 <= z <= Z). */
  readonly f: (c: Config, z: number) => number;
}

/** mf-prior-bench's (bias, noise) presets for MFHartmann6. */
export const MF_PRESETS = {
  default: { bias: 0.5, noise: 0.1 },
  good: { bias: 2.5, noise: 2.0 },
  moderate: { bias: 3.0, noise: 3.0 },
  bad: { bias: 3.5, noise: 4.0 },
  terrible: { bias: 4.0, noise: 5.0 },
} as const;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** FNV-1a over the 32-bit words of the inputs: a 32-bit seed that is a pure function of (seed, x, z). */
function noiseSeed(seed: number, x: readonly number[], z: number): number {
  let h = 0x811c9dc5;
  const mix = (w: number) => {
    for (let k = 0; k < 4; k++) {
      h ^= (w >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  mix(seed >>> 0);
  mix(z >>> 0);
  for (const v of x) {
    F64[0] = v;
    mix(U32[0]);
    mix(U32[1]);
  }
  return h >>> 0;
}

export function mfHartmann6(x: readonly number[], z: number, o: MfHartmannOptions): number {
  const s = Math.log(z) / Math.log(o.maxFidelity);
  const lower = 1 - s;
  const e = hartmannBumps(x);
  let h = 0;
  for (let i = 0; i < 4; i++) h -= (HARTMANN6_ALPHA[i] - o.bias * lower) * e[i];
  if (lower <= 0 || o.noise === 0) return h;
  const eps = new Rng(noiseSeed(o.seed, x, z)).normal();
  return h + Math.abs(eps) * o.noise * lower;
}

export function mfHartmannProblem(preset: keyof typeof MF_PRESETS, maxFidelity: number): MultiFidelityProblem {
  const options: MfHartmannOptions = { ...MF_PRESETS[preset], maxFidelity, seed: 1337 };
  return {
    name: `mf-hartmann6 (${preset}: bias ${options.bias}, noise ${options.noise})`,
    preset,
    options,
    optimum: HARTMANN6_MIN,
    space: BLACK_BOX[1].space,
    f: (c, z) => mfHartmann6(h6Point(c), z, options),
  };
}
