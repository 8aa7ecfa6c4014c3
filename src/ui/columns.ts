/**
 * Which columns of a table fit a width, decided from the columns' fixed sizes and priorities alone, so a
 * table keeps the same columns from one frame to the next and changes them only when the terminal's width
 * changes. Pure.
 */
export interface ColumnDef {
  readonly key: string;
  readonly title: string;
  readonly align: 'left' | 'right';
  /** The widths the column can take, widest first (a progress bar with its number, then the number alone). */
  readonly sizes: readonly number[];
  /**
   * The priority of each narrowing step, lowest first to go: cuts[i] takes the column from sizes[i] to
   * sizes[i + 1], or drops it after its last size. A column with fewer cuts than sizes is never dropped.
   */
  readonly cuts: readonly number[];
  /** Spaces before it (2 unless said). */
  readonly gap?: number;
  /** The last column may take whatever room is left on the line. */
  readonly grow?: boolean;
}

export interface PlacedColumn {
  readonly def: ColumnDef;
  readonly width: number;
  /** Which of its sizes it has (0: the widest). */
  readonly size: number;
}

function total(defs: readonly ColumnDef[], sizes: (number | null)[], lead: number): number {
  let t = lead;
  let first = true;
  defs.forEach((d, i) => {
    const s = sizes[i];
    if (s === null) return;
    t += d.sizes[s] + (first ? 0 : d.gap ?? 2);
    first = false;
  });
  return t;
}

/** The columns that fit `width` (after `lead` columns of row marker), narrowed and dropped lowest priority first. */
export function fitColumns(defs: readonly ColumnDef[], width: number, lead = 0): PlacedColumn[] {
  const sizes: (number | null)[] = defs.map(() => 0);
  const steps: { col: number; priority: number }[] = [];
  defs.forEach((d, col) => {
    // A column's steps happen in its own order, whatever priorities it was given.
    let p = -Infinity;
    for (const c of d.cuts.slice(0, d.sizes.length)) {
      p = Math.max(p, c);
      steps.push({ col, priority: p });
    }
  });
  // Ties go right to left: the columns further right matter less.
  steps.sort((a, b) => a.priority - b.priority || b.col - a.col);
  for (const step of steps) {
    if (total(defs, sizes, lead) <= width) break;
    const s = sizes[step.col] as number;
    sizes[step.col] = s + 1 < defs[step.col].sizes.length ? s + 1 : null;
  }
  const room = width - total(defs, sizes, lead);
  const out: PlacedColumn[] = [];
  defs.forEach((d, i) => {
    const s = sizes[i];
    if (s === null) return;
    const w = d.sizes[s] + (d.grow && i === defs.length - 1 && room > 0 ? room : 0);
    out.push({ def: d, width: w, size: s });
  });
  return out;
}
