/**
 * The values one hyperparameter may take, as data: the trainer checks a value against it, and the spec's
 * validation checks fixed values and searched ranges against the same domain before any trial starts.
 * Every numeric domain is an interval, so a searched range lies inside it when both of its ends do.
 */
export type Domain =
  | { readonly kind: 'real'; readonly min: number; readonly minOpen: boolean; readonly max?: number; readonly maxOpen?: boolean }
  | { readonly kind: 'int'; readonly min: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'choice'; readonly values: readonly string[] };

export const positiveReal: Domain = { kind: 'real', min: 0, minOpen: true };
export const nonNegativeReal: Domain = { kind: 'real', min: 0, minOpen: false };
export const unitInterval: Domain = { kind: 'real', min: 0, minOpen: false, max: 1, maxOpen: true };
export const positiveInt: Domain = { kind: 'int', min: 1 };
export const nonNegativeInt: Domain = { kind: 'int', min: 0 };
export const bool: Domain = { kind: 'bool' };
export const choice = (...values: string[]): Domain => ({ kind: 'choice', values });

/** What a value of the domain looks like: "a number > 0", "a whole number >= 1", "sgd or adamw". */
export function describeDomain(d: Domain): string {
  switch (d.kind) {
    case 'real':
      if (d.max === undefined) return `a number ${d.minOpen ? '>' : '>='} ${d.min}`;
      return `a number in ${d.minOpen ? '(' : '['}${d.min}, ${d.max}${d.maxOpen ? ')' : ']'}`;
    case 'int':
      return `a whole number >= ${d.min}`;
    case 'bool':
      return 'true or false';
    case 'choice':
      return d.values.length === 2 ? `${d.values[0]} or ${d.values[1]}` : `one of ${d.values.join(', ')}`;
  }
}

/** Null when `v` is in the domain; otherwise the rule it breaks, as "must be …". */
export function domainProblem(d: Domain, v: unknown): string | null {
  const ok = (() => {
    switch (d.kind) {
      case 'real':
        if (typeof v !== 'number' || !Number.isFinite(v)) return false;
        if (d.minOpen ? v <= d.min : v < d.min) return false;
        return d.max === undefined || (d.maxOpen ? v < d.max : v <= d.max);
      case 'int':
        return typeof v === 'number' && Number.isInteger(v) && v >= d.min;
      case 'bool':
        return typeof v === 'boolean';
      case 'choice':
        return typeof v === 'string' && d.values.includes(v);
    }
  })();
  return ok ? null : `must be ${describeDomain(d)}`;
}
