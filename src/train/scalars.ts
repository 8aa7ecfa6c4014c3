/**
 * Run-time scalars (learning rate, betas, clip threshold, ...) packed into one small float input. Feeding
 * one vector costs one tensor per run instead of one per scalar, and changing a value never rebuilds the
 * graph. The layout is a list of names shared by the graph side (`get`) and the JS side (`pack`). Used by
 * the graph form of the optimizer (optimizer.ts), which the fused update is tested against.
 */
import { gather, type FloatDType, type Graph, type Value } from './onnx/index.js';

export const SCALARS_INPUT = 'scalars';

export class ScalarInput {
  private readonly vector: Value;
  private readonly taken = new Map<string, Value>();

  constructor(private readonly g: Graph, readonly names: readonly string[], dtype: FloatDType) {
    this.vector = g.input(SCALARS_INPUT, dtype, [names.length]);
  }

  /** The named scalar as a rank-0 value (one Gather, shared by every use). */
  get(name: string): Value {
    let v = this.taken.get(name);
    if (!v) {
      const i = this.names.indexOf(name);
      if (i < 0) throw new Error(`no run-time scalar named ${name} (have ${this.names.join(', ')})`);
      v = gather(this.vector, this.g.constant('int64', [], BigInt64Array.of(BigInt(i))));
      this.taken.set(name, v);
    }
    return v;
  }
}

/** The feed for a ScalarInput with these names and dtype; every name must have a value. */
export function packScalars(names: readonly string[], values: Readonly<Record<string, number>>, dtype: FloatDType = 'float32'): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(names.length) : new Float64Array(names.length);
  names.forEach((n, i) => {
    const v = values[n];
    if (v === undefined) throw new Error(`no value for the run-time scalar ${n}`);
    out[i] = v;
  });
  return out;
}
