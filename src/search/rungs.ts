/**
 * Rung and bracket arithmetic shared by the multi-fidelity schedulers (ASHA, Hyperband) and BOHB's
 * searcher, plus the per-trial rung records both schedulers keep. Whole numbers only: counting brackets
 * with logarithms loses one (LESSONS: Math.log(1000) / Math.log(10) is 2.9999999999999996; optuna #6835).
 */
import type { RungOptions } from '../spec/types.js';
import { isPlainObject, type Json } from '../util/json.js';
import type { Loss } from './types.js';

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`\`${name}\` is ${String(value)}, but must be a whole number >= ${min}`);
  }
}

/** ⌊a / b⌋ for whole a ≥ 0, b ≥ 1, exact: a − a mod b is a multiple of b, so the division is exact. */
export function floorDiv(a: number, b: number): number {
  checkWhole('a', a, 0);
  checkWhole('b', b, 1);
  return (a - (a % b)) / b;
}

/** ⌈a / b⌉ for whole a ≥ 0, b ≥ 1: the remainder decides, never a rounded quotient. */
export function ceilDiv(a: number, b: number): number {
  return floorDiv(a, b) + (a % b === 0 ? 0 : 1);
}

/** base^exp for whole numbers, by repeated multiplication; throws rather than round past 2^53. */
export function intPow(base: number, exp: number): number {
  checkWhole('base', base, 0);
  checkWhole('exp', exp, 0);
  let p = 1;
  for (let i = 0; i < exp; i++) {
    p *= base;
    if (!Number.isSafeInteger(p)) throw new Error(`${base}^${exp} is past the largest exact whole number`);
  }
  return p;
}

/** Throws a clear Error unless the options and the eval interval are whole numbers that make rungs. */
export function checkRungOptions(opts: RungOptions, evalInterval: number): void {
  checkWhole('grace_period', opts.grace_period, 1);
  checkWhole('reduction_factor', opts.reduction_factor, 2);
  checkWhole('max_t', opts.max_t, 1);
  checkWhole('eval_interval', evalInterval, 1);
  if (opts.grace_period > opts.max_t) {
    throw new Error(`\`grace_period\` is ${opts.grace_period}, but must be <= max_t (${opts.max_t})`);
  }
}

/** ASHA's rung budgets in iterations: grace·η^k while below max_t, then max_t itself. */
export function rungBudgets(grace: number, eta: number, maxT: number): number[] {
  checkRungOptions({ grace_period: grace, reduction_factor: eta, max_t: maxT }, 1);
  const budgets: number[] = [];
  for (let b = grace; b < maxT; b *= eta) budgets.push(b);
  budgets.push(maxT);
  return budgets;
}

/** The iteration a budget is taken at: the first validation boundary at or past it, capped at max_t. */
export function rungIteration(budget: number, evalInterval: number, maxT: number): number {
  return Math.min(ceilDiv(budget, evalInterval) * evalInterval, maxT);
}

/** Sorted, without repeats: budgets closer together than the eval interval share one boundary. */
function distinctIterations(budgets: number[], evalInterval: number, maxT: number): number[] {
  const its = budgets.map((b) => rungIteration(b, evalInterval, maxT));
  return [...new Set(its)].sort((a, b) => a - b);
}

/** ASHA's rungs as iterations: one per distinct boundary of its budgets; the last is max_t. */
export function ashaRungs(opts: RungOptions, evalInterval: number): number[] {
  checkRungOptions(opts, evalInterval);
  return distinctIterations(rungBudgets(opts.grace_period, opts.reduction_factor, opts.max_t), evalInterval, opts.max_t);
}

/** Hyperband's s_max: the largest s with grace·η^s ≤ max_t. */
export function hyperbandSMax(grace: number, eta: number, maxT: number): number {
  checkRungOptions({ grace_period: grace, reduction_factor: eta, max_t: maxT }, 1);
  let s = 0;
  for (let b = grace * eta; b <= maxT; b *= eta) s++;
  return s;
}

/** One Hyperband bracket (Li et al. 2018): n trials, successive halving over its rungs. */
export interface HyperbandBracket {
  s: number;
  /** n_s = ⌈(s_max + 1)·η^s / (s + 1)⌉. */
  n: number;
  /** r_i = ⌈max_t / η^(s−i)⌉ iterations, i = 0..s. */
  budgets: number[];
  /** The boundary iteration of each budget, without repeats; the last is max_t. */
  rungs: number[];
}

/** Every bracket of one Hyperband cycle, in the order trials fill them: s = s_max down to 0. */
export function hyperbandBrackets(opts: RungOptions, evalInterval: number): HyperbandBracket[] {
  checkRungOptions(opts, evalInterval);
  const { grace_period: grace, reduction_factor: eta, max_t: maxT } = opts;
  const sMax = hyperbandSMax(grace, eta, maxT);
  const brackets: HyperbandBracket[] = [];
  for (let s = sMax; s >= 0; s--) {
    const n = ceilDiv((sMax + 1) * intPow(eta, s), s + 1);
    const budgets: number[] = [];
    for (let i = 0; i <= s; i++) budgets.push(ceilDiv(maxT, intPow(eta, s - i)));
    brackets.push({ s, n, budgets, rungs: distinctIterations(budgets, evalInterval, maxT) });
  }
  return brackets;
}

