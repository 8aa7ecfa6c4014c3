import { progressBar } from './charts.js';
import { fitColumns, type ColumnDef, type PlacedColumn } from './columns.js';
import { fitNumber } from './format.js';
import { cutText, textWidth, type Line, type Seg } from './text.js';
import { paramCell } from './param-columns.js';
import type { ScheduleView, TrialRow, ViewSnapshot } from './snapshot.js';

export const STATUS_LOOK: Record<string, { symbol: string; color: string }> = {
  running: { symbol: '▶', color: 'green' },
  pausing: { symbol: '◐', color: 'yellow' },
  pending: { symbol: '·', color: 'gray' },
  paused: { symbol: '⏸', color: 'yellow' },
  held: { symbol: '⏸', color: 'yellow' },
  waiting: { symbol: '⧗', color: 'magenta' },
  completed: { symbol: '✓', color: 'cyan' },
  stopped: { symbol: '■', color: 'gray' },
  failed: { symbol: '✗', color: 'red' },
};

/** pausing: running, on its way to a boundary to pause there; held: the user holds it back (space). */
export function statusKey(r: TrialRow): string {
  if (r.pausing) return 'pausing';
  if (r.held && (r.status === 'paused' || r.status === 'pending')) return 'held';
  return r.status;
}


/** Metrics in tables: three significant digits, like the hyperparameters. */
const METRIC_DIGITS = 3;
const BAR = 10;
/** The narrowest a metric column gets: room for 0.0123 or 1.2e-4. */
const METRIC_MIN = 6;

/**
 * A metric of the spec metric's family, by the name's prefix (val_acc beside val_loss): shown before the
 * hyperparameters go when the terminal is narrow; the others (train_loss) go first.
 */
export function companion(metric: string, primary: string): boolean {
  const cut = primary.indexOf('_');
  return cut > 0 && metric.startsWith(primary.slice(0, cut + 1));
}

/**
 * The live table's columns in screen order, with fixed sizes and priorities (lower goes first when the
 * terminal is narrow): other metrics 10, the progress bar 20, the schedule 25 (to its shortest) and 30,
 * the Slurm job 35, the rung 40, the searched hyperparameters 50 (the last first), metrics of the spec
 * metric's family 60, best 70, the status word 80. The trial, the spec's metric and the iteration count always stay.
 */
export function tableColumns(s: ViewSnapshot): ColumnDef[] {
  const iterDigits = String(s.maxIters).length;
  const metricCol = (m: string, cuts: number[]): ColumnDef => ({ key: `m:${m}`, title: m, align: 'right', sizes: [Math.max(textWidth(m), METRIC_MIN)], cuts });
  const others = s.metrics.filter((m) => m !== s.metric);
  const cols: ColumnDef[] = [
    { key: 'id', title: 'trial', align: 'left', sizes: [Math.max(5, String(Math.max(0, s.numTrials - 1)).padStart(4, '0').length)], cuts: [] },
    { key: 'status', title: 'status', align: 'left', sizes: [9, 1], cuts: [80] },
    ...s.params.map((p, i): ColumnDef => ({ key: `p:${p.key}`, title: p.title, align: 'right', sizes: [p.width], cuts: [50 - i / 100], gap: i === 0 ? 2 : 1 })),
    { key: 'iter', title: 'iter', align: 'right', sizes: [BAR + 1 + iterDigits, Math.max(4, iterDigits)], cuts: [20] },
    metricCol(s.metric, []),
    { key: 'best', title: 'best', align: 'right', sizes: [METRIC_MIN], cuts: [70] },
    ...others.filter((m) => companion(m, s.metric)).map((m, i) => metricCol(m, [60 - i / 100])),
    ...others.filter((m) => !companion(m, s.metric)).map((m, i) => metricCol(m, [10 - i / 100])),
  ];
  if (s.jobWidth) cols.push({ key: 'job', title: 'job', align: 'left', sizes: [s.jobWidth], cuts: [35] });
  if (s.rungWidth !== null) cols.push({ key: 'rung', title: 'rung', align: 'left', sizes: [Math.max(4, s.rungWidth)], cuts: [40] });
  if (s.scheduleWidth !== null) cols.push({ key: 'schedule', title: 'schedule', align: 'left', sizes: [Math.max(8, s.scheduleWidth), 8], cuts: [25, 30], grow: true });
  return cols;
}

/** The schedule's progress in `width` columns: the fullest of its forms that fits. */
export function scheduleText(v: ScheduleView, width: number): string {
  const count = `${v.done}/${v.total}`;
  if (!v.next) return [`${count} · all done`, count].find((x) => textWidth(x) <= width) ?? '';
  const when = [v.next.belowLoss !== null ? `loss < ${v.next.belowLoss}` : '', v.next.inIters !== null ? `+${v.next.inIters} it` : ''].filter(Boolean).join(' or ');
  const forms = [`${count} · next ${v.next.name} at ${when}`, `${count} · next ${v.next.name}`, `${count} ${v.next.name}`, count];
  return forms.find((x) => textWidth(x) <= width) ?? cutText(count, width);
}

