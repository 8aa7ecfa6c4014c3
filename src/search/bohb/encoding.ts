import type { Config, Distribution, ParamValue, SearchSpace } from '../space.js';
import type { Dimension } from './kde.js';

/**
 * The searcher's view of the space, as HpBandSter's ConfigSpace vectors: every numeric dimension scaled to
 * [0, 1] (loguniform in log space; an int's grid values at the centres of equal cells, so rounding a
 * continuous draw picks each value over the same width), every categorical one as its value's index.
 */
export class Encoding {
  readonly names: string[];
  readonly dimensions: Dimension[];

  constructor(private readonly space: SearchSpace) {
    this.names = Object.keys(space);
    this.dimensions = this.names.map((n) => {
      const d = space[n];
      return d.type === 'choice' || d.type === 'grid' ? { kind: 'categorical', levels: d.values.length } : { kind: 'continuous' };
    });
  }

  encode(config: Config): number[] {
    return this.names.map((n) => encodeValue(this.space[n], config[n]));
  }

  decode(vector: readonly number[]): Config {
    const config: Config = {};
    this.names.forEach((n, k) => (config[n] = decodeValue(this.space[n], vector[k])));
    return config;
  }

  /** Moves each int dimension to the centre of its cell, so a proposal is scored where it will be run. */
  snap(vector: readonly number[]): number[] {
    return this.names.map((n, k) => {
      const d = this.space[n];
      if (d.type !== 'int') return vector[k];
      const count = gridCount(d);
      return (cell(vector[k], count) + 0.5) / count;
    });
  }

  /** Why a stored value cannot be in this space, or null when it can. */
  problem(config: Config): string | null {
    const keys = Object.keys(config);
    if (keys.length !== this.names.length || !this.names.every((n) => keys.includes(n))) {
      return `has keys ${keys.join(', ')}, but the space has ${this.names.join(', ')}`;
    }
    for (const n of this.names) {
      if (!valueFits(this.space[n], config[n])) return `has ${n} = ${JSON.stringify(config[n])}, outside its distribution`;
    }
    return null;
  }
}

function gridCount(d: { low: number; high: number; step?: number }): number {
  return Math.floor((d.high - d.low) / (d.step ?? 1)) + 1;
}

function cell(u: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.floor(u * count)));
}

function unit(x: number, low: number, high: number): number {
  return high > low ? Math.min(1, Math.max(0, (x - low) / (high - low))) : 0.5;
}

function encodeValue(d: Distribution, v: ParamValue): number {
  switch (d.type) {
    case 'uniform':
      return unit(v as number, d.low, d.high);
    case 'loguniform':
      return unit(Math.log(v as number), Math.log(d.low), Math.log(d.high));
    case 'int': {
      const count = gridCount(d);
      const j = Math.min(count - 1, Math.max(0, Math.round(((v as number) - d.low) / (d.step ?? 1))));
      return (j + 0.5) / count;
    }
    case 'choice':
    case 'grid':
      return d.values.indexOf(v);
  }
}

function decodeValue(d: Distribution, u: number): ParamValue {
  switch (d.type) {
    case 'uniform':
      return Math.min(d.high, Math.max(d.low, d.low + u * (d.high - d.low)));
    case 'loguniform':
      return Math.min(d.high, Math.max(d.low, Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)))));
    case 'int':
      return d.low + (d.step ?? 1) * cell(u, gridCount(d));
    case 'choice':
    case 'grid':
      return d.values[u];
  }
}

function valueFits(d: Distribution, v: ParamValue | undefined): boolean {
  switch (d.type) {
    case 'uniform':
    case 'loguniform':
      return typeof v === 'number' && v >= d.low && v <= d.high;
    case 'int': {
      if (typeof v !== 'number' || v < d.low || v > d.high) return false;
      const j = (v - d.low) / (d.step ?? 1);
      return Math.abs(j - Math.round(j)) < 1e-9;
    }
    case 'choice':
    case 'grid':
      return v !== undefined && d.values.includes(v);
  }
}
