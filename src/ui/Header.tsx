import { Box } from 'ink';
import { formatDuration, sparkline } from './charts.js';
import { formatNumber, formatSig, plural } from './format.js';
import { Lines } from './lines.js';
import { cutText, textWidth, type Line, type Seg } from './text.js';
import { shortNames } from './param-columns.js';
import type { ViewSnapshot } from './snapshot.js';
import { companion } from './table-layout.js';

/** The session's total time: earlier runs plus this one (a resume does not restart the clock). */
function sessionTime(s: ViewSnapshot, now: number): number {
  return s.clock.before + Math.max(0, now - s.clock.since);
}

/** The counts in the pause message's words and order (drive.ts): done, paused, pending, not started. */
function countsLine(s: ViewSnapshot, width: number): Line {
  const c = s.counts;
  const segs = (long: boolean): Seg[] => [
    { text: `${plural(s.numTrials, 'trial')}: ${c.done} done, ` },
    { text: `${c.running} running`, color: c.running ? 'green' : undefined },
    { text: ', ' },
    { text: `${c.paused} paused`, color: c.paused ? 'yellow' : undefined },
    { text: `, ${c.pending} pending, ${c.notStarted} not started` },
    ...(c.held ? [{ text: `, ${c.held} held`, color: 'yellow' }] : []),
    ...(c.waiting ? [{ text: `, ${c.waiting} waiting${long ? ' at a rung' : ''}`, color: 'magenta' }] : []),
    ...(c.failed ? [{ text: `, ${c.failed} failed`, color: 'red' }] : []),
  ];
  const long = segs(true);
  return long.reduce((a, x) => a + textWidth(x.text), 0) <= width ? long : segs(false);
}

/** "best 0003 val_loss 0.08123 val_acc 0.9753 (it 1800) · lr=0.00123 hid=128" and the best-so-far trend. */
function bestLine(s: ViewSnapshot, width: number): Line {
  const spark = sparkline(s.bestHistory, 16);
  if (!s.best) return [{ text: `best: no ${s.metric} reported yet`, dim: true }];
  const b = s.best;
  const companions = s.metrics.filter((m) => m !== s.metric && companion(m, s.metric));
  const values = companions.map((m) => b.metrics?.[m]).map((v, i) => (typeof v === 'number' ? ` ${companions[i]} ${formatNumber(v)}` : '')).join('');
  const names = shortNames(Object.keys(b.config));
  const config = Object.entries(b.config).map(([k, v]) => `${names.get(k)}=${typeof v === 'number' ? formatSig(v, 3) : String(v)}`).join(' ');
  const text = `best ${b.id} ${s.metric} ${formatNumber(b.value)}${values} (it ${b.iteration}) · ${config}`;
  const room = spark ? width - spark.length - 2 : width;
  return [{ text: cutText(text, Math.max(10, room)) }, ...(spark ? [{ text: `  ${spark}`, color: 'cyan' }] : [])];
}

/** While a pause is on its way: who is still running to a boundary, who has paused, and how to quit now. */
function pauseLine(s: ViewSnapshot): Line {
  if (s.quitting) return [{ text: 'Quitting: stopping every trial now', color: 'yellow' }];
  const onTheWay = s.trials.filter((t) => t.pausing).map((t) => t.id);
  const paused = s.trials.filter((t) => t.status === 'paused').map((t) => t.id);
  const byCtrlC = s.pauseReason === 'Ctrl+C' || s.pauseReason === 'SIGINT';
  const quit = byCtrlC ? 'Ctrl+C again or q quits now' : 'q quits now';
  const where = onTheWay.length ? `to a validation boundary: ${onTheWay.join(' ')}` : 'all trials stopped';
  return [{ text: `Pausing${s.pauseReason ? ` (${s.pauseReason})` : ''} · ${quit} · ${where}${paused.length ? ` · paused: ${paused.join(' ')}` : ''}`, color: 'yellow' }];
}

/**
 * The header: what runs and for how long, where the session is, the trial counts, the best trial and its
 * trend, and while pausing, the pause's progress. `compact` leaves out the session's folder (short terminals).
 */
export function headerLines(s: ViewSnapshot, now: number, width: number, compact = false): Line[] {
  const lines: Line[] = [
    [{ text: 'tune', bold: true, color: 'cyan' }, { text: ` · ${s.experiment} · ${formatDuration(sessionTime(s, now))} · ${s.strategy}` }],
  ];
  if (!compact) {
    const dir = `session ${s.sessionDir}`;
    lines.push([{ text: textWidth(dir) <= width ? dir : `session …${s.sessionDir.slice(-Math.max(1, width - 9))}`, dim: true }]);
  }
  lines.push(countsLine(s, width), bestLine(s, width));
  if (s.pausing) lines.push(pauseLine(s));
  return lines;
}

export interface HeaderProps {
  readonly snapshot: ViewSnapshot;
  readonly now: number;
  readonly width: number;
}

export function Header({ snapshot, now, width }: HeaderProps) {
  return (
    <Box flexDirection="column">
      <Lines lines={headerLines(snapshot, now, width)} width={width} />
    </Box>
  );
}