function metricCell(v: number | null | undefined, width: number): string {
  return v === undefined ? '-' : v === null ? 'nan' : fitNumber(v, width, METRIC_DIGITS);
}

/** One cell's text, at most the column's width. */
function cellText(r: TrialRow, c: PlacedColumn, s: ViewSnapshot): string {
  const key = c.def.key;
  if (key === 'id') return r.id;
  if (key === 'status') {
    const look = STATUS_LOOK[statusKey(r)];
    return c.size === 0 ? `${look?.symbol ?? '?'} ${statusKey(r)}` : look?.symbol ?? '?';
  }
  if (key === 'iter') {
    const n = String(r.iteration);
    return c.size === 0 ? `${progressBar(r.iteration, s.maxIters, BAR)} ${n.padStart(c.width - BAR - 1)}` : n;
  }
  if (key === 'best') return r.best === null ? '-' : metricCell(r.best, c.width);
  if (key === 'rung') return cutText(r.place ?? '', c.width);
  if (key === 'job') return cutText(r.job ?? '', c.width);
  if (key === 'schedule') return r.schedule ? scheduleText(r.schedule, c.width) : '';
  if (key.startsWith('m:')) return metricCell(r.last?.[key.slice(2)], c.width);
  if (key.startsWith('p:')) {
    const grown = r.changes.find((x) => x.growth && x.key === key.slice(2));
    return paramCell(grown ? grown.to : r.config[key.slice(2)], c.width);
  }
  return '';
}

function pad(text: string, c: PlacedColumn): string {
  const t = cutText(text, c.width);
  const fill = ' '.repeat(Math.max(0, c.width - textWidth(t)));
  return c.def.align === 'right' ? fill + t : t + fill;
}

/** Which rows fit in `height` lines: running ones first, then paused, then waiting and pending; the selection stays in view. */
export function visibleRows(rows: readonly TrialRow[], selectedId: string | null, height: number): { rows: TrialRow[]; above: number; below: number } {
  const rank = (r: TrialRow) => (r.status === 'running' ? 0 : r.status === 'paused' ? 1 : r.status === 'waiting' ? 2 : 3);
  const ordered = [...rows].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  if (ordered.length <= height) return { rows: ordered, above: 0, below: 0 };
  if (height <= 1) return { rows: [], above: 0, below: ordered.length };
  const n = ordered.length;
  const sel = selectedId ? ordered.findIndex((r) => r.id === selectedId) : -1;
  // One line says how many are below; once the selection has moved past the first screen, one more says how many are above.
  let room = height - 1;
  if (sel < room) return { rows: ordered.slice(0, room), above: 0, below: n - room };
  room = Math.max(1, height - 2);
  let start = sel - room + 1;
  if (start + room >= n) {
    room = height - 1;
    start = n - room;
  }
  return { rows: ordered.slice(start, start + room), above: start, below: n - start - room };
}

/** The table of live trials in at most `height` lines and `width` columns. */
export function tableLines(s: ViewSnapshot, rows: readonly TrialRow[], selectedId: string | null, width: number, height: number): Line[] {
  if (rows.length === 0) return [[{ text: 'no live trials', dim: true }]];
  const cols = fitColumns(tableColumns(s), width, 2);
  const gap = (i: number) => (i === 0 ? '' : ' '.repeat(cols[i].def.gap ?? 2));
  const title: Seg[] = [{ text: '  ' }, ...cols.map((c, i) => ({ text: gap(i) + pad(textWidth(c.def.title) <= c.width ? c.def.title : '', c), bold: true }))];
  const view = visibleRows(rows, selectedId, Math.max(1, height - 1));
  const lines: Line[] = [title];
  if (view.above > 0) lines.push([{ text: `  ↑ ${view.above} more`, dim: true }]);
  for (const r of view.rows) {
    const selected = r.id === selectedId;
    const grown = new Set(r.changes.filter((c) => c.growth).map((c) => `p:${c.key}`));
    const look = STATUS_LOOK[statusKey(r)];
    lines.push([
      { text: selected ? '› ' : '  ', inverse: selected },
      ...cols.map((c, i): Seg => ({
        text: gap(i) + pad(cellText(r, c, s), c),
        inverse: selected,
        color: c.def.key === 'status' ? look?.color : grown.has(c.def.key) ? 'cyan' : undefined,
      })),
    ]);
  }
  if (view.below > 0) lines.push([{ text: `  ↓ ${view.below} more`, dim: true }]);
  return lines.slice(0, Math.max(1, height));
}
