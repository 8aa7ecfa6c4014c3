/**
 * Parameter tensors on the JS side: drawing them from a spec, and carrying them (and optimizer state) over
 * to bigger shapes when the model grows. Growth only ever appends along an axis, so old values keep their
 * indices in the leading corner of the new tensor.
 */
import type { Rng } from '../search/rng.js';
import type { ParamSpec } from './models/types.js';

export type Tensors = Map<string, Float32Array>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A fresh tensor for `spec`, drawing normals from `rng` in index order. */
export function initParam(spec: ParamSpec, rng: Rng): Float32Array {
  const t = new Float32Array(numel(spec.shape));
  if (spec.init.kind === 'ones') t.fill(1);
  else if (spec.init.kind === 'normal') for (let i = 0; i < t.length; i++) t[i] = rng.normal() * spec.init.std;
  return t;
}

/** Every parameter of a fresh model, drawn in spec order (the order is part of what a seed means). */
export function initParams(specs: readonly ParamSpec[], rng: Rng): Tensors {
  return new Map(specs.map((s) => [s.name, initParam(s, rng)]));
}

/** Copies `src` (shape `from`) into the leading corner of `dst` (shape `to`, same rank, no axis smaller). */
export function embedCorner(src: Float32Array, from: readonly number[], dst: Float32Array, to: readonly number[]): void {
  if (from.length !== to.length || from.some((d, i) => d > to[i])) {
    throw new Error(`cannot embed a tensor of shape [${from.join(',')}] in one of shape [${to.join(',')}]`);
  }
  // Row-major: copy the innermost rows whole, walking the outer indices of `from`.
  const inner = from.length ? from[from.length - 1] : 1;
  const rows = numel(from) / inner;
  const idx = new Array<number>(Math.max(0, from.length - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let srcOff = 0;
    let dstOff = 0;
    for (let a = 0; a < idx.length; a++) {
      srcOff = srcOff * from[a] + idx[a];
      dstOff = dstOff * to[a] + idx[a];
    }
    const s = srcOff * inner;
    dst.set(src.subarray(s, s + inner), dstOff * (to.length ? to[to.length - 1] : 1));
    for (let a = idx.length - 1; a >= 0 && ++idx[a] === from[a]; a--) idx[a] = 0;
  }
}

/**
 * Tensors for the grown specs: one whose shape is unchanged is kept as it is (same buffer); a grown or new
 * one starts as `fresh(spec)` with the old values, if any, written back over its leading corner.
 */
function carryOver(old: Tensors, oldSpecs: readonly ParamSpec[], specs: readonly ParamSpec[], fresh: (s: ParamSpec) => Float32Array): Tensors {
  const before = new Map(oldSpecs.map((s) => [s.name, s]));
  const out: Tensors = new Map();
  for (const spec of specs) {
    const prev = before.get(spec.name);
    const kept = old.get(spec.name);
    if (prev && kept && numel(prev.shape) === numel(spec.shape)) {
      out.set(spec.name, kept);
      continue;
    }
    const t = fresh(spec);
    if (prev && kept) embedCorner(kept, prev.shape, t, spec.shape);
    out.set(spec.name, t);
  }
  return out;
}

/**
 * Parameters after growth. New elements of an output projection start at zero, which is what keeps the
 * function unchanged; every other new element is drawn as a fresh parameter would be.
 */
export function growParams(old: Tensors, oldSpecs: readonly ParamSpec[], specs: readonly ParamSpec[], rng: Rng): Tensors {
  return carryOver(old, oldSpecs, specs, (s) => (s.outgoing ? new Float32Array(numel(s.shape)) : initParam(s, rng)));
}

/** Optimizer state after growth: the old state where the old parameters are, zeros everywhere new. */
export function growState(old: Tensors, oldSpecs: readonly ParamSpec[], specs: readonly ParamSpec[]): Tensors {
  return carryOver(old, oldSpecs, specs, (s) => new Float32Array(numel(s.shape)));
}

/** Zero state for every spec (a fresh optimizer). */
export function zeroState(specs: readonly ParamSpec[]): Tensors {
  return new Map(specs.map((s) => [s.name, new Float32Array(numel(s.shape))]));
}
