import { Box } from 'ink';
import { Lines } from './lines.js';
import type { Line } from './text.js';
import type { ViewSnapshot } from './snapshot.js';

const KEYS: [string, string][] = [
  ['p', 'pause the search: every trial stops at its next validation boundary, then tune prints the resume command'],
  ['Ctrl+C', 'the same as p; a second Ctrl+C quits at once'],
  ['q', 'quit at once: trials are killed and resume later from their last checkpoints'],
  ['space', 'hold the selected trial (it pauses at its next boundary and waits), or let it run again'],
  ['↑ ↓', 'select a trial'],
  ['enter', "open the selected trial: its metrics chart, its schedule and its log's tail"],
  ['esc', 'back to the table'],
  ['?', 'this help'],
];

/** The keys, then what the table's short column titles stand for, in at most `height` lines. */
export function helpLines(s: ViewSnapshot, height: number): Line[] {
  const lines: Line[] = [[{ text: 'Keys', bold: true }], ...KEYS.map(([k, d]): Line => [{ text: k.padEnd(8), color: 'cyan' }, { text: d }])];
  const short = s.params.filter((p) => p.title !== p.key).map((p) => `${p.title} = ${p.key}`);
  lines.push([], [{ text: 'Columns', bold: true }]);
  if (short.length) lines.push([{ text: short.join(', ') }]);
  lines.push([{ text: 'hyperparameters in ' }, { text: 'cyan', color: 'cyan' }, { text: ' grew during the trial (widen_mlp, stack_layers): the model as it is now' }]);
  lines.push([{ text: 'iter: iterations done; best: the best ' }, { text: s.metric }, { text: ' so far; narrow terminals show fewer columns' }]);
  return lines.slice(0, Math.max(0, height));
}

export function Help({ snapshot, width, height }: { readonly snapshot: ViewSnapshot; readonly width: number; readonly height: number }) {
  return (
    <Box flexDirection="column">
      <Lines lines={helpLines(snapshot, height)} width={width} />
    </Box>
  );
}
