import type { Distribution, ParamValue, SearchSpace } from '../search/space.js';
import { fitNumber, formatSig } from './format.js';
import { cutText, textWidth } from './text.js';

/** A searched hyperparameter as a table column: a short title and a width that holds any value it can take. */
export interface ParamColumn {
  readonly key: string;
  readonly title: string;
  readonly width: number;
}

/** Hyperparameters show three significant digits in tables: enough to tell configurations apart. */
const PARAM_DIGITS = 3;

/** Short names for common hyperparameters; others are shortened by rule (see `shortName`). */
const KNOWN: Record<string, string> = {
  weight_decay: 'wd', learning_rate: 'lr', hidden: 'hid', momentum: 'mom', batch_size: 'bs', grad_accum: 'accum',
  warmup_iters: 'warmup', dropout: 'drop', optimizer: 'opt', schedule: 'sched', max_wait_iters: 'wait', trigger_loss: 'trig',
};

/** A short readable column title: known names, schedule fields as s0.trig, long snake_case names by initials. */
export function shortName(key: string): string {
  if (KNOWN[key]) return KNOWN[key];
  const field = /^schedule\.(\d+)\.(\w+)$/.exec(key);
  if (field) return `s${field[1]}.${KNOWN[field[2]] ?? field[2].slice(0, 4)}`;
  if (key.length <= 8) return key;
  const parts = key.split(/[_.-]+/).filter(Boolean);
  return parts.length > 1 ? parts.map((p) => p[0]).join('') : `${key.slice(0, 7)}.`;
}

/** Short names for all keys; where two would read the same, those keep their full names. */
export function shortNames(keys: readonly string[]): Map<string, string> {
  const short = keys.map(shortName);
  return new Map(keys.map((k, i) => [k, short.filter((s) => s === short[i]).length > 1 ? k : short[i]]));
}

/** A hyperparameter's value in `width` columns: numbers to three significant digits, text cut with "…". */
export function paramCell(v: ParamValue | undefined, width: number): string {
  if (v === undefined) return '-';
  return typeof v === 'number' ? fitNumber(v, width, PARAM_DIGITS) : cutText(String(v), width);
}

/** The widest text any value of the range takes at three significant digits. */
function rangeWidth(low: number, high: number, integer: boolean): number {
  const fmt = (v: number) => textWidth(formatSig(v, PARAM_DIGITS));
  if (integer) return Math.max(fmt(low), fmt(high));
  let w = Math.max(fmt(low), fmt(high));
  const lo = Math.max(Math.min(Math.abs(low), Math.abs(high)), 1e-12);
  const hi = Math.max(Math.abs(low), Math.abs(high));
  const neg = low < 0;
  // Near zero a range reaches every small magnitude: exponent form, "-1.23e-4" at worst.
  if (low <= 0 && high >= 0) return Math.max(w, neg ? 8 : 7);
  // In each decade the range covers, a value with three significant digits (0.506, 1.23e-4) is the widest.
  for (let k = Math.floor(Math.log10(lo)); k <= Math.floor(Math.log10(hi)); k++) {
    const start = Math.max(lo, 10 ** k);
    const v = start * 1.0123 <= Math.min(hi, 10 ** (k + 1)) ? start * 1.0123 : start;
    w = Math.max(w, fmt(neg ? -v : v));
  }
  return w;
}

function valuesWidth(d: Distribution, grows: boolean): number {
  switch (d.type) {
    case 'choice':
    case 'grid':
      // A size the schedule grows may gain a digit (128 + 1024).
      return Math.max(1, ...d.values.map((v) => textWidth(paramCell(v, 99)))) + (grows ? 1 : 0);
    case 'int':
      return rangeWidth(d.low, d.high, true) + (grows ? 1 : 0);
    case 'uniform':
    case 'loguniform':
      return rangeWidth(d.low, d.high, false);
  }
}

/**
 * The search space's columns, in its own order, with widths decided once from the space: any value the
 * space can give fits, so the table never shifts as trials come and go. `growing`: keys a scheduled model
 * operation enlarges during a trial.
 */
export function paramColumns(space: SearchSpace, growing: ReadonlySet<string> = new Set()): ParamColumn[] {
  const keys = Object.keys(space);
  const titles = shortNames(keys);
  return keys.map((key) => {
    const title = titles.get(key) as string;
    return { key, title, width: Math.max(textWidth(title), valuesWidth(space[key], growing.has(key))) };
  });
}
