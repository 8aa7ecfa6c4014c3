import type { Rng } from './rng.js';

/** One searched hyperparameter. `grid` values are enumerated by the grid searcher, drawn by the random one. */
export type Distribution =
  | { type: 'uniform'; low: number; high: number }
  | { type: 'loguniform'; low: number; high: number }
  | { type: 'int'; low: number; high: number; step?: number }
  | { type: 'choice'; values: ParamValue[] }
  | { type: 'grid'; values: ParamValue[] };

export type ParamValue = number | string | boolean;
export type SearchSpace = Record<string, Distribution>;
export type Config = Record<string, ParamValue>;

/** Draw one value. Keys are visited in the space's own order so a seed gives the same configs everywhere. */
export function sampleValue(d: Distribution, rng: Rng): ParamValue {
  switch (d.type) {
    case 'uniform':
      return d.low + (d.high - d.low) * rng.next();
    case 'loguniform':
      return Math.exp(Math.log(d.low) + (Math.log(d.high) - Math.log(d.low)) * rng.next());
    case 'int': {
      const step = d.step ?? 1;
      const count = Math.floor((d.high - d.low) / step) + 1;
      return d.low + step * rng.int(0, count - 1);
    }
    case 'choice':
    case 'grid':
      return d.values[rng.int(0, d.values.length - 1)];
  }
}

export function sampleConfig(space: SearchSpace, rng: Rng): Config {
  const config: Config = {};
  for (const [name, d] of Object.entries(space)) config[name] = sampleValue(d, rng);
  return config;
}

/** The values a grid searcher enumerates for one dimension, or null when it cannot (continuous ranges). */
export function enumerable(d: Distribution): ParamValue[] | null {
  switch (d.type) {
    case 'choice':
    case 'grid':
      return d.values;
    case 'int': {
      const step = d.step ?? 1;
      const out: number[] = [];
      for (let v = d.low; v <= d.high; v += step) out.push(v);
      return out;
    }
    default:
      return null;
  }
}

export function gridSize(space: SearchSpace): number {
  let n = 1;
  for (const d of Object.values(space)) n *= enumerable(d)?.length ?? Infinity;
  return n;
}

/** The i-th point of the cartesian product, the last dimension varying fastest. */
export function gridPoint(space: SearchSpace, index: number): Config {
  const names = Object.keys(space);
  const config: Config = {};
  let rest = index;
  for (let k = names.length - 1; k >= 0; k--) {
    const values = enumerable(space[names[k]]);
    if (!values) throw new Error(`grid dimension ${names[k]} is not enumerable`);
    config[names[k]] = values[rest % values.length];
    rest = Math.floor(rest / values.length);
  }
  // Keep the space's key order in the config, for readable tables.
  const ordered: Config = {};
  for (const n of names) ordered[n] = config[n];
  return ordered;
}
