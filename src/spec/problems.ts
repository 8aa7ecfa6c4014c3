import { lineFor } from './locate.js';

/**
 * Collects one line per problem: `file:line: field is X, but …; how to fix`. A field whose value came from
 * elsewhere (`tune train --set lr=abc`) is named by where it was written instead: `--set lr=abc: …`.
 */
export class Problems {
  readonly list: string[] = [];
  constructor(
    private readonly file: string,
    private readonly lines: Map<string, number>,
    private readonly origins: ReadonlyMap<string, string> = new Map(),
  ) {}
  add(path: string, message: string): void {
    const origin = this.origins.get(path);
    if (origin !== undefined) {
      this.list.push(`${origin}: ${message}`);
      return;
    }
    const line = path ? lineFor(this.lines, path) : undefined;
    this.list.push(`${this.file}${line ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${message}`);
  }
}

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // .inf / .nan: JSON would say null
  if (v === undefined) return 'missing';
  return JSON.stringify(v) ?? String(v);
}

export function closest(word: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) { bestD = d; best = o; }
  }
  // Two edits turn any short word into any other ("n" into "lr"): short words get one.
  if (bestD <= (word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3)))) return best;
  // A shortened name (n_startup for n_startup_trials) is far in edits but plainly meant.
  const longer = word.length >= 4 ? options.filter((o) => o.startsWith(word)) : [];
  return longer.length === 1 ? longer[0] : null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function checkKeys(p: Problems, obj: Record<string, unknown>, allowed: readonly string[], base: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const guess = closest(key, allowed);
    p.add(base ? `${base}.${key}` : key, `unknown field${guess ? `; did you mean "${guess}"?` : `; allowed: ${allowed.join(', ')}`}`);
  }
}

