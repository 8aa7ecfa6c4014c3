import type { TpeOptions } from '../../spec/types.js';
import type { Rng } from '../rng.js';
import type { TrialOutcome } from '../types.js';
import type { ModelDim } from './dims.js';
import { ParzenEstimator, type ParzenOptions } from './parzen.js';

/**
 * Where an observation ranks, compared lexicographically, smaller first (Optuna's `(-step, value)`):
 * completed trials first by loss, then stopped ones by the iteration they reached (higher first) and
 * their loss, then running ones (constant liar). A null loss ranks as +Infinity, the worst.
 */
export type RankKey = readonly [stage: number, loss: number];

export const RUNNING: RankKey = [Infinity, Infinity];

/** The rank key of a finished trial, or null for a failed one (ignored, like Optuna's FAIL). */
export function rankKey(outcome: TrialOutcome): RankKey | null {
  const loss = outcome.loss ?? Infinity;
  switch (outcome.status) {
    case 'completed':
      return [-Infinity, loss];
    case 'stopped':
    case 'waiting':
      return [-outcome.iteration, loss];
    case 'failed':
      return null;
  }
}

/** How many of n finished observations form the good group l(x): 10%, rounded up, at most 25. */
export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Positions (into `keys`, which are in chronological order) of the nBelow best observations and of the
 * rest, each list back in chronological order. Ties keep the older observation first.
 */
export function splitByRank(keys: readonly RankKey[], nBelow: number): { below: number[]; above: number[] } {
  const order = keys.map((_, i) => i).sort((i, j) => compareKeys(keys[i], keys[j]) || i - j);
  const below = order.slice(0, nBelow).sort((a, b) => a - b);
  const above = order.slice(nBelow).sort((a, b) => a - b);
  return { below, above };
}

function compareKeys(p: RankKey, q: RankKey): number {
  if (p[0] !== q[0]) return p[0] < q[0] ? -1 : 1;
  if (p[1] !== q[1]) return p[1] < q[1] ? -1 : 1;
  return 0;
}

/** One past trial as the sampler sees it: its values in model representation and its rank key. */
export interface Observation {
  values: number[];
  key: RankKey;
}

export function parzenOptions(opts: TpeOptions): ParzenOptions {
  return {
    priorWeight: opts.prior_weight,
    considerMagicClip: opts.consider_magic_clip,
    considerEndpoints: opts.consider_endpoints,
    multivariate: opts.multivariate,
    // Optuna 5.0's multivariate kernels (see ParzenOptions): on Branin and Hartmann-6 they halve the
    // regret of Optuna 3.1 to 4.x's Scott bandwidth (bench/search-quality.ts).
    multivariateBandwidth: 'gaps',
  };
}

/**
 * The TPE step after startup: split the observations (chronological) into good and bad, fit l(x) and g(x),
 * draw n_ei_candidates from l and keep the one with the largest log l − log g. Univariate TPE does this for
 * each dimension on its own, in order; multivariate TPE once, jointly. Returns the model values.
 */
export function sampleTpe(dims: ModelDim[], observations: readonly Observation[], opts: TpeOptions, rng: Rng): number[] {
  const n = observations.filter((o) => o.key[0] !== Infinity).length; // running trials do not count
  const { below, above } = splitByRank(observations.map((o) => o.key), gamma(n));
  const parzen = parzenOptions(opts);
  const rows = (positions: number[], ks: number[]) => positions.map((p) => ks.map((k) => observations[p].values[k]));
  if (opts.multivariate) {
    const all = dims.map((_, k) => k);
    return bestCandidate(dims, rows(below, all), rows(above, all), parzen, opts.n_ei_candidates, rng);
  }
  return dims.map((dim, k) => bestCandidate([dim], rows(below, [k]), rows(above, [k]), parzen, opts.n_ei_candidates, rng)[0]);
}

/** Draw candidates from l(x) (fit to `below`) and keep the first one with the largest log l(x) − log g(x). */
export function bestCandidate(
  dims: ModelDim[],
  below: number[][],
  above: number[][],
  parzen: ParzenOptions,
  nCandidates: number,
  rng: Rng,
): number[] {
  const l = new ParzenEstimator(dims, below, parzen);
  const g = new ParzenEstimator(dims, above, parzen);
  const candidates = l.sample(rng, nCandidates);
  const logL = l.logPdf(candidates);
  const logG = g.logPdf(candidates);
  let best = 0;
  let bestScore = -Infinity;
  for (let j = 0; j < candidates.length; j++) {
    const score = logL[j] - logG[j];
    if (score > bestScore) {
      best = j;
      bestScore = score;
    }
  }
  return candidates[best];
}
