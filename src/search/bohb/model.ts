import type { Rng } from '../rng.js';
import { Kde, type Dimension } from './kde.js';

/** One result at one budget: the trial's encoded config and its loss (null: diverged, the worst). */
export interface Observation {
  vector: readonly number[];
  loss: number | null;
}

/** The pair BOHB keeps per budget: l(x) on the best results, g(x) on the rest. */
export interface Model {
  good: Kde;
  bad: Kde;
}

/**
 * How many of n ranked results go to the good and the bad KDE, as HpBandSter splits them:
 * n_good = max(min_points, ⌊top·n/100⌋), n_bad = max(min_points, ⌊(100-top)·n/100⌋), good taken from the
 * front, bad from what follows (so fewer than n_bad when the good ones leave less).
 */
export function splitSizes(n: number, topNPercent: number, minPoints: number): { good: number; bad: number } {
  const good = Math.min(n, Math.max(minPoints, Math.floor((topNPercent * n) / 100)));
  const bad = Math.min(n - good, Math.max(minPoints, Math.floor(((100 - topNPercent) * n) / 100)));
  return { good, bad };
}

export interface ModelOptions {
  minPoints: number;
  topNPercent: number;
  minBandwidth: number;
}

/**
 * The model of one budget, or null while it has fewer than `minPoints` results or either group would have
 * no more points than dimensions (HpBandSter's two conditions). Ranking is by loss, null last, ties in the
 * order the results arrived, so the split is a pure function of the observations.
 */
export function buildModel(observations: readonly Observation[], dimensions: readonly Dimension[], o: ModelOptions): Model | null {
  const n = observations.length;
  if (n < o.minPoints) return null;
  const { good, bad } = splitSizes(n, o.topNPercent, o.minPoints);
  if (good <= dimensions.length || bad <= dimensions.length) return null;
  const ranked = observations
    .map((obs, i) => ({ vector: obs.vector, loss: obs.loss ?? Infinity, i }))
    .sort((a, b) => (a.loss < b.loss ? -1 : a.loss > b.loss ? 1 : a.i - b.i))
    .map((r) => r.vector);
  return {
    good: new Kde(ranked.slice(0, good), dimensions, o.minBandwidth),
    bad: new Kde(ranked.slice(good, good + bad), dimensions, o.minBandwidth),
  };
}

/**
 * BOHB's acquisition: `numSamples` draws from the widened good KDE (each moved by `snap` to where it would
 * run), and the one with the largest l(x)/g(x) (compared as log l - log g); the first wins a tie.
 */
export function propose(model: Model, rng: Rng, numSamples: number, bandwidthFactor: number, snap: (v: number[]) => number[]): number[] {
  let best: number[] = [];
  let bestScore = -Infinity;
  for (let i = 0; i < numSamples; i++) {
    const v = snap(model.good.sample(rng, bandwidthFactor));
    const score = model.good.logPdf(v) - model.bad.logPdf(v);
    if (i === 0 || score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
}
