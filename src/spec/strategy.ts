import { isPlainObject } from '../util/json.js';
import { checkKeys, closest, show, type Problems } from './problems.js';
import type { BohbOptions, RungOptions, SchedulerSpec, SearcherSpec, TpeOptions } from './types.js';

export const SEARCHERS = ['random', 'grid', 'tpe', 'bohb'] as const;
export const SCHEDULERS = ['fifo', 'asha', 'hyperband'] as const;

type Rule =
  | { kind: 'int'; min: number; dflt: number | null }
  | { kind: 'number'; min: number; max: number; open: boolean; dflt: number }
  | { kind: 'bool'; dflt: boolean }
  | { kind: 'enum'; values: readonly string[]; dflt: string };

const TPE: Record<keyof TpeOptions, Rule> = {
  n_startup_trials: { kind: 'int', min: 0, dflt: 10 },
  n_ei_candidates: { kind: 'int', min: 1, dflt: 24 },
  multivariate: { kind: 'bool', dflt: false },
  constant_liar: { kind: 'bool', dflt: true },
  prior_weight: { kind: 'number', min: 0, max: Infinity, open: true, dflt: 1 },
  consider_magic_clip: { kind: 'bool', dflt: true },
  consider_endpoints: { kind: 'bool', dflt: false },
};

const BOHB: Record<keyof BohbOptions, Rule> = {
  min_points_in_model: { kind: 'int', min: 1, dflt: null },
  top_n_percent: { kind: 'number', min: 0, max: 100, open: true, dflt: 15 },
  num_samples: { kind: 'int', min: 1, dflt: 64 },
  random_fraction: { kind: 'number', min: 0, max: 1, open: false, dflt: 1 / 3 },
  bandwidth_factor: { kind: 'number', min: 0, max: Infinity, open: true, dflt: 3 },
  min_bandwidth: { kind: 'number', min: 0, max: Infinity, open: true, dflt: 1e-3 },
};

function defaults<K extends string>(rules: Record<K, Rule>): Record<K, unknown> {
  return Object.fromEntries(Object.entries<Rule>(rules).map(([k, r]) => [k, r.dflt])) as Record<K, unknown>;
}

/** What `searcher: tpe` and `searcher: bohb` mean with no options written. */
export const TPE_DEFAULTS = defaults(TPE) as unknown as TpeOptions;
export const BOHB_DEFAULTS = defaults(BOHB) as unknown as BohbOptions;

