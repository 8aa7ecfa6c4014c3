import { grownConfig } from '../session/applied-config.js';
import { formatMetric, formatNumber, formatSig } from './format.js';
import { Lines } from './lines.js';
import type { Line } from './text.js';
import { shortNames } from './param-columns.js';
import type { TrialRow, ViewSnapshot } from './snapshot.js';
import { STATUS_LOOK } from './table-layout.js';

/**
 * A trial that has ended, printed once above the live frame (Ink's <Static>) and left in the scrollback:
 * its metrics (the spec's first), then its config as searched, with the size its model grew to, short names. It wraps
 * rather than being cut: it is printed once, and what it holds is wanted later.
 */
export function finishedLine(t: TrialRow, s: Pick<ViewSnapshot, 'metric' | 'metrics'>): Line {
  const look = STATUS_LOOK[t.status];
  const head = { text: `${look?.symbol ?? ''} ${t.id} ${t.status}`, color: look?.color };
  if (t.status === 'failed') return [head, { text: `  ${t.error ?? ''}` }];
  const others = s.metrics.filter((m) => m !== s.metric && t.last?.[m] !== undefined);
  const metrics = `${s.metric} ${formatMetric(t.last?.[s.metric])} (best ${t.best === null ? '-' : formatNumber(t.best)})${others.map((m) => `  ${m} ${formatMetric(t.last?.[m])}`).join('')}`;
  const names = shortNames(Object.keys(t.config));
  const config = Object.entries(grownConfig(t.config, t.changes)).map(([k, v]) => `${names.get(k)}=${typeof v === 'number' ? formatSig(v, 3) : String(v)}`).join(' ');
  return [head, { text: `  it ${t.iteration}${t.status === 'stopped' && t.place ? ` (rung ${t.place})` : ''}  ${metrics}  ${config}` }];
}

export function FinishedLine({ trial, snapshot, width }: { readonly trial: TrialRow; readonly snapshot: ViewSnapshot; readonly width: number }) {
  return <Lines lines={[finishedLine(trial, snapshot)]} width={width} wrap />;
}
