import type { Rng } from '../rng.js';
import { roundToGrid, type ModelDim } from './dims.js';
import { logGaussMass, normLogPdf, truncnormPpf } from './truncnorm.js';

/** The estimator's knobs (Optuna's _ParzenEstimatorParameters; the prior is always on, as by default). */
export interface ParzenOptions {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  multivariate: boolean;
  /**
   * How a multivariate estimator sizes its kernels. 'scott' (the default here; Optuna 2.2 to 4.x): one
   * bandwidth for every kernel of a dimension, 0.2 · n^(−1/(d+4)) · range. 'gaps' (Optuna 5.0, PR #6746
   * with #6574): each kernel as wide as its larger gap to its neighbours in that dimension, as univariate
   * kernels are, except that the prior's centre does not count as a neighbour. The searcher uses 'gaps'.
   */
  multivariateBandwidth?: 'scott' | 'gaps';
}

const EPS = 1e-12;
/** Scott-like factor of the multivariate bandwidth (the BOHB paper's rule, as Optuna uses it). */
const SIGMA0_MAGNITUDE = 0.2;

/**
 * How much each of n observations (oldest first) counts: all alike below 25; beyond that the newest 25
 * count 1 and the older ones ramp up linearly from 1/n (Optuna's default_weights).
 */
export function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** One dimension's kernels: a truncated normal per component, or a categorical row per component. */
export type Kernel = NumericKernel | CategoricalKernel;

export interface NumericKernel {
  kind: 'numeric';
  /** Where the kernels are cut: the dimension's bounds, widened by half a step on a grid. */
  low: number;
  high: number;
  /** The grid step, or null for a continuous dimension. */
  step: number | null;
  /** The grid's own ends (equal to low and high when continuous). */
  gridLow: number;
  gridHigh: number;
  mus: number[];
  sigmas: number[];
  /** log of each kernel's normal mass inside [low, high]: its truncation constant. */
  logMass: number[];
}

export interface CategoricalKernel {
  kind: 'categorical';
  /** One row of category probabilities per component. */
  probs: number[][];
}

/**
 * A mixture with one component per observation plus the prior (last), each a product of one kernel per
 * dimension. Built from observations in chronological order (the weights favour the newest).
 */
export class ParzenEstimator {
  readonly weights: number[];
  readonly kernels: Kernel[];

  constructor(dims: ModelDim[], observations: number[][], opts: ParzenOptions) {
    const n = observations.length;
    const w = [...defaultWeights(n), opts.priorWeight];
    const total = w.reduce((s, x) => s + x, 0);
    this.weights = w.map((x) => x / total);
    this.kernels = dims.map((dim, k) => {
      const column = observations.map((row) => row[k]);
      return dim.kind === 'categorical'
        ? categoricalKernel(dim.size, column, opts.priorWeight)
        : numericKernel(dim, column, opts, dims.length);
    });
  }

  /** `size` points drawn from the mixture: a component for each, then each dimension from its kernel. */
  sample(rng: Rng, size: number): number[][] {
    const active: number[] = [];
    for (let j = 0; j < size; j++) active.push(pick(this.weights, rng.next()));
    const points: number[][] = active.map(() => []);
    for (const kernel of this.kernels) {
      for (let j = 0; j < size; j++) {
        const c = active[j];
        const u = rng.next();
        if (kernel.kind === 'categorical') {
          points[j].push(pick(kernel.probs[c], u));
        } else {
          const mu = kernel.mus[c];
          const sigma = kernel.sigmas[c];
          const z = truncnormPpf(u, (kernel.low - mu) / sigma, (kernel.high - mu) / sigma);
          const x = Math.min(kernel.high, Math.max(kernel.low, mu + sigma * z));
          points[j].push(kernel.step === null ? x : roundToGrid(x, kernel.gridLow, kernel.gridHigh, kernel.step));
        }
      }
    }
    return points;
  }

  /** log density of each point (log probability mass on grid and categorical dimensions). */
  logPdf(points: number[][]): number[] {
    const m = this.weights.length;
    const logW = new Float64Array(m);
    for (let c = 0; c < m; c++) logW[c] = Math.log(this.weights[c]);
    const total: Float64Array[] = [];
    for (let j = 0; j < points.length; j++) total.push(logW.slice());
    for (let k = 0; k < this.kernels.length; k++) {
      const kernel = this.kernels[k];
      const logSigma = kernel.kind === 'numeric' ? kernel.sigmas.map((s) => Math.log(s)) : [];
      // Grid and categorical points repeat among candidates: each distinct value is evaluated once.
      const cached = kernel.kind === 'categorical' || kernel.step !== null;
      const cache = new Map<number, Float64Array>();
      for (let j = 0; j < points.length; j++) {
        const x = points[j][k];
        let column = cached ? cache.get(x) : undefined;
        if (!column) {
          column = new Float64Array(m);
          for (let c = 0; c < m; c++) column[c] = kernelLogPdf(kernel, c, x, logSigma);
          if (cached) cache.set(x, column);
        }
        const row = total[j];
        for (let c = 0; c < m; c++) row[c] += column[c];
      }
    }
    return total.map(logSumExp);
  }
}