/** Reads one option by its rule; a problem is reported and the default kept, so every problem shows at once. */
function option(p: Problems, raw: Record<string, unknown>, key: string, path: string, rule: Rule): unknown {
  const v = raw[key];
  const at = `${path}.${key}`;
  if (v === undefined || (v === null && rule.kind !== 'int')) return rule.dflt;
  switch (rule.kind) {
    case 'int':
      if (v === null) return rule.dflt;
      if (typeof v !== 'number' || !Number.isInteger(v)) { p.add(at, `is ${show(v)}, but must be a whole number`); return rule.dflt; }
      if (v < rule.min) { p.add(at, `is ${v}, but must be >= ${rule.min}`); return rule.dflt; }
      return v;
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) { p.add(at, `is ${show(v)}, but must be a number`); return rule.dflt; }
      const low = rule.open ? v <= rule.min : v < rule.min;
      const high = rule.max !== Infinity && (rule.open ? v >= rule.max : v > rule.max);
      if (low || high) {
        const range = rule.max === Infinity ? `> ${rule.min}` : rule.open ? `between ${rule.min} and ${rule.max}, both excluded` : `between ${rule.min} and ${rule.max}`;
        p.add(at, `is ${v}, but must be ${range}`);
        return rule.dflt;
      }
      return v;
    }
    case 'bool':
      if (typeof v !== 'boolean') { p.add(at, `is ${show(v)}, but must be true or false`); return rule.dflt; }
      return v;
    case 'enum':
      if (typeof v !== 'string' || !rule.values.includes(v)) {
        const guess = typeof v === 'string' ? closest(v, rule.values) : null;
        p.add(at, `is ${show(v)}, but must be one of ${rule.values.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
        return rule.dflt;
      }
      return v;
  }
}

/** `searcher: tpe` or `searcher: {type: tpe, ...options}`: the type and the raw options, or null after a problem. */
function typeAndOptions<T extends string>(p: Problems, v: unknown, path: string, types: readonly T[], dflt: T): { type: T; raw: Record<string, unknown> } | null {
  if (v === undefined || v === null) return { type: dflt, raw: {} };
  const raw = typeof v === 'string' ? { type: v } : v;
  if (!isPlainObject(raw)) {
    p.add(path, `is ${show(v)}, but must be a name (${types.join(', ')}) or a mapping like {type: ${types[types.length - 1]}, ...options}`);
    return null;
  }
  const type = raw.type;
  const at = typeof v === 'string' ? path : `${path}.type`;
  if (typeof type !== 'string' || !types.includes(type as T)) {
    const guess = typeof type === 'string' ? closest(type, types) : null;
    p.add(at, `is ${show(type)}, but must be one of ${types.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    return null;
  }
  return { type: type as T, raw };
}

function options<K extends string>(p: Problems, raw: Record<string, unknown>, path: string, rules: Record<K, Rule>): Record<K, unknown> {
  checkKeys(p, raw, ['type', ...Object.keys(rules)], path);
  const out = {} as Record<K, unknown>;
  for (const key of Object.keys(rules) as K[]) out[key] = option(p, raw, key, path, rules[key]);
  return out;
}

interface Budget {
  max_iters: number;
  eval_interval: number;
  /** max_iters and eval_interval were valid: only then are budgets compared with them. */
  budgetValid: boolean;
}

function rungOptions(p: Problems, raw: Record<string, unknown>, path: string, b: Budget, extra: string[]): RungOptions {
  checkKeys(p, raw, ['type', 'grace_period', 'reduction_factor', 'max_t', ...extra], path);
  const grace_period = option(p, raw, 'grace_period', path, { kind: 'int', min: 1, dflt: b.eval_interval }) as number;
  const reduction_factor = option(p, raw, 'reduction_factor', path, { kind: 'int', min: 2, dflt: 3 }) as number;
  const max_t = option(p, raw, 'max_t', path, { kind: 'int', min: 1, dflt: b.max_iters }) as number;
  if (b.budgetValid && max_t !== b.max_iters) {
    p.add(`${path}.max_t`, `is ${max_t}, but a trial's full budget is max_iters (${b.max_iters}); leave max_t out, or change max_iters`);
  } else if (b.budgetValid && grace_period >= max_t) {
    p.add(`${path}.grace_period`, `is ${grace_period}, but must be below max_t (${max_t}): it is the budget of the first rung`);
  }
  return { grace_period, reduction_factor, max_t };
}

/** The spec's `searcher` and `scheduler`: a name or a mapping with options, every default filled in. */
export function checkStrategy(p: Problems, raw: Record<string, unknown>, b: Budget): { searcher: SearcherSpec; scheduler: SchedulerSpec } {
  const s = typeAndOptions(p, raw.searcher, 'searcher', SEARCHERS, 'random');
  let searcher: SearcherSpec = { type: 'random' };
  if (s?.type === 'tpe') searcher = { type: 'tpe', ...(options(p, s.raw, 'searcher', TPE) as unknown as TpeOptions) };
  else if (s?.type === 'bohb') searcher = { type: 'bohb', ...(options(p, s.raw, 'searcher', BOHB) as unknown as BohbOptions) };
  else if (s) {
    checkKeys(p, s.raw, ['type'], 'searcher');
    searcher = { type: s.type } as SearcherSpec;
  }
  // BOHB is Hyperband's brackets with a model-based searcher: with no scheduler written, it brings its own.
  const dfltScheduler = searcher.type === 'bohb' ? 'hyperband' : 'fifo';
  const c = typeAndOptions(p, raw.scheduler, 'scheduler', SCHEDULERS, dfltScheduler);
  let scheduler: SchedulerSpec = { type: 'fifo' };
  if (c?.type === 'asha') {
    const variant = option(p, c.raw, 'variant', 'scheduler', { kind: 'enum', values: ['promotion', 'stopping'], dflt: 'promotion' }) as 'promotion' | 'stopping';
    scheduler = { type: 'asha', ...rungOptions(p, c.raw, 'scheduler', b, ['variant']), variant };
  } else if (c?.type === 'hyperband') {
    scheduler = { type: 'hyperband', ...rungOptions(p, c.raw, 'scheduler', b, []) };
  } else if (c) {
    checkKeys(p, c.raw, ['type'], 'scheduler');
  }
  if (searcher.type === 'bohb' && c && scheduler.type !== 'hyperband') {
    p.add('scheduler', `is ${scheduler.type}, but searcher bohb runs under scheduler: hyperband (BOHB is Hyperband's brackets with a model-based searcher); write scheduler: hyperband, or use searcher: tpe with scheduler: ${scheduler.type}`);
  }
  return { searcher, scheduler };
}

/** "TPE search, ASHA scheduler (grace 100, η 3, max 2400)": the strategy and its budgets, for people. */
export function strategyLabel(searcher: SearcherSpec, scheduler: SchedulerSpec): string {
  const name = { random: 'random', grid: 'grid', tpe: searcher.type === 'tpe' && searcher.multivariate ? 'multivariate TPE' : 'TPE', bohb: 'BOHB' }[searcher.type];
  if (scheduler.type === 'fifo') return `${name} search`;
  const rungs = `grace ${scheduler.grace_period}, η ${scheduler.reduction_factor}, max ${scheduler.max_t}`;
  const sched = scheduler.type === 'asha' ? `ASHA${scheduler.variant === 'stopping' ? ' (stopping)' : ''}` : 'Hyperband';
  return `${name} search, ${sched} scheduler (${rungs})`;
}
