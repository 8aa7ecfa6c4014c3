import { BadInputError } from '../errors.js';
import { checkSessionControl, CONTROL_KEYS } from './session-control.js';
import { type Distribution, type ParamValue, type SearchSpace } from '../search/space.js';
import { isPlainObject } from '../util/json.js';
import { BUILTINS, type Builtin } from './builtins.js';
import { checkBuiltinTrial, chooseMode } from './check-declared.js';
import { checkKeys, closest, Problems, show } from './problems.js';
import { checkStrategy } from './strategy.js';
import { checkLauncher } from './launcher.js';
import type { Spec, TrialSpec } from './types.js';

export { closest, BUILTINS, type Builtin };

const TOP_KEYS = [
  'name', 'trial', 'search_space', 'searcher', 'scheduler', 'metric', 'mode', 'num_trials', 'max_iters',
  'eval_interval', 'concurrency', 'seed', 'sessions_root', 'max_failures', 'launcher', ...CONTROL_KEYS,
] as const;
const TRIAL_KEYS = ['builtin', 'command', 'params', 'checkpoint_every', 'timeout', 'schedule', 'init_from', 'schedule_metric'];
/** Search-space keys that change one field of one operation of the trial's schedule: schedule.<index>.<field>. */
export const SCHEDULE_FIELD_KEY = /^schedule\.(\d+)\.(value|trigger_loss|max_wait_iters)$/;
const DIST_KEYS: Record<Distribution['type'], string[]> = {
  uniform: ['type', 'low', 'high'],
  loguniform: ['type', 'low', 'high'],
  int: ['type', 'low', 'high', 'step'],
  choice: ['type', 'values'],
  grid: ['type', 'values'],
};

export function intField(p: Problems, obj: Record<string, unknown>, key: string, path: string, dflt: number, min: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    p.add(path, `is ${show(v)}, but must be a whole number; write it like ${dflt}`);
    return dflt;
  }
  if (v < min) {
    p.add(path, `is ${v}, but must be >= ${min}`);
    return dflt;
  }
  return v;
}

