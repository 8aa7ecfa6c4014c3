/**
 * The trainer's hyperparameters: defaults per model, checks, the effective learning rate of a step, and
 * the hyperparameter operations of the schedule registry (change_* multiplies, set_* sets).
 */
import { applyToParam, checkValue, operationSpec } from '../schedule/operations.js';
import { bool, choice, domainProblem, nonNegativeInt, nonNegativeReal, positiveInt, positiveReal, unitInterval, type Domain } from './domain.js';
import type { OptimizerHyper, OptimizerKind } from './optimizer.js';

export interface Hyperparameters extends OptimizerHyper {
  readonly optimizer: OptimizerKind;
  readonly lr: number;
  readonly batch_size: number;
  /** Micro-batches per optimizer step; the step uses their mean gradient. */
  readonly grad_accum: number;
  /** Linear warmup: step i (1-based) uses lr * min(1, i / warmup_iters). */
  readonly warmup_iters: number;
  /** Global gradient-norm threshold; 0 turns clipping off. */
  readonly clip: number;
  /** Kept for the worker, which decides when to evaluate; the trainer does not use it. */
  readonly eval_interval: number;
  /** Random ±2-pixel shifts of training images (mlp only). */
  readonly augment: boolean;
}

const COMMON = {
  momentum: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, grad_accum: 1, warmup_iters: 0,
  clip: 0, eval_interval: 100, augment: true, optimizer: 'adamw',
} as const;

export const DEFAULT_HYPER: { readonly mlp: Hyperparameters; readonly gpt: Hyperparameters } = {
  mlp: { ...COMMON, lr: 1e-3, batch_size: 64 },
  gpt: { ...COMMON, lr: 3e-3, batch_size: 32, warmup_iters: 20 },
};

/** The optimizers the trainer builds: a Record, so a new OptimizerKind cannot be left out of the checks. */
const OPTIMIZERS: Record<OptimizerKind, true> = { sgd: true, adamw: true };

/**
 * What each hyperparameter may be: the one place these rules live. resolveHyper checks against it when a
 * trainer is built, and the spec's validation (src/spec/builtins.ts) checks values and ranges with it
 * before any trial starts.
 */
export const HYPER_DOMAINS: { readonly [K in keyof Hyperparameters]: Domain } = {
  optimizer: choice(...Object.keys(OPTIMIZERS)),
  lr: positiveReal,
  momentum: unitInterval,
  beta1: unitInterval,
  beta2: unitInterval,
  eps: positiveReal,
  weight_decay: nonNegativeReal,
  batch_size: positiveInt,
  grad_accum: positiveInt,
  warmup_iters: nonNegativeInt,
  clip: nonNegativeReal,
  eval_interval: positiveInt,
  augment: bool,
};

/** Defaults overlaid with `partial`, checked; errors name the parameter, its value and the rule. */
export function resolveHyper(defaults: Hyperparameters, partial: Partial<Hyperparameters>): Hyperparameters {
  const h: Hyperparameters = { ...defaults, ...partial };
  for (const [k, domain] of Object.entries(HYPER_DOMAINS)) {
    const v = h[k as keyof Hyperparameters];
    const why = domainProblem(domain, v);
    if (why) throw new Error(`hyperparameter ${k} is ${JSON.stringify(v)}, but ${why}`);
  }
  return h;
}

/** The learning rate of optimizer step `step` (1-based) after warmup. */
export function stepLr(h: Hyperparameters, step: number): number {
  return h.warmup_iters > 0 ? h.lr * Math.min(1, step / h.warmup_iters) : h.lr;
}

/** The hyperparameters after a change_* or set_* operation; throws for any other operation or a bad value. */
export function applyHyperOperation(h: Hyperparameters, name: string, value: number): Hyperparameters {
  const spec = operationSpec(name);
  if (!spec) throw new Error(`unknown operation ${name}`);
  if (!spec.param) throw new Error(`${name} is a model operation, not a hyperparameter one`);
  const why = checkValue(spec, value);
  if (why) throw new Error(`operation ${name}: value ${value} ${why}`);
  const key = spec.param as keyof Hyperparameters;
  const current = h[key];
  if (typeof current !== 'number') throw new Error(`operation ${name}: the trainer has no numeric ${spec.param}`);
  return resolveHyper(h, { [key]: applyToParam(spec, current, value) });
}
