import type { Distribution, ParamValue } from '../space.js';

/**
 * A searched dimension as the Parzen estimator sees it (Optuna's "internal representation"): numbers on
 * the scale the kernels live on (log for loguniform), categories as indices into their values.
 * `step` marks a grid (int): low and high are then its first and last points.
 */
export type ModelDim =
  | { kind: 'numeric'; low: number; high: number; step: number | null }
  | { kind: 'categorical'; size: number };

/** The last point of an int dimension's grid (high itself when the step divides the range). */
function intTop(d: { low: number; high: number; step?: number }): { step: number; count: number } {
  const step = d.step ?? 1;
  return { step, count: Math.floor((d.high - d.low) / step) + 1 };
}

/**
 * How the model sees a distribution, or `{ fixed }` when it can take one value only: such a dimension is
 * never modelled (Optuna does not ask its sampler about single-valued distributions either).
 */
export function modelDim(d: Distribution): ModelDim | { fixed: ParamValue } {
  switch (d.type) {
    case 'uniform':
      return d.low === d.high ? { fixed: d.low } : { kind: 'numeric', low: d.low, high: d.high, step: null };
    case 'loguniform':
      return d.low === d.high ? { fixed: d.low } : { kind: 'numeric', low: Math.log(d.low), high: Math.log(d.high), step: null };
    case 'int': {
      const { step, count } = intTop(d);
      return count <= 1 ? { fixed: d.low } : { kind: 'numeric', low: d.low, high: d.low + (count - 1) * step, step };
    }
    case 'choice':
    case 'grid':
      return d.values.length === 1 ? { fixed: d.values[0] } : { kind: 'categorical', size: d.values.length };
  }
}

/** A config's value in the model's representation. Throws when the value cannot belong to the dimension. */
export function encode(d: Distribution, v: ParamValue): number {
  switch (d.type) {
    case 'uniform':
    case 'int':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${JSON.stringify(v)} is not a finite number`);
      return v;
    case 'loguniform':
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new Error(`${JSON.stringify(v)} is not a positive number`);
      return Math.log(v);
    case 'choice':
    case 'grid': {
      const i = d.values.indexOf(v);
      if (i < 0) throw new Error(`${JSON.stringify(v)} is not one of ${JSON.stringify(d.values)}`);
      return i;
    }
  }
}

/**
 * The nearest grid point low + k·step to x, k rounded to the nearest whole number, then clipped to
 * [low, high] (Optuna's discrete handling: its kernels live on [low − step/2, high + step/2]).
 */
export function roundToGrid(x: number, low: number, high: number, step: number): number {
  const k = Math.round((x - low) / step);
  const last = Math.round((high - low) / step);
  return low + Math.min(last, Math.max(0, k)) * step;
}

/** The config value for a model value (the model's numbers are already inside the bounds and on the grid). */
export function decode(d: Distribution, x: number): ParamValue {
  switch (d.type) {
    case 'uniform':
      return Math.min(d.high, Math.max(d.low, x));
    case 'loguniform':
      return Math.min(d.high, Math.max(d.low, Math.exp(x)));
    case 'int': {
      const { step, count } = intTop(d);
      return roundToGrid(x, d.low, d.low + (count - 1) * step, step);
    }
    case 'choice':
    case 'grid':
      return d.values[x];
  }
}
