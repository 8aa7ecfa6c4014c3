import { Box, Text } from 'ink';
import { formatDuration, sparkline } from './charts.js';
import { formatConfig, formatNumber } from './format.js';
import type { ViewSnapshot } from './snapshot.js';

export interface HeaderProps {
  readonly snapshot: ViewSnapshot;
  readonly now: number;
  readonly width: number;
}

/** Experiment, strategy, session, elapsed time, trial counts, the best trial and its trend. */
export function Header({ snapshot: s, now, width }: HeaderProps) {
  const c = s.counts;
  const onTheWay = s.trials.filter((t) => t.pausing).map((t) => t.id);
  const paused = s.trials.filter((t) => t.status === 'paused').map((t) => t.id);
  const bestLine = s.best
    ? `best ${s.best.id} ${s.metric}=${formatNumber(s.best.value)}  ${formatConfig(s.best.config)}`
    : `best: no ${s.metric} reported yet`;
  const spark = sparkline(s.bestHistory, 16);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="cyan">tune</Text>
        {` · ${s.experiment} · ${s.strategy} · ${formatDuration(now - s.startedAt)}`}
      </Text>
      <Text dimColor wrap="truncate-start">{`session ${s.sessionDir}`.slice(0, Math.max(20, width))}</Text>
      <Text>
        {`trials ${c.done}/${s.numTrials} done · `}
        <Text color="green">{`${c.running} running`}</Text>
        {` · ${c.pending} pending · `}
        <Text color={c.paused ? 'yellow' : undefined}>{`${c.paused} paused`}</Text>
        {c.waiting ? <Text color="magenta">{` · ${c.waiting} waiting at a rung`}</Text> : null}
        {c.failed ? <Text color="red">{` · ${c.failed} failed`}</Text> : null}
      </Text>
      <Text wrap="truncate-end">
        {bestLine.slice(0, Math.max(10, width - spark.length - 2))}
        {spark ? <Text color="cyan">{`  ${spark}`}</Text> : null}
      </Text>
      {s.pausing ? (
        <Text color="yellow" wrap="truncate-end">
          {s.quitting
            ? 'Quitting: stopping every trial now'
            : `Pausing${s.pauseReason ? ` (${s.pauseReason})` : ''}: ${onTheWay.length ? `on the way to a validation boundary: ${onTheWay.join(', ')}` : 'all trials stopped'}${paused.length ? `; paused: ${paused.join(', ')}` : ''}`}
        </Text>
      ) : null}
    </Box>
  );
}
