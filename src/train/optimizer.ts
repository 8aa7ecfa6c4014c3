/**
 * The optimizers: their state slots, the step-dependent scalars (learning rate after warmup, bias
 * corrections), computed here in JS in float64, and their update written as graph operations.
 *
 * The trainer no longer runs the graph form: its update runs in place on the parameter store, one fused
 * WebAssembly pass per parameter group (fused/kernels.ts), which computes the same float32 operations in
 * the same order. The graph form stays as the specification those kernels are tested against
 * (test/unit/train-fused.test.ts) and that the optimizer's own tests check against PyTorch's formulas.
 */
import { add, div, mul, sqrt, sub, type Value } from './onnx/index.js';

export type OptimizerKind = 'sgd' | 'adamw';

export interface OptimizerHyper {
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weight_decay: number;
}

/** Per-parameter state tensors: SGD keeps a momentum buffer, AdamW the two moment estimates. */
export const STATE_SLOTS: { readonly [K in OptimizerKind]: readonly string[] } = { sgd: ['m'], adamw: ['m', 'v'] };

const SCALAR_NAMES: { readonly [K in OptimizerKind]: readonly string[] } = {
  sgd: ['lr', 'momentum', 'weight_decay'],
  adamw: ['decay', 'one_minus_beta1', 'beta2', 'one_minus_beta2', 'step_size', 'eps_hat'],
};

export function optimizerScalarNames(kind: OptimizerKind): readonly string[] {
  return SCALAR_NAMES[kind];
}

/** The run-time scalars of optimizer step `t` (1-based) at learning rate `lr`. */
export function optimizerScalars(kind: OptimizerKind, h: OptimizerHyper, lr: number, t: number): Record<string, number> {
  if (kind === 'sgd') return { lr, momentum: h.momentum, weight_decay: h.weight_decay };
  // lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) = (lr sqrt(bc2)/bc1) * m / (sqrt(v) + eps sqrt(bc2)): the bias
  // corrections fold into two scalars, saving a pass over every parameter.
  const sqrtBc2 = Math.sqrt(1 - h.beta2 ** t);
  return {
    decay: 1 - lr * h.weight_decay,
    one_minus_beta1: 1 - h.beta1,
    beta2: h.beta2,
    one_minus_beta2: 1 - h.beta2,
    step_size: (lr * sqrtBc2) / (1 - h.beta1 ** t),
    eps_hat: h.eps * sqrtBc2,
  };
}

export interface ParamUpdate {
  readonly param: Value;
  readonly grad: Value;
  /** In STATE_SLOTS order. */
  readonly state: readonly Value[];
  /** Weight decay applies to this parameter. */
  readonly decay: boolean;
}

export interface Updated {
  readonly param: Value;
  readonly state: readonly Value[];
}

/**
 * One optimizer step for each parameter. `scalar` reads a run-time scalar by name.
 * - sgd (PyTorch's SGD, dampening 0): g += wd p (decayed parameters); m = mu m + g; p -= lr m.
 * - adamw (PyTorch's AdamW): p *= 1 - lr wd (decayed parameters); m = b1 m + (1 - b1) g;
 *   v = b2 v + (1 - b2) g^2; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps), with bc_i = 1 - b_i^t.
 */
export function applyOptimizer(kind: OptimizerKind, items: readonly ParamUpdate[], scalar: (name: string) => Value): Updated[] {
  return items.map(({ param: p, grad: g, state, decay }) => {
    if (kind === 'sgd') {
      const gd = decay ? add(g, mul(p, scalar('weight_decay'))) : g;
      const m = add(mul(state[0], scalar('momentum')), gd);
      return { param: sub(p, mul(m, scalar('lr'))), state: [m] };
    }
    const pd = decay ? mul(p, scalar('decay')) : p;
    // m + (g - m)(1 - b1) is b1 m + (1 - b1) g in one pass fewer (PyTorch's lerp).
    const m = add(state[0], mul(sub(g, state[0]), scalar('one_minus_beta1')));
    const v = add(mul(state[1], scalar('beta2')), mul(mul(g, g), scalar('one_minus_beta2')));
    return { param: sub(pd, div(mul(m, scalar('step_size')), add(sqrt(v), scalar('eps_hat')))), state: [m, v] };
  });
}