/** Every distinct rung iteration of every bracket, sorted (BOHB keeps one model per budget). */
export function hyperbandBudgets(opts: RungOptions, evalInterval: number): number[] {
  const all = hyperbandBrackets(opts, evalInterval).flatMap((b) => b.rungs);
  return [...new Set(all)].sort((a, b) => a - b);
}

/** Where a trial sits in Hyperband: its bracket instance (0, 1, … in creation order), which bracket of the cycle, and that instance's first trial. */
export interface BracketPlace {
  instance: number;
  /** Index into `hyperbandBrackets(...)`. */
  bracket: number;
  first: number;
}

/** Trials fill bracket s_max, then s_max−1, … 0, then the cycle starts again: a pure function of the index. */
export function bracketOfTrial(trialIndex: number, brackets: HyperbandBracket[]): BracketPlace {
  checkWhole('trialIndex', trialIndex, 0);
  const cycleLength = brackets.reduce((sum, b) => sum + b.n, 0);
  const cycle = floorDiv(trialIndex, cycleLength);
  let first = cycle * cycleLength;
  for (let b = 0; b < brackets.length; b++) {
    if (trialIndex < first + brackets[b].n) return { instance: cycle * brackets.length + b, bracket: b, first };
    first += brackets[b].n;
  }
  throw new Error('unreachable: a trial index past its cycle');
}

/** Trial indices best first: lower loss first, null (diverged, missing) last, ties to the lower index. */
export function rankRecords(records: ReadonlyArray<readonly [trial: number, loss: Loss]>): number[] {
  return [...records]
    .sort(([ia, la], [ib, lb]) => {
      if (la !== lb) {
        if (la === null) return 1;
        if (lb === null) return -1;
        return la - lb;
      }
      return ia - ib;
    })
    .map(([i]) => i);
}

export type RungTrialStatus = 'running' | 'waiting' | 'completed' | 'stopped' | 'failed';
const STATUSES: readonly string[] = ['running', 'waiting', 'completed', 'stopped', 'failed'];

/**
 * What a rung scheduler knows of one trial. `losses[k]` is the loss it reported at rung k, so it has
 * reached `losses.length` rungs. A waiting trial waits at rung `losses.length − 1`; a running one is on
 * its way to rung `losses.length` (having been promoted from the rung below, if any).
 */
export interface RungTrial {
  status: RungTrialStatus;
  losses: Loss[];
}

export function rungTrialsToJson(trials: RungTrial[]): Json {
  return { trials: trials.map((t) => ({ status: t.status, losses: [...t.losses] })) };
}

/** Reads and checks `{trials: [{status, losses}]}`; `rungCount(i)` is how many rungs trial i can reach. */
export function rungTrialsFromJson(state: Json, who: string, rungCount: (trialIndex: number) => number): RungTrial[] {
  if (!isPlainObject(state) || !Array.isArray(state.trials)) throw new Error(`${who} state needs trials: an array`);
  return state.trials.map((t, i) => {
    const at = `${who} state: trials[${i}]`;
    if (!isPlainObject(t)) throw new Error(`${at} must be an object {status, losses}`);
    if (typeof t.status !== 'string' || !STATUSES.includes(t.status)) {
      throw new Error(`${at}.status is ${JSON.stringify(t.status)}, but must be one of ${STATUSES.join(', ')}`);
    }
    const { losses } = t;
    if (!Array.isArray(losses) || !losses.every((l) => l === null || (typeof l === 'number' && Number.isFinite(l)))) {
      throw new Error(`${at}.losses must be an array of finite numbers or null`);
    }
    const count = rungCount(i);
    if (losses.length > count) throw new Error(`${at}.losses has ${losses.length} entries, but the trial has ${count} rungs`);
    if (t.status === 'waiting' && (losses.length < 1 || losses.length >= count)) {
      throw new Error(`${at} is waiting, so it must have reached a rung below the last (it has ${losses.length} of ${count})`);
    }
    return { status: t.status as RungTrialStatus, losses: [...(losses as Loss[])] };
  });
}

/** "rung 1/3 · 300 it" for a trial that reached rung 1 of rungs 0..3; "to rung 2/3 · 900 it" on its way. */
export function describeRung(trial: RungTrial, rungs: number[]): string | null {
  const top = rungs.length - 1;
  const k = trial.losses.length;
  // Short, for a table column titled "rung": "1/3 @300" at rung 1 of 0..3 (300 iterations), "→2/3 @900" on the way.
  if (trial.status === 'running' && k <= top) return `→${k}/${top} @${rungs[k]}`;
  if (k === 0) return null;
  return `${k - 1}/${top} @${rungs[k - 1]}`;
}

/** A new trial joins a scheduler's records; trials arrive in index order, so any other index is a bug. */
export function addRungTrial(trials: RungTrial[], trialIndex: number, who: string): void {
  if (trialIndex !== trials.length) throw new Error(`${who}: trial ${trialIndex} was added, but the next trial is ${trials.length}`);
  trials.push({ status: 'running', losses: [] });
}

/** A trial's record, or an error naming the scheduler when it was never added. */
export function rungTrialAt(trials: RungTrial[], i: number, who: string): RungTrial {
  const t = trials[i];
  if (t === undefined) throw new Error(`${who}: no trial ${i} (${trials.length} added)`);
  return t;
}
