import { isPlainObject, type Json } from './json.js';

/**
 * The difference between two JSON values, small when the change is: a strategy's state grows by one
 * observation per trial, so journalling it whole with every decision would make the journal grow with
 * the square of the trials (LESSONS: Ray's experiment state reached 30 GB). A patch names what changed:
 * `s` sets a value, `o` patches an object's keys (`d` deletes some), `a` patches an array's elements by
 * index and `n` gives its new length (elements past the old length are set with `s`).
 */
export type Patch =
  | { s: Json }
  | { o: { [key: string]: Patch }; d?: string[] }
  | { a: { [index: string]: Patch }; n: number };

function isObject(v: Json): v is { [key: string]: Json } {
  return isPlainObject(v);
}

/** The patch that turns `before` into `after`, or null when they are equal. */
export function diff(before: Json, after: Json): Patch | null {
  if (before === after) return null;
  if (isObject(before) && isObject(after)) {
    const o: { [key: string]: Patch } = {};
    for (const [k, v] of Object.entries(after)) {
      const p = k in before ? diff(before[k], v) : { s: v };
      if (p) o[k] = p;
    }
    const d = Object.keys(before).filter((k) => !(k in after));
    if (Object.keys(o).length === 0 && d.length === 0) return null;
    return d.length ? { o, d } : { o };
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const a: { [index: string]: Patch } = {};
    for (let i = 0; i < after.length; i++) {
      const p = i < before.length ? diff(before[i], after[i]) : { s: after[i] };
      if (p) a[i] = p;
    }
    if (Object.keys(a).length === 0 && before.length === after.length) return null;
    return { a, n: after.length };
  }
  // Numbers compare by value; NaN cannot occur in JSON.
  return { s: after };
}

/** Applies a patch made by `diff`; objects and arrays of `value` are changed in place. */
export function applyPatch(value: Json, patch: Patch): Json {
  if ('s' in patch) return patch.s;
  if ('o' in patch) {
    if (!isObject(value)) throw new Error('a patch for an object met something else');
    for (const [k, p] of Object.entries(patch.o)) {
      const next = applyPatch(Object.hasOwn(value, k) ? value[k] : null, p);
      // defineProperty, not assignment: a key "__proto__" from a crafted journal stays a plain key.
      Object.defineProperty(value, k, { value: next, enumerable: true, writable: true, configurable: true });
    }
    for (const k of patch.d ?? []) delete value[k];
    return value;
  }
  if (!Array.isArray(value)) throw new Error('a patch for a list met something else');
  value.length = Math.min(value.length, patch.n);
  for (const [i, p] of Object.entries(patch.a)) {
    const k = Number(i);
    value[k] = applyPatch(k < value.length ? value[k] : null, p);
  }
  if (value.length !== patch.n) throw new Error(`a patch for a list of ${patch.n} left ${value.length} elements`);
  return value;
}

/** A patch as read from a file: the shape is checked before it is applied. */
export function isPatch(v: unknown): v is Patch {
  if (!isPlainObject(v)) return false;
  if ('s' in v) return Object.keys(v).length === 1;
  if ('o' in v) return isPlainObject(v.o) && Object.values(v.o).every(isPatch) && (v.d === undefined || (Array.isArray(v.d) && v.d.every((k) => typeof k === 'string')));
  if ('a' in v) return isPlainObject(v.a) && typeof v.n === 'number' && Number.isInteger(v.n) && v.n >= 0 && Object.entries(v.a).every(([k, p]) => /^\d+$/.test(k) && isPatch(p));
  return false;
}
