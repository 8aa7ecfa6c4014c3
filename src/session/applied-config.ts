import type { Config, ParamValue } from '../search/space.js';
import { applyToParam, operationSpec } from '../schedule/operations.js';
import type { StoredSchedule, TrialSchedule } from '../schedule/trial-schedule.js';

/** One hyperparameter or size the trial's schedule changed, and the operations that did it. */
export interface AppliedChange {
  readonly key: string;
  readonly from: ParamValue;
  readonly to: ParamValue;
  /** Model growth (widen_mlp, stack_layers) rather than a hyperparameter change. */
  readonly growth: boolean;
  readonly ops: readonly { readonly name: string; readonly value: number; readonly iteration: number }[];
}

/** The config key a growth operation enlarges, among those a trial's config has (mlp: hidden, depth; gpt: layers). */
const GROWS: Record<string, readonly string[]> = { widen_mlp: ['hidden'], stack_layers: ['depth', 'layers'] };
/** Config names a hyperparameter goes by besides its own (the spirals worker calls weight decay l2). */
const ALIASES: Record<string, readonly string[]> = { weight_decay: ['l2'] };

/**
 * The config as the trial has it now: its starting values with the operations it has applied. The source
 * is the schedule state's `fired` list (every operation tune sent with a decision, in order; a restart
 * from a checkpoint takes it back to the checkpoint's list), so only what this trial's model went through
 * counts: an operation already marked completed in the schedule file before the run never touched it.
 * A growth operation is credited to the size key the built-in models grow (hidden for widen_mlp, depth or
 * layers for stack_layers) when the config has it; a key the config lacks is left alone.
 */
export function appliedConfig(config: Config, schedule: TrialSchedule | null): { now: Config; changes: AppliedChange[] } {
  if (!schedule || schedule.state.fired.length === 0) return { now: config, changes: [] };
  const now: Config = { ...config };
  const changes = new Map<string, { from: ParamValue; growth: boolean; ops: { name: string; value: number; iteration: number }[] }>();
  for (const f of schedule.state.fired) {
    const op = schedule.ops[f.index];
    const spec = op ? operationSpec(op.name) : undefined;
    if (!op || !spec) continue;
    const candidates = spec.kind === 'model' ? GROWS[op.name] ?? [] : spec.param ? [spec.param, ...(ALIASES[spec.param] ?? [])] : [];
    const key = candidates.find((k) => typeof now[k] === 'number');
    if (key === undefined) continue;
    const current = now[key] as number;
    const next = spec.kind === 'model' ? current + op.value : applyToParam(spec, current, op.value);
    const c = changes.get(key) ?? { from: current, growth: spec.kind === 'model', ops: [] };
    c.ops.push({ name: op.name, value: op.value, iteration: f.iteration });
    changes.set(key, c);
    now[key] = next;
  }
  return { now, changes: [...changes].map(([key, c]) => ({ key, from: c.from, to: now[key], growth: c.growth, ops: c.ops })) };
}

/** Config keys that a model operation in any of these schedules can enlarge during a trial. */
export function keysGrownBy(schedules: Record<string, StoredSchedule>): Set<string> {
  const names = new Set(Object.values(schedules).flatMap((sch) => sch.raw.map((op) => String(op.name))));
  return new Set(Object.entries(GROWS).filter(([op]) => names.has(op)).flatMap(([, keys]) => keys));
}

/**
 * The searched config with only the model's growth applied: what tables show, so a row names the
 * configuration as it was searched (the learning rate as proposed, not as decayed) and the model's size
 * as it is now.
 */
export function grownConfig(config: Config, changes: readonly AppliedChange[]): Config {
  const out = { ...config };
  for (const c of changes) if (c.growth && c.key in config) out[c.key] = c.to;
  return out;
}
