import { Box, Text } from 'ink';
import { blockChart } from './charts.js';
import { formatConfig, formatMetric, formatNumber } from './format.js';
import type { TrialRow, ViewSnapshot } from './snapshot.js';
import { STATUS_LOOK, statusKey, statusText } from './table-layout.js';

export interface TrialDetailProps {
  readonly snapshot: ViewSnapshot;
  readonly trial: TrialRow;
  readonly logTail: readonly string[];
  readonly width: number;
  readonly height: number;
}

/** One trial: status, config, its metric over recent boundaries as a chart, and the tail of its log. */
export function TrialDetail({ snapshot: s, trial: t, logTail, width, height }: TrialDetailProps) {
  const chartHeight = Math.max(2, Math.min(6, height - 8 - logTail.length));
  const chart = blockChart(t.history, Math.max(10, Math.min(60, width - 14)), chartHeight);
  const lo = t.history.length ? Math.min(...t.history) : NaN;
  const hi = t.history.length ? Math.max(...t.history) : NaN;
  const look = STATUS_LOOK[statusKey(t)];
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{`Trial ${t.id}  `}</Text>
        <Text color={look?.color}>{`${look?.symbol ?? ''} ${statusText(t)}`}</Text>
        {`  iteration ${t.iteration}/${s.maxIters}  failures ${t.failures}${t.place ? `  rung ${t.place}` : ''}`}
      </Text>
      <Text wrap="truncate-end">{`config  ${formatConfig(t.config)}`}</Text>
      <Text wrap="truncate-end">
        {`${s.metric}  last ${formatMetric(t.last?.[s.metric])}  best ${t.best === null ? '-' : formatNumber(t.best)}`}
        {t.last ? `   ${Object.entries(t.last).filter(([k]) => k !== s.metric).map(([k, v]) => `${k} ${formatMetric(v)}`).join('  ')}` : ''}
      </Text>
      {t.error ? <Text color="red" wrap="truncate-end">{`error  ${t.error}`}</Text> : null}
      {chart.length ? (
        <Box flexDirection="column" marginTop={1}>
          {chart.map((row, i) => (
            <Text key={i}>
              <Text dimColor>{(i === 0 ? formatNumber(hi) : i === chart.length - 1 ? formatNumber(lo) : '').padStart(10)}</Text>
              <Text color="cyan">{` ${row}`}</Text>
            </Text>
          ))}
          <Text dimColor>{`${' '.repeat(11)}${s.metric} over the last ${Math.min(t.history.length, 60)} validation boundaries`}</Text>
        </Box>
      ) : (
        <Text dimColor>no validation boundary reached yet</Text>
      )}
      {t.schedule ? (
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>{`schedule ${t.schedule.progress}`}</Text>
          {t.schedule.ops.map((op, i) => (
            <Text key={i} wrap="truncate-end">
              <Text color={op.fired ? 'cyan' : undefined}>{op.fired ? '  ✓ ' : '  · '}</Text>
              {`${i} ${op.name} ${formatNumber(op.value)}  `}
              {op.fired
                ? op.fired.iteration >= 0
                  ? `fired at iteration ${op.fired.iteration}${op.fired.loss !== null ? ` (loss ${formatNumber(op.fired.loss)})` : ''}`
                  : 'completed before this run'
                : `waits for ${op.when}`}
              {op.desc ? <Text dimColor>{`  ${op.desc}`}</Text> : null}
            </Text>
          ))}
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        <Text dimColor>log (stdout.log):</Text>
        {logTail.length ? logTail.map((l, i) => <Text key={i} wrap="truncate-end">{`  ${l}`}</Text>) : <Text dimColor>  (empty)</Text>}
      </Box>
    </Box>
  );
}
