/**
 * The spirals-mlp worker's hyperparameters: defaults, domains and the check of a config. Kept apart from
 * the worker (which starts training when loaded) so the spec's validation uses the same rules.
 */
import { nonNegativeInt, nonNegativeReal, positiveInt, positiveReal, unitInterval, domainProblem, type Domain } from '../train/domain.js';
import type { ParamValue } from './runtime.js';

export const SPIRALS_DEFAULTS = { lr: 0.1, momentum: 0.9, l2: 0, batch_size: 32, grad_accum: 1, warmup_iters: 0, hidden: 32, layers: 1 };
export type SpiralsHyper = typeof SPIRALS_DEFAULTS & { eval_interval: number };

export const SPIRALS_DOMAINS: { readonly [K in keyof typeof SPIRALS_DEFAULTS]: Domain } = {
  lr: positiveReal,
  momentum: unitInterval,
  l2: nonNegativeReal,
  batch_size: positiveInt,
  grad_accum: positiveInt,
  warmup_iters: nonNegativeInt,
  hidden: positiveInt,
  // Its layers are not residual, so the network needs at least one hidden layer.
  layers: positiveInt,
};

/** Names the schedule's operations (and other tools) use for this worker's hyperparameters. */
export const SPIRALS_ALIAS: Readonly<Record<string, keyof SpiralsHyper>> = { weight_decay: 'l2' };

/** The config's hyperparameters over the defaults, checked. Keys it does not know are left alone. */
export function readSpiralsHyper(config: Record<string, ParamValue>, evalInterval: number): SpiralsHyper {
  const h: SpiralsHyper = { ...SPIRALS_DEFAULTS, eval_interval: evalInterval };
  for (const key of Object.keys(config)) {
    const k = (SPIRALS_ALIAS[key] ?? key) as keyof typeof SPIRALS_DEFAULTS;
    if (!(k in SPIRALS_DOMAINS)) continue; // search keys of the schedule (schedule.0.value) are not the worker's
    const v = config[key];
    const why = domainProblem(SPIRALS_DOMAINS[k], v);
    if (why) throw new Error(`config ${key} is ${JSON.stringify(v)}, but ${why}`);
    h[k] = v as number;
  }
  return h;
}
