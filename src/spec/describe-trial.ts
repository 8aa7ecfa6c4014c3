/**
 * What a single run trains, in words, for the line `tune train` starts with: the model, its sizes and main
 * settings (the declaration's headline hyperparameters, defaults filled in) and every value the user set.
 */
import type { ParamValue } from '../search/space.js';
import { declarationOf, hyperOf } from './builtins.js';
import type { Spec, TrialSpec } from './types.js';

/** "mnist-mlp (hidden 256, depth 1, lr 0.001, adamw, batch 64)", or the command with its params. */
export function describeTrial(trial: TrialSpec): string {
  if (!('builtin' in trial)) {
    const set = Object.entries(trial.params).map(([k, v]) => `${k} ${String(v)}`);
    return `${trial.command.join(' ')}${set.length > 0 ? ` (${set.join(', ')})` : ''}`;
  }
  const decl = declarationOf(trial.builtin);
  const given = new Map<string, ParamValue>();
  for (const [k, v] of Object.entries(trial.params)) {
    const h = hyperOf(decl, k);
    if (h) given.set(h.name, v);
  }
  const shown = decl.hyper
    .filter((h) => h.headline || given.has(h.name))
    .map((h) => {
      const v = String(given.get(h.name) ?? h.default);
      const label = h.label ?? h.name;
      return label === '' ? v : `${label} ${v}`;
    });
  return `${decl.name} (${shown.join(', ')})`;
}

export function describeSingleRun(spec: Spec): string {
  return `training ${describeTrial(spec.trial)} for ${spec.max_iters} iterations, evaluated every ${spec.eval_interval}`;
}
