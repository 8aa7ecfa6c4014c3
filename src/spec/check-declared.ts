/**
 * The spec against what its trial declares: for a built-in, every key of trial.params and search_space is
 * one of its hyperparameters and every value a searcher could propose lies in that hyperparameter's domain,
 * the metric is one it reports, and mode follows the metric's direction. A command trial declares nothing,
 * so only its metric's mode is checked (a score-like name needs its mode written out).
 */
import type { Distribution, ParamValue, SearchSpace } from '../search/space.js';
import { describeDomain, domainProblem } from '../train/domain.js';
import { declarationOf, hyperOf, metricOf, suggestName, unknownHyper, type BuiltinDeclaration, type HyperDeclaration } from './builtins.js';
import { scoreWord } from './metric-direction.js';
import { show, type Problems } from './problems.js';
import type { TrialSpec } from './types.js';

/** Search keys that change the trial's schedule (schedule, schedule.0.value): not hyperparameters. */
const isScheduleKey = (k: string): boolean => k === 'schedule' || k.startsWith('schedule.');

/** The problem with one fixed value ("is "adam", but must be sgd or adamw"), or null. */
function paramProblem(decl: BuiltinDeclaration, key: string, value: ParamValue): string | null {
  const h = hyperOf(decl, key);
  if (!h) return unknownHyper(decl, key);
  const why = domainProblem(h.domain, value);
  return why ? `is ${show(value)}, but ${why}` : null;
}

/** The lowest and highest value a numeric range can propose (an int range with a step may stop short of high). */
function rangeEnds(d: Extract<Distribution, { low: number }>): [number, number] {
  const step = d.type === 'int' ? d.step ?? 1 : 0;
  return [d.low, step > 0 ? d.low + step * Math.floor((d.high - d.low) / step) : d.high];
}

/** A searched range or list that may propose a value outside the domain: the field to name and why. */
function rangeProblem(h: HyperDeclaration, d: Distribution): { at: string; message: string } | null {
  const takes = describeDomain(h.domain);
  if (d.type === 'choice' || d.type === 'grid') {
    const i = d.values.findIndex((v) => domainProblem(h.domain, v) !== null);
    return i < 0 ? null : { at: `values.${i}`, message: `is ${show(d.values[i])}, but ${h.name} must be ${takes}` };
  }
  if (h.domain.kind === 'bool' || h.domain.kind === 'choice') {
    const values = h.domain.kind === 'bool' ? '[true, false]' : `[${h.domain.values.join(', ')}]`;
    return { at: '', message: `is a ${d.type} range, but ${h.name} must be ${takes}; use type: choice with values: ${values}` };
  }
  if (h.domain.kind === 'int' && d.type !== 'int') {
    return { at: '', message: `is a ${d.type} range of fractional numbers, but ${h.name} must be ${takes}; use type: int` };
  }
  // Numeric domains are intervals: the range lies inside when its lowest and highest values do.
  const [lowest, highest] = rangeEnds(d);
  for (const [at, v] of [['low', lowest], ['high', highest]] as const) {
    if (domainProblem(h.domain, v)) return { at, message: `is ${v}, but ${h.name} must be ${takes}` };
  }
  return null;
}

/** Configurations tried for rules that tie values together; past this many, only the first are tried. */
const MAX_COMBINATIONS = 4096;
/** An int range with more values than this is tried at its ends only. */
const MAX_LISTED_INTS = 64;

/** The values of a dimension tried against those rules: every listed one, the ends of a range. */
function testPoints(d: Distribution): ParamValue[] {
  if (d.type === 'choice' || d.type === 'grid') return d.values;
  const [lowest, highest] = rangeEnds(d);
  if (d.type === 'int') {
    const step = d.step ?? 1;
    const count = (highest - lowest) / step + 1;
    if (count <= MAX_LISTED_INTS) return Array.from({ length: count }, (_, i) => lowest + i * step);
  }
  return [lowest, highest];
}

/**
 * Rules between values (a GPT's embd divisible by heads) checked by the worker's own code on every
 * combination of the fixed values and the searched values (testPoints).
 */
