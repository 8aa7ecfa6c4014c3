import { formatNumber, formatValue, formatMetric } from './format.js';
import { progressBar } from './charts.js';
import type { TrialRow } from './snapshot.js';

export interface Column {
  readonly key: string;
  readonly title: string;
  readonly width: number;
  readonly align: 'left' | 'right';
}

export const STATUS_LOOK: Record<string, { symbol: string; color: string }> = {
  running: { symbol: '▶', color: 'green' },
  pausing: { symbol: '◐', color: 'yellow' },
  pending: { symbol: '·', color: 'gray' },
  paused: { symbol: '⏸', color: 'yellow' },
  waiting: { symbol: '⧗', color: 'magenta' },
  completed: { symbol: '✓', color: 'cyan' },
  stopped: { symbol: '■', color: 'gray' },
  failed: { symbol: '✗', color: 'red' },
};

export function statusText(r: TrialRow): string {
  if (r.pausing) return 'to boundary';
  if (r.status === 'paused' && r.held) return 'held';
  return r.status;
}

export function statusKey(r: TrialRow): string {
  return r.pausing ? 'pausing' : r.status;
}

const BAR = 10;

/** The cells of one row, by column key. */
export function cells(r: TrialRow, params: readonly string[], metric: string, maxIters: number): Record<string, string> {
  const out: Record<string, string> = {
    id: r.id,
    status: `${STATUS_LOOK[statusKey(r)]?.symbol ?? '?'} ${statusText(r)}`,
    progress: `${progressBar(r.iteration, maxIters, BAR)} ${r.iteration}`,
    last: formatMetric(r.last?.[metric]),
    best: r.best === null ? '-' : formatNumber(r.best),
    schedule: r.schedule?.progress ?? '',
    place: r.place ?? '',
  };
  for (const p of params) out[`p:${p}`] = formatValue(r.config[p]);
  return out;
}

/**
 * Columns that fit `width`: the fixed ones always, then as many searched hyperparameters as fit, in the
 * space's order. Returns the columns and how many hyperparameters were left out.
 */
export function layoutColumns(rows: readonly TrialRow[], params: readonly string[], metric: string, maxIters: number, width: number): { columns: Column[]; hidden: number } {
  const all = rows.map((r) => cells(r, params, metric, maxIters));
  const w = (key: string, title: string) => Math.max(title.length, ...all.map((c) => c[key]?.length ?? 0));
  const fixedHead: Column[] = [
    { key: 'id', title: 'trial', width: w('id', 'trial'), align: 'left' },
    { key: 'status', title: 'status', width: Math.max(w('status', 'status'), 13), align: 'left' },
  ];
  const fixedTail: Column[] = [
    { key: 'progress', title: 'iterations', width: Math.max(w('progress', 'iterations'), BAR + 1 + String(maxIters).length), align: 'left' },
    { key: 'last', title: `last ${metric}`, width: w('last', `last ${metric}`), align: 'right' },
    { key: 'best', title: 'best', width: w('best', 'best'), align: 'right' },
  ];
  // Under a multi-fidelity scheduler, where each trial stands (rung, bracket) is as important as its metric.
  if (rows.some((r) => r.place)) fixedTail.push({ key: 'place', title: 'rung', width: w('place', 'rung'), align: 'left' });
  const gap = 2;
  const used = [...fixedHead, ...fixedTail].reduce((a, c) => a + c.width + gap, 2);
  // The schedule's progress shares the room with the hyperparameters: it gets a readable minimum first,
  // the hyperparameters what is left, and the schedule then grows into whatever remains.
  const hasSchedule = rows.some((r) => r.schedule);
  const scheduleFull = hasSchedule ? Math.min(w('schedule', 'schedule'), 48) : 0;
  const scheduleMin = hasSchedule ? Math.min(scheduleFull, 18) : 0;
  const widths = params.map((p) => w(`p:${p}`, p) + gap);
  const total = widths.reduce((a, x) => a + x, 0);
  const reserve = scheduleMin > 0 ? scheduleMin + gap : 0;
  const allFit = total <= width - used - reserve;
  // When some must go, keep room for the "+N params" note in the header.
  let room = width - used - reserve - (allFit ? 0 : `  +${params.length} params`.length);
  const paramCols: Column[] = [];
  for (let i = 0; i < params.length; i++) {
    if (widths[i] > room) break;
    paramCols.push({ key: `p:${params[i]}`, title: params[i], width: widths[i] - gap, align: 'right' });
    room -= widths[i];
  }
  if (hasSchedule) {
    const left = width - used - paramCols.reduce((a, c) => a + c.width + gap, 0) - (paramCols.length < params.length ? `  +${params.length} params`.length : 0) - gap;
    const sw = Math.min(scheduleFull, left);
    if (sw >= 12) fixedTail.push({ key: 'schedule', title: 'schedule', width: sw, align: 'left' });
  }
  return { columns: [...fixedHead, ...paramCols, ...fixedTail], hidden: params.length - paramCols.length };
}

/** Which rows fit in `height` lines: running ones first, then paused, then waiting and pending; the selection stays in view. */
export function visibleRows(rows: readonly TrialRow[], selectedId: string | null, height: number): { rows: TrialRow[]; above: number; below: number } {
  const rank = (r: TrialRow) => (r.status === 'running' ? 0 : r.status === 'paused' ? 1 : r.status === 'waiting' ? 2 : 3);
  const ordered = [...rows].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
  if (ordered.length <= height) return { rows: ordered, above: 0, below: 0 };
  const room = Math.max(1, height - 1); // one line says how many more
  const sel = selectedId ? ordered.findIndex((r) => r.id === selectedId) : -1;
  const start = sel >= room ? sel - room + 1 : 0;
  return { rows: ordered.slice(start, start + room), above: start, below: ordered.length - start - room };
}

export function pad(text: string, c: Column): string {
  const t = text.length > c.width ? text.slice(0, c.width) : text;
  return c.align === 'right' ? t.padStart(c.width) : t.padEnd(c.width);
}