function logSumExp(row: Float64Array): number {
  let max = -Infinity;
  for (let c = 0; c < row.length; c++) if (row[c] > max) max = row[c];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum += Math.exp(row[c] - max);
  return max + Math.log(sum);
}

/**
 * One component's log density at x in one dimension. Continuous kernels are normalised densities, −log σ
 * included: Optuna 3.1 to 3.4 leave that term out (optuna#5109, fixed by #5110 in 3.5), which favours wide
 * kernels over narrow ones of the same weight.
 */
function kernelLogPdf(kernel: Kernel, c: number, x: number, logSigma: number[]): number {
  if (kernel.kind === 'categorical') return Math.log(kernel.probs[c][x]);
  const mu = kernel.mus[c];
  const sigma = kernel.sigmas[c];
  if (kernel.step === null) {
    if (x < kernel.low || x > kernel.high) return -Infinity;
    return normLogPdf((x - mu) / sigma) - logSigma[c] - kernel.logMass[c];
  }
  // A grid point owns the cell of width `step` around it (cut at the bounds): its mass is the probability.
  const lo = Math.max(x - kernel.step / 2, kernel.low);
  const hi = Math.min(x + kernel.step / 2, kernel.high);
  if (!(lo < hi)) return -Infinity;
  return logGaussMass((lo - mu) / sigma, (hi - mu) / sigma) - kernel.logMass[c];
}

/** The first index whose cumulative (normalised) probability exceeds u. */
function pick(probs: number[], u: number): number {
  let total = 0;
  for (const p of probs) total += p;
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i];
    if (u * total < acc) return i;
  }
  return probs.length - 1;
}

/**
 * Every component spreads the prior weight evenly over the categories, its observed category gets 1 more,
 * and each row is normalised; the prior's row is uniform.
 */
function categoricalKernel(size: number, observed: number[], priorWeight: number): CategoricalKernel {
  const fill = priorWeight / (observed.length + 1);
  const rows: number[][] = [];
  for (let c = 0; c <= observed.length; c++) {
    const row = new Array<number>(size).fill(fill);
    if (c < observed.length) row[observed[c]] += 1;
    const sum = row.reduce((s, x) => s + x, 0);
    rows.push(row.map((x) => x / sum));
  }
  return { kind: 'categorical', probs: rows };
}

function numericKernel(
  dim: Extract<ModelDim, { kind: 'numeric' }>,
  observed: number[],
  opts: ParzenOptions,
  nDims: number,
): NumericKernel {
  const half = dim.step === null ? 0 : dim.step / 2;
  const low = dim.low - half;
  const high = dim.high + half;
  const range = high - low;
  const n = observed.length;
  const mus = [...observed, 0.5 * (low + high)];
  let sigmas: number[];
  if (opts.multivariate && (opts.multivariateBandwidth ?? 'scott') === 'scott') {
    // One bandwidth for all, shrinking with n as n^(−1/(d+4)).
    const sigma0 = SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (nDims + 4));
    sigmas = mus.map(() => sigma0 * range);
  } else if (opts.multivariate) {
    // Optuna 5.0: the gaps between this dimension's observations; the prior's own sigma is set below.
    sigmas = [...neighbourBandwidths(observed, low, high, opts.considerEndpoints), range];
  } else {
    // Optuna 3.1 to 4.8 count the prior's centre among the neighbours (5.0 no longer does; kept here, as
    // it measured no better on univariate TPE).
    sigmas = neighbourBandwidths(mus, low, high, opts.considerEndpoints);
  }
  // The magic clip keeps kernels from becoming needles: at least range / min(100, components + 1).
  const maxSigma = range;
  const minSigma = opts.considerMagicClip ? range / Math.min(100, 1 + mus.length) : EPS;
  sigmas = sigmas.map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
  sigmas[n] = range; // the prior: centred, as wide as the range
  const logMass = mus.map((mu, c) => logGaussMass((low - mu) / sigmas[c], (high - mu) / sigmas[c]));
  return { kind: 'numeric', low, high, step: dim.step, gridLow: dim.low, gridHigh: dim.high, mus, sigmas, logMass };
}

/**
 * Each kernel as wide as the larger gap to its neighbours in sorted order, the bounds counting as
 * neighbours; without considerEndpoints the outermost kernels use only their inner gap. Equal centres keep
 * their chronological order, the prior last: numpy's argsort (Optuna's) does the same up to 16 kernels and
 * orders such ties arbitrarily beyond, which decides which duplicate gets the wider gap.
 */
function neighbourBandwidths(mus: number[], low: number, high: number, considerEndpoints: boolean): number[] {
  const order = mus.map((_, i) => i).sort((i, j) => mus[i] - mus[j] || i - j);
  const points = [low, ...order.map((i) => mus[i]), high];
  const m = mus.length;
  const sorted: number[] = [];
  for (let i = 1; i <= m; i++) sorted.push(Math.max(points[i] - points[i - 1], points[i + 1] - points[i]));
  if (!considerEndpoints && m >= 2) {
    sorted[0] = points[2] - points[1];
    sorted[m - 1] = points[m] - points[m - 1];
  }
  const sigmas = new Array<number>(m);
  order.forEach((i, rank) => (sigmas[i] = sorted[rank]));
  return sigmas;
}