export function stringField<T extends string>(p: Problems, obj: Record<string, unknown>, key: string, path: string, dflt: T, allowed?: readonly T[]): T {
  const v = obj[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || v === '') {
    p.add(path, `is ${show(v)}, but must be ${allowed ? `one of ${allowed.join(', ')}` : 'a non-empty string'}`);
    return dflt;
  }
  if (allowed && !allowed.includes(v as T)) {
    const guess = closest(v, allowed);
    p.add(path, `is ${show(v)}, but must be one of ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    return dflt;
  }
  return v as T;
}

function isParamValue(v: unknown): v is ParamValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function checkDistribution(p: Problems, raw: unknown, path: string): Distribution | null {
  if (!isPlainObject(raw)) {
    p.add(path, `is ${show(raw)}, but must be a mapping like {type: loguniform, low: 1e-4, high: 1e-1}`);
    return null;
  }
  const type = raw.type;
  const types = Object.keys(DIST_KEYS) as Distribution['type'][];
  if (typeof type !== 'string' || !types.includes(type as Distribution['type'])) {
    const guess = typeof type === 'string' ? closest(type, types) : null;
    p.add(`${path}.type`, `is ${show(type)}, but must be one of ${types.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    return null;
  }
  const t = type as Distribution['type'];
  const before = p.list.length;
  checkKeys(p, raw, DIST_KEYS[t], path);
  if (t === 'choice' || t === 'grid') {
    const values = raw.values;
    if (!Array.isArray(values) || values.length === 0) {
      p.add(`${path}.values`, `is ${show(values)}, but must be a non-empty list like [32, 64, 128]`);
      return null;
    }
    values.forEach((v, i) => {
      if (!isParamValue(v)) p.add(`${path}.values.${i}`, `is ${show(v)}, but values must be numbers, strings or booleans`);
    });
    return p.list.length === before ? { type: t, values: values as ParamValue[] } : null;
  }
  const low = raw.low;
  const high = raw.high;
  for (const [k, v] of [['low', low], ['high', high]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) p.add(`${path}.${k}`, `is ${show(v)}, but must be a finite number`);
  }
  if (p.list.length > before) return null;
  const lo = low as number;
  const hi = high as number;
  if (lo > hi) {
    p.add(`${path}.low`, `is ${lo}, above high (${hi}); swap them`);
    return null;
  }
  if (t === 'loguniform' && lo <= 0) {
    p.add(`${path}.low`, `is ${lo}, but a loguniform range needs low > 0; use a small positive number like 1e-6`);
    return null;
  }
  if (t === 'int') {
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) {
      p.add(path, `has low ${lo} and high ${hi}, but an int range needs whole numbers`);
      return null;
    }
    const step = raw.step;
    if (step !== undefined && (typeof step !== 'number' || !Number.isInteger(step) || step < 1)) {
      p.add(`${path}.step`, `is ${show(step)}, but must be a whole number >= 1`);
      return null;
    }
    return step === undefined ? { type: 'int', low: lo, high: hi } : { type: 'int', low: lo, high: hi, step: step as number };
  }
  return { type: t, low: lo, high: hi };
}

/** Values per dimension above which a grid would have to hold an absurd list in memory. */
const MAX_GRID_DIMENSION = 100_000;

/** How many values a grid enumerates for one dimension, counted without listing them; null for continuous ranges. */
function gridCount(d: Distribution): number | null {
  switch (d.type) {
    case 'choice':
    case 'grid':
      return d.values.length;
    case 'int':
      return Math.floor((d.high - d.low) / (d.step ?? 1)) + 1;
    default:
      return null;
  }
}

/** A searched schedule: a choice of files, or one numeric field of one operation. */
function checkScheduleDimension(p: Problems, key: string, d: Distribution, trial: TrialSpec): void {
  if (key === 'schedule') {
    if ((d.type !== 'choice' && d.type !== 'grid') || !d.values.every((v) => typeof v === 'string')) {
      p.add(`search_space.${key}`, 'chooses between schedule files, so it must be {type: choice, values: [a.yaml, b.yaml]}');
    }
    return;
  }
  if (d.type === 'choice' || d.type === 'grid') {
    if (!d.values.every((v) => typeof v === 'number')) p.add(`search_space.${key}`, 'changes a number of the schedule, so its values must be numbers');
  }
}

/** The trial; `known` is false when what it runs could not be read (its declaration then says nothing). */
function checkTrial(p: Problems, raw: unknown): { trial: TrialSpec; known: boolean } {
  const fallback: TrialSpec = { builtin: 'mnist-mlp', params: {}, checkpoint_every: 1, timeout: null, schedule: null, init_from: 'scratch', schedule_metric: 'val_loss' };
  const unknown = { trial: fallback, known: false };
  if (raw === undefined || raw === null) return { trial: fallback, known: true };
  if (!isPlainObject(raw)) {
    p.add('trial', `is ${show(raw)}, but must be a mapping with either builtin: mnist-mlp (or names-gpt, spirals-mlp) or command: [program, args...]`);
    return unknown;
  }
  checkKeys(p, raw, TRIAL_KEYS, 'trial');
  const params: Record<string, ParamValue> = {};
  if (raw.params !== undefined && raw.params !== null) {
    if (!isPlainObject(raw.params)) p.add('trial.params', `is ${show(raw.params)}, but must be a mapping of fixed hyperparameters`);
    else {
      for (const [k, v] of Object.entries(raw.params)) {
        if (isParamValue(v)) params[k] = v;
        else p.add(`trial.params.${k}`, `is ${show(v)}, but must be a number, string or boolean`);
      }
    }
  }
  const checkpoint_every = intField(p, raw, 'checkpoint_every', 'trial.checkpoint_every', 1, 1);
  let timeout: number | null = null;
  if (raw.timeout !== undefined && raw.timeout !== null) {
    if (typeof raw.timeout !== 'number' || !Number.isFinite(raw.timeout) || raw.timeout <= 0) {
      p.add('trial.timeout', `is ${show(raw.timeout)}, but must be a number of seconds > 0 (how long a trial may go without a message before it is restarted), or left out`);
    } else timeout = raw.timeout;
  }
  const schedule = raw.schedule === undefined || raw.schedule === null ? null : stringField(p, raw, 'schedule', 'trial.schedule', '');
  const init_from = stringField(p, raw, 'init_from', 'trial.init_from', 'scratch', ['scratch', 'resume'] as const);
  const schedule_metric = stringField(p, raw, 'schedule_metric', 'trial.schedule_metric', 'val_loss');
  const common = { params, checkpoint_every, timeout, schedule: schedule || null, init_from, schedule_metric };
  const hasCommand = raw.command !== undefined;
  const hasBuiltin = raw.builtin !== undefined;
  if (hasCommand && hasBuiltin) {
    p.add('trial', 'has both builtin and command; keep one of them');
    return unknown;
  }
  if (hasCommand) {
    const c = raw.command;
    const list = typeof c === 'string' ? [c] : c;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x !== '')) {
      p.add('trial.command', `is ${show(c)}, but must be a list of strings like [python3, train.py]`);
      return unknown;
    }
    return { trial: { command: list as string[], ...common }, known: true };
  }
  const before = p.list.length;
  const builtin = stringField<Builtin>(p, raw, 'builtin', 'trial.builtin', 'mnist-mlp', BUILTINS);
  return { trial: { builtin, ...common }, known: p.list.length === before };
}

