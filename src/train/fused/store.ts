/**
 * Where a trainer's parameters, optimizer state and gradients live: one WebAssembly memory, laid out once
 * per model shape and reused for every step. ONNX Runtime reads the parameters from it without a copy
 * (its inputs wrap the caller's buffer), the step graph's gradients are copied into it, and the fused
 * kernels (kernels.ts) update parameters and state there in place: one pass per parameter group.
 *
 * Layout: the parameters are split into two groups, weight-decayed and not, each laid out end to end in
 * spec order; every kind ('p', each state slot, the gradient sum 'g', the scratch 'g+' for accumulating
 * micro-batches) has one buffer per group, 64-byte aligned and padded with zeros to a multiple of 16
 * floats, so the kernels run whole SIMD lanes and never look at a neighbour.
 */
import type { ParamSpec } from '../models/types.js';
import { numel } from '../params.js';
import type { OptimizerKind } from '../optimizer.js';
import { instantiateKernels, type Kernels } from './kernels.js';

export interface GroupMember {
  readonly spec: ParamSpec;
  /** Start of this parameter in its group's buffers, in elements. */
  readonly offset: number;
  readonly size: number;
}

export interface ParamGroup {
  readonly decay: boolean;
  readonly members: readonly GroupMember[];
  readonly size: number;
}

/** The weight-decayed parameters, then the others, each in spec order; an empty group is left out. */
export function paramGroups(specs: readonly ParamSpec[]): ParamGroup[] {
  const out: ParamGroup[] = [];
  for (const decay of [true, false]) {
    const members: GroupMember[] = [];
    let size = 0;
    for (const spec of specs) {
      if (spec.decay !== decay) continue;
      const n = numel(spec.shape);
      members.push({ spec, offset: size, size: n });
      size += n;
    }
    if (members.length) out.push({ decay, members, size });
  }
  return out;
}

/** The gradient sum and the scratch buffer a later micro-batch's gradient is copied into before adding. */
const GRAD = 'g';
const SCRATCH = 'g+';
const ALIGN_FLOATS = 16;
const PAGE = 65536;

const padded = (n: number): number => Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;

/** The run-time numbers of one update: optimizerScalars' values, and the factor every gradient is scaled by. */
export type UpdateScalars = Readonly<Record<string, number>>;

export class ParamStore {
  readonly groups: readonly ParamGroup[];
  private readonly memory: WebAssembly.Memory;
  private readonly kernels: Kernels;
  /** Byte offset of each (kind, group index) buffer. */
  private readonly offsets = new Map<string, number>();
  private readonly kinds: readonly string[];

  /** A zeroed store for `specs` with state slots `slots` ('m', or 'm' and 'v'). */
  constructor(specs: readonly ParamSpec[], readonly slots: readonly string[]) {
    this.groups = paramGroups(specs);
    this.kinds = ['p', ...slots, GRAD, SCRATCH];
    let bytes = 0;
    for (const kind of this.kinds) {
      this.groups.forEach((gr, i) => {
        this.offsets.set(`${kind}#${i}`, bytes);
        bytes += padded(gr.size) * 4;
      });
    }
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    this.kernels = instantiateKernels(this.memory);
  }

  /** One group's buffer of one kind, exactly the group's size (the padding is not part of it). */
  flat(kind: string, group: number): Float32Array {
    const off = this.offsets.get(`${kind}#${group}`);
    if (off === undefined) throw new Error(`the parameter store has no ${kind} buffer for group ${group}`);
    return new Float32Array(this.memory.buffer, off, this.groups[group].size);
  }

  /** Each parameter's view of one kind's buffers ('p' or a state slot), by name, in group order. */
  views(kind: string): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.groups.forEach((gr, i) => {
      const flat = this.flat(kind, i);
      for (const m of gr.members) out.set(m.spec.name, flat.subarray(m.offset, m.offset + m.size));
    });
    return out;
  }

  /**
   * Where each parameter's gradient of a micro-batch goes, by name: the first micro-batch of a step writes
   * the gradient sum itself, a later one the scratch buffer, which addScratch then adds to the sum.
   */
  gradientViews(first: boolean): Map<string, Float32Array> {
    return this.views(first ? GRAD : SCRATCH);
  }

  /** The gradient sum += the scratch buffer: one SIMD pass per group. */
  addScratch(): void {
    this.groups.forEach((_, i) => this.kernels.add(this.at(GRAD, i), this.at(SCRATCH, i), this.bytes(i)));
  }

  /** Σ g² over every parameter's gradient sum, in float64 (for clipping by the global norm). */
  gradientSquares(): number {
    let sum = 0;
    this.groups.forEach((_, i) => (sum += this.kernels.sum_squares(this.at(GRAD, i), this.bytes(i))));
    return sum;
  }

  /**
   * One optimizer step over every group in place, from the gradient sum times `scale` (1 / micro-batches
   * times the clipping factor); `s` holds optimizerScalars' values for this step.
   */
  update(kind: OptimizerKind, s: UpdateScalars, scale: number): void {
    const k = this.kernels;
    this.groups.forEach((gr, i) => {
      const [p, g, m, bytes] = [this.at('p', i), this.at(GRAD, i), this.at('m', i), this.bytes(i)];
      if (kind === 'sgd') {
        (gr.decay ? k.sgd_decay : k.sgd_plain)(p, g, m, bytes, scale, s.lr, s.momentum, s.weight_decay);
      } else {
        (gr.decay ? k.adamw_decay : k.adamw_plain)(p, g, m, this.at('v', i), bytes, scale, s.decay, s.one_minus_beta1, s.beta2, s.one_minus_beta2, s.step_size, s.eps_hat);
      }
    });
  }

  private at(kind: string, group: number): number {
    const off = this.offsets.get(`${kind}#${group}`);
    if (off === undefined) throw new Error(`the parameter store has no ${kind} buffer for group ${group}`);
    return off;
  }

  private bytes(group: number): number {
    return padded(this.groups[group].size) * 4;
  }
}
