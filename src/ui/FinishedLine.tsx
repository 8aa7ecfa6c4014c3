import { Text } from 'ink';
import { formatConfig, formatNumber, formatMetric } from './format.js';
import type { TrialRow } from './snapshot.js';
import { STATUS_LOOK } from './table-layout.js';

/** A trial that has ended, printed once above the live frame (Ink's <Static>) and left in the scrollback. */
export function FinishedLine({ trial: t, metric }: { readonly trial: TrialRow; readonly metric: string }) {
  const look = STATUS_LOOK[t.status];
  return (
    <Text wrap="truncate-end">
      <Text color={look?.color}>{`${look?.symbol ?? ''} ${t.id} ${t.status}`}</Text>
      {t.status === 'failed'
        ? `  ${t.error ?? ''}`
        : `  it ${t.iteration}${t.status === 'stopped' && t.place ? ` (rung ${t.place})` : ''}  ${metric} last ${formatMetric(t.last?.[metric])} best ${t.best === null ? '-' : formatNumber(t.best)}  ${formatConfig(t.config)}`}
    </Text>
  );
}