/**
 * Checks raw spec data and fills every default. All problems are reported at once, one line each
 * (file, line, field, rule, fix); any problem throws a BadInputError. `origins` names where a field was
 * written when not in the file (tune train's --set).
 */
export function validateSpec(raw: unknown, file: string, lines: Map<string, number>, defaultName: string, origins?: ReadonlyMap<string, string>, opts: { stored?: boolean } = {}): Spec {
  // A session's stored spec was accepted when the session began: the built-ins' declarations (which grow
  // stricter over versions) do not judge it again, so an older session still resumes as it ran.
  const declared = opts.stored !== true;
  const p = new Problems(file, lines, origins);
  if (!isPlainObject(raw)) {
    throw new BadInputError(`${file}: the spec must be a mapping of fields (name, trial, search_space, ...), but it is ${raw === null ? 'empty' : show(raw)}`);
  }
  checkKeys(p, raw, TOP_KEYS, '');

  const name = stringField(p, raw, 'name', 'name', defaultName);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    if (raw.name === undefined || raw.name === null) {
      // The user wrote no name: the file's own name was taken, so say that instead of blaming a field they never wrote.
      const fix = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-experiment';
      p.add('', `the spec has no name, and its file name ${show(name)} cannot be used as one (a name may only hold letters, digits, ".", "_" and "-"; it names a folder); add name: ${fix}`);
    } else {
      p.add('name', `is ${show(name)}, but may only hold letters, digits, ".", "_" and "-" (it names a folder)`);
    }
  }
  const { trial, known: trialKnown } = checkTrial(p, raw.trial);

  const search_space: SearchSpace = {};
  const beforeSpace = p.list.length;
  if (raw.search_space === undefined || raw.search_space === null) {
    p.add('search_space', 'is missing; add at least one hyperparameter, e.g. lr: {type: loguniform, low: 1e-4, high: 1e-1}');
  } else if (!isPlainObject(raw.search_space)) {
    // An empty mapping is allowed on purpose: one configuration (tune train), or repeats across seeds.
    p.add('search_space', `is ${show(raw.search_space)}, but must be a mapping of hyperparameter names to distributions`);
  } else {
    for (const [k, v] of Object.entries(raw.search_space)) {
      const d = checkDistribution(p, v, `search_space.${k}`);
      if (d) search_space[k] = d;
      if (d && (k === 'schedule' || SCHEDULE_FIELD_KEY.test(k))) checkScheduleDimension(p, k, d, trial);
      else if (k.startsWith('schedule.')) p.add(`search_space.${k}`, 'names a schedule field as schedule.<operation index>.<value|trigger_loss|max_wait_iters>, e.g. schedule.0.trigger_loss');
      if (k in trial.params) p.add(`search_space.${k}`, `is also fixed in trial.params; keep it in one place`);
    }
  }

  const spaceValid = p.list.length === beforeSpace;
  // Against a trial that could not be read, every key would look wrong: say nothing more until it is fixed.
  if (trialKnown && declared) checkBuiltinTrial(p, trial, isPlainObject(raw.search_space) ? raw.search_space : {}, search_space);

  const metric = stringField(p, raw, 'metric', 'metric', 'val_loss');
  const beforeMode = p.list.length;
  const written = raw.mode === undefined || raw.mode === null ? null : stringField(p, raw, 'mode', 'mode', 'min', ['min', 'max'] as const);
  // A mode that is neither min nor max was reported just now: no second line about its direction.
  const mode = p.list.length > beforeMode || !trialKnown || (!declared && written) ? written ?? 'min' : chooseMode(p, trial, metric, written);
  const beforeBudget = p.list.length;
  const max_iters = intField(p, raw, 'max_iters', 'max_iters', 100, 1);
  const eval_interval = intField(p, raw, 'eval_interval', 'eval_interval', Math.min(10, max_iters), 1);
  // Compared only when both were valid: against a default the user never wrote, the line would mislead.
  if (p.list.length === beforeBudget && eval_interval > max_iters) p.add('eval_interval', `is ${eval_interval}, above max_iters (${max_iters}); a trial would never be evaluated`);
  const budgetValid = p.list.length === beforeBudget;
  const concurrency = intField(p, raw, 'concurrency', 'concurrency', 2, 1);
  const seed = intField(p, raw, 'seed', 'seed', 0, 0);
  const max_failures = intField(p, raw, 'max_failures', 'max_failures', 2, 0);
  const sessions_root = stringField(p, raw, 'sessions_root', 'sessions_root', 'sessions');
  const { searcher, scheduler } = checkStrategy(p, raw, { max_iters, eval_interval, budgetValid });
  const control = checkSessionControl(p, raw);
  const launcher = checkLauncher(p, raw.launcher);

  let num_trials: number;
  if (searcher.type === 'grid') {
    let spaceOk = spaceValid && Object.keys(search_space).length > 0;
    let size = 1;
    for (const [k, d] of Object.entries(search_space)) {
      const n = gridCount(d);
      if (n === null) {
        p.add(`search_space.${k}`, `is a ${d.type} range, which the grid searcher cannot enumerate; use type: grid with values, or searcher: random`);
        spaceOk = false;
      } else if (n > MAX_GRID_DIMENSION) {
        p.add(`search_space.${k}`, `is an int range of ${n} values, too many for the grid searcher (at most ${MAX_GRID_DIMENSION} per dimension); give it a larger step, or use searcher: random`);
        spaceOk = false;
      } else {
        size *= n;
      }
    }
    num_trials = intField(p, raw, 'num_trials', 'num_trials', size, 1);
    // The grid's size is only known when every dimension is valid; otherwise the count would be made up.
    if (spaceOk && num_trials > size) p.add('num_trials', `is ${num_trials}, but the grid has only ${size} points; leave num_trials out to run them all`);
  } else {
    num_trials = intField(p, raw, 'num_trials', 'num_trials', 8, 1);
  }

  if (p.list.length > 0) throw new BadInputError(p.list);
  return {
    name, trial, search_space, searcher, scheduler, metric, mode, num_trials, max_iters, eval_interval,
    concurrency, seed, sessions_root, max_failures, launcher, ...control,
  };
}
