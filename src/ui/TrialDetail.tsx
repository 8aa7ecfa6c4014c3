import { Box } from 'ink';
import { blockChart } from './charts.js';
import { formatConfig, formatMetric, formatNumber, formatValue } from './format.js';
import { Lines } from './lines.js';
import { plainText, type Line } from './text.js';
import type { TrialRow, ViewSnapshot } from './snapshot.js';
import { scheduleText, STATUS_LOOK, statusKey } from './table-layout.js';

export interface TrialDetailProps {
  readonly snapshot: ViewSnapshot;
  readonly trial: TrialRow;
  /** The end of the trial's stdout.log, as the session layer last read it. */
  readonly logTail: readonly string[];
  readonly width: number;
  readonly height: number;
}

/** How much of each part fits; parts shrink in a fixed order until the whole is at most `height` lines. */
interface Room {
  chart: number;
  ops: number;
  log: number;
  gaps: boolean;
  schedule: boolean;
}

/** Takes one step off the first part that can give: the order in which the detail view gives up room. */
function shrinkOnce(r: Room): boolean {
  if (r.log > 2) r.log--;
  else if (r.chart > 2) r.chart--;
  else if (r.ops > 0) r.ops--;
  else if (r.gaps) r.gaps = false;
  else if (r.log > 0) r.log = 0;
  else if (r.chart > 0) r.chart = 0;
  else if (r.schedule) r.schedule = false;
  else return false;
  return true;
}

function changesText(t: TrialRow): string {
  return t.changes.map((c) => {
    const ops = c.ops.map((o) => `${o.name} ${c.growth ? '+' : o.name.startsWith('change_') ? '×' : '='}${formatNumber(o.value)} at ${o.iteration}`).join(', ');
    return `${c.key} ${formatValue(c.from)} → ${formatValue(c.to)} (${ops})`;
  }).join(' · ');
}

/**
 * One trial in at most `height` lines: status, config (and what its schedule changed), metrics, a chart of
 * its metric, its schedule and the end of its log. When short of room the log shrinks first, then the
 * chart, the list of operations, the blank lines, and then whole parts go.
 */
export function detailLines(s: ViewSnapshot, t: TrialRow, logTail: readonly string[], width: number, height: number): Line[] {
  const look = STATUS_LOOK[statusKey(t)];
  const searched = new Set(Object.keys(t.config));
  const fixed = Object.fromEntries(Object.entries(t.now).filter(([k]) => !searched.has(k) && !t.changes.some((c) => c.key === k)));
  const startValues = { ...t.config, ...Object.fromEntries(t.changes.filter((c) => !searched.has(c.key)).map((c) => [c.key, c.from])) };
  const others = s.metrics.filter((m) => m !== s.metric && t.last?.[m] !== undefined);
  const top: Line[] = [
    [
      { text: `Trial ${t.id}  `, bold: true },
      { text: `${look?.symbol ?? ''} ${statusKey(t)}`, color: look?.color },
      { text: `  iteration ${t.iteration}/${s.maxIters}  failures ${t.failures}${t.place ? `  rung ${t.place}` : ''}${t.where ? `  ${t.where}` : ''}` },
    ],
    [{ text: `config  ${formatConfig(startValues)}` }, ...(Object.keys(fixed).length ? [{ text: `  fixed ${formatConfig(fixed)}`, dim: true }] : [])],
  ];
  if (t.changes.length) top.push([{ text: 'now     ' }, { text: changesText(t), color: 'cyan' }]);
  top.push([{ text: `${s.metric}  last ${formatMetric(t.last?.[s.metric])}  best ${t.best === null ? '-' : formatNumber(t.best)}${t.atBest ? ` (it ${t.atBest.iteration})` : ''}${others.map((m) => `   ${m} ${formatMetric(t.last?.[m])}`).join('')}` }]);
  if (t.error) top.push([{ text: `error  ${t.error}`, color: 'red' }]);

  const opsCount = t.schedule?.ops.length ?? 0;
  const room: Room = { chart: 6, ops: opsCount, log: Math.min(8, logTail.length || 1), gaps: true, schedule: t.schedule !== null };
  const chartWidth = Math.max(10, Math.min(60, width - 14));
  const hasChart = t.history.length > 0;
  const size = (r: Room) => {
    const gap = r.gaps ? 1 : 0;
    const chart = r.chart > 0 ? gap + (hasChart ? r.chart + 1 : 1) : 0;
    const schedule = r.schedule ? gap + 1 + r.ops : 0;
    const log = r.log > 0 ? gap + 1 + r.log : 0;
    return top.length + chart + schedule + log;
  };
  while (size(room) > height && shrinkOnce(room));

  const lines: Line[] = [...top];
  const gap = () => {
    if (room.gaps) lines.push([]);
  };
  if (room.chart > 0) {
    gap();
    if (hasChart) {
      const chart = blockChart(t.history, chartWidth, room.chart);
      const lo = Math.min(...t.history.slice(-chartWidth));
      const hi = Math.max(...t.history.slice(-chartWidth));
      chart.forEach((row, i) => lines.push([
        { text: (i === 0 ? formatNumber(hi) : i === chart.length - 1 ? formatNumber(lo) : '').padStart(10), dim: true },
        { text: ` ${row}`, color: 'cyan' },
      ]));
      lines.push([{ text: `${' '.repeat(11)}${s.metric} over the last ${Math.min(t.history.length, chartWidth)} validation boundaries`, dim: true }]);
    } else {
      lines.push([{ text: 'no validation boundary reached yet', dim: true }]);
    }
  }
  if (room.schedule && t.schedule) {
    gap();
    lines.push([{ text: `schedule ${scheduleText(t.schedule, 200)}`, dim: true }]);
    for (const [i, op] of t.schedule.ops.entries()) {
      if (i >= room.ops) break;
      lines.push([
        { text: op.fired ? '  ✓ ' : '  · ', color: op.fired ? 'cyan' : undefined },
        { text: `${i} ${op.name} ${formatNumber(op.value)}  ` },
        { text: op.fired ? (op.fired.iteration >= 0 ? `fired at iteration ${op.fired.iteration}${op.fired.loss !== null ? ` (loss ${formatNumber(op.fired.loss)})` : ''}` : 'completed before this run') : `waits for ${op.when}` },
        ...(op.desc ? [{ text: `  ${op.desc}`, dim: true }] : []),
      ]);
    }
  }
  if (room.log > 0) {
    gap();
    lines.push([{ text: 'log (stdout.log):', dim: true }]);
    const tail = logTail.slice(-room.log);
    if (tail.length === 0) lines.push([{ text: '  (empty)', dim: true }]);
    for (const l of tail) lines.push([{ text: `  ${plainText(l)}` }]);
  }
  return lines.slice(0, Math.max(0, height));
}

export function TrialDetail({ snapshot, trial, logTail, width, height }: TrialDetailProps) {
  return (
    <Box flexDirection="column">
      <Lines lines={detailLines(snapshot, trial, logTail, width, height)} width={width} />
    </Box>
  );
}