function checkCombinations(p: Problems, decl: BuiltinDeclaration, params: Record<string, ParamValue>, space: SearchSpace): void {
  const dims = Object.entries(space)
    .filter(([k]) => hyperOf(decl, k)) // not the schedule's keys
    .map(([k, d]) => [k, testPoints(d)] as const);
  let count = 1;
  for (const [, values] of dims) count *= values.length;
  for (let index = 0; index < Math.min(count, MAX_COMBINATIONS); index++) {
    const config: Record<string, ParamValue> = { ...params };
    let rest = index;
    for (const [k, values] of dims) {
      config[k] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    try {
      decl.checkConfig(config);
    } catch (err) {
      const values = Object.entries(config).filter(([k]) => hyperOf(decl, k)).map(([k, v]) => `${k} ${show(v)}`).join(', ');
      const what = dims.length > 0 ? `the configuration ${values}, which the search can propose` : values;
      p.add(dims.length > 0 ? 'search_space' : 'trial.params', `${decl.name} cannot train ${what}: ${(err as Error).message}`);
      return;
    }
  }
}

/**
 * Every key and value of a built-in trial's params and search space against its declaration. `rawSpace`
 * is the search space as written (its keys are checked even where a distribution was malformed);
 * `space` holds the distributions that were valid.
 */
export function checkBuiltinTrial(p: Problems, trial: TrialSpec, rawSpace: Record<string, unknown>, space: SearchSpace): void {
  if (!('builtin' in trial)) return;
  const decl = declarationOf(trial.builtin);
  const before = p.list.length;
  const seen = new Map<string, string>();
  const sameHyper = (key: string, path: string): void => {
    const name = hyperOf(decl, key)?.name;
    if (!name) return;
    const other = seen.get(name);
    if (other) p.add(path, `sets ${name} of ${decl.name}, as ${other} does; keep one of them`);
    else seen.set(name, path);
  };
  for (const [k, v] of Object.entries(trial.params)) {
    const problem = paramProblem(decl, k, v);
    if (problem) p.add(`trial.params.${k}`, problem);
    else sameHyper(k, `trial.params.${k}`);
  }
  for (const k of Object.keys(rawSpace)) {
    if (isScheduleKey(k)) continue;
    const h = hyperOf(decl, k);
    if (!h) {
      p.add(`search_space.${k}`, unknownHyper(decl, k));
      continue;
    }
    const d = space[k];
    const range = d ? rangeProblem(h, d) : null;
    if (range) p.add(range.at ? `search_space.${k}.${range.at}` : `search_space.${k}`, range.message);
    else if (d && !(k in trial.params)) sameHyper(k, `search_space.${k}`);
  }
  const schedule = trial.schedule_metric;
  if (!metricOf(decl, schedule)) p.add('trial.schedule_metric', unknownMetric(decl, schedule));
  // Value by value everything is fine: now the rules between values, which only make sense then.
  if (p.list.length === before) checkCombinations(p, decl, trial.params, space);
}

function unknownMetric(decl: BuiltinDeclaration, metric: string): string {
  const guess = suggestName(metric, decl.metrics);
  return `is ${show(metric)}, but ${decl.name} reports ${decl.metrics.map((m) => m.name).join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`;
}

/**
 * The mode the session ranks trials by. A built-in's metric must be one it reports, and mode defaults to
 * that metric's direction (a mode against it is refused: it would call the worst trial best). A command
 * trial's mode defaults to min, except for a metric named like a score, which must say which way is better.
 */
export function chooseMode(p: Problems, trial: TrialSpec, metric: string, given: 'min' | 'max' | null): 'min' | 'max' {
  if ('builtin' in trial) {
    const decl = declarationOf(trial.builtin);
    const m = metricOf(decl, metric);
    if (!m) {
      p.add('metric', unknownMetric(decl, metric));
      return given ?? 'min';
    }
    if (given && given !== m.mode) {
      const better = m.mode === 'max' ? 'higher' : 'lower';
      p.add('mode', `is ${given}, but ${metric} of ${decl.name} is better when ${better}, so mode ${given} would call the worst trial best; write mode: ${m.mode}, or leave mode out`);
    }
    return m.mode;
  }
  if (given) return given;
  const word = scoreWord(metric);
  if (word) {
    p.add('metric', `is ${show(metric)}, which reads as a score (${word}: higher is better?), but mode is not given and the default, min, would call the worst trial best; add mode: max, or mode: min if lower is better`);
  }
  return 'min';
}
