import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { TrialTable } from '../../src/ui/TrialTable.js';
import { TrialDetail } from '../../src/ui/TrialDetail.js';
import { Header } from '../../src/ui/Header.js';
import { blockChart, progressBar, sparkline } from '../../src/ui/charts.js';
import { visibleRows } from '../../src/ui/table-layout.js';
import type { TrialRow, ViewCommands, ViewSnapshot } from '../../src/ui/snapshot.js';

const tick = () => new Promise((r) => setTimeout(r, 30));

function row(id: string, over: Partial<TrialRow> = {}): TrialRow {
  return {
    id, status: 'running', pausing: false, held: false, config: { lr: 0.0123456, hidden: 32 }, iteration: 400,
    last: { val_loss: 0.5, val_acc: 0.8 }, best: 0.45, failures: 0, error: null, history: [0.9, 0.7, 0.6, 0.5], schedule: null, place: null, ...over,
  };
}

function snap(trials: TrialRow[], over: Partial<ViewSnapshot> = {}): ViewSnapshot {
  return {
    experiment: 'demo', strategy: 'random search, fifo scheduler', sessionDir: '/s/demo/session_1', startedAt: 0,
    metric: 'val_loss', mode: 'min', maxIters: 1000, numTrials: trials.length, params: ['lr', 'hidden'],
    counts: { done: trials.filter((t) => t.status === 'completed').length, running: trials.filter((t) => t.status === 'running').length, pending: 0, paused: trials.filter((t) => t.status === 'paused').length, waiting: trials.filter((t) => t.status === 'waiting').length, failed: 0 },
    best: { id: '0001', value: 0.45, config: { lr: 0.0123456, hidden: 32 } }, bestHistory: [0.9, 0.6, 0.45], trials,
    pausing: false, quitting: false, pauseReason: null, ...over,
  };
}

function source(s: ViewSnapshot) {
  let current = s;
  const listeners = new Set<() => void>();
  return {
    getSnapshot: () => current,
    subscribe: (l: () => void) => { listeners.add(l); return () => { listeners.delete(l); }; },
    set(next: ViewSnapshot) { current = next; for (const l of listeners) l(); },
  };
}

function recorder() {
  const calls: string[] = [];
  const commands: ViewCommands = {
    pause: () => calls.push('pause'),
    interrupt: () => calls.push('interrupt'),
    quit: () => calls.push('quit'),
    toggleTrialPause: (id) => calls.push(`toggle ${id}`),
    logTail: (id) => [`log line of ${id}`],
  };
  return { calls, commands };
}

test('the table shows each live trial with status, hyperparameters, progress and metrics', () => {
  const s = snap([row('0001'), row('0002', { status: 'paused', iteration: 100, last: { val_loss: 0.75 }, best: 0.7 })]);
  const { lastFrame } = render(<TrialTable snapshot={s} rows={s.trials} selectedId="0001" width={100} height={10} />);
  const f = lastFrame() ?? '';
  assert.match(f, /trial\s+status\s+lr\s+hidden\s+iterations\s+last val_loss\s+best/);
  assert.match(f, /› 0001\s+▶ running\s+0\.01235\s+32\s+████░░░░░░ 400\s+0\.5\s+0\.45/);
  assert.match(f, /0002\s+⏸ paused\s+0\.01235\s+32\s+█░░░░░░░░░ 100\s+0\.75\s+0\.7/);
});

test('under a multi-fidelity scheduler: waiting trials, each trial\'s rung, the strategy and its budgets in the header', () => {
  const s = snap([
    row('0001', { place: '→1/3 @300' }),
    row('0002', { status: 'waiting', iteration: 100, place: '0/3 @100' }),
  ], { strategy: 'TPE search, ASHA scheduler (grace 100, η 3, max 1000)' });
  const table = render(<TrialTable snapshot={s} rows={s.trials} selectedId="0001" width={110} height={10} />).lastFrame() ?? '';
  assert.match(table, /iterations\s+last val_loss\s+best\s+rung/);
  assert.match(table, /0001\s+▶ running .* →1\/3 @300/);
  assert.match(table, /0002\s+⧗ waiting .* 0\/3 @100/);
  const header = render(<Header snapshot={s} now={0} width={110} />).lastFrame() ?? '';
  assert.match(header, /TPE search, ASHA scheduler \(grace 100, η 3, max 1000\)/);
  assert.match(header, /1 waiting at a rung/);
});

test('a narrow terminal drops hyperparameter columns and says how many', () => {
  const s = snap([row('0001')]);
  const { lastFrame } = render(<TrialTable snapshot={s} rows={s.trials} selectedId={null} width={76} height={10} />);
  const f = lastFrame() ?? '';
  assert.match(f, /best  \+2 params/);
  assert.doesNotMatch(f, /lr|hidden/);
  for (const line of f.split('\n')) assert.ok(line.length <= 76, `line too wide: ${line}`);
  // Narrower than even the fixed columns: lines are cut, never wrapped onto more lines.
  const tiny = render(<TrialTable snapshot={s} rows={s.trials} selectedId={null} width={40} height={10} />).lastFrame() ?? '';
  assert.equal(tiny.split('\n').length, 2);
  for (const line of tiny.split('\n')) assert.ok(line.length <= 40, `line too wide: ${line}`);
});

test('more trials than rows: the running ones stay in view and the rest is counted', () => {
  const rows = [...Array.from({ length: 10 }, (_, i) => row(`p${i}`, { status: 'pending', iteration: 0, last: null, best: null })), row('r1'), row('r2')];
  const v = visibleRows(rows, null, 5);
  assert.deepEqual(v.rows.map((r) => r.id), ['r1', 'r2', 'p0', 'p1']);
  assert.equal(v.below, 8);
  const sel = visibleRows(rows, 'p7', 5);
  assert.ok(sel.rows.some((r) => r.id === 'p7'));
});

test('the detail view shows config, metrics, a chart and the log tail', () => {
  const s = snap([row('0001')]);
  const { lastFrame } = render(<TrialDetail snapshot={s} trial={s.trials[0]} logTail={['iteration 400: ok']} width={100} height={30} />);
  const f = lastFrame() ?? '';
  assert.match(f, /Trial 0001\s+▶ running\s+iteration 400\/1000/);
  assert.match(f, /config\s+lr=0\.01235 hidden=32/);
  assert.match(f, /val_loss\s+last 0\.5\s+best 0\.45\s+val_acc 0\.8/);
  assert.match(f, /0\.9 [█▇▆▅▄▃▂▁ ]+/);
  assert.match(f, /iteration 400: ok/);
});

test('pausing: the header says which trials are still on their way to a boundary and which are paused', () => {
  const s = snap([row('0001', { pausing: true }), row('0002', { status: 'paused' })], { pausing: true, pauseReason: 'p' });
  const { lastFrame } = render(<Header snapshot={s} now={61_000} width={100} />);
  const f = lastFrame() ?? '';
  assert.match(f, /00:01:01/);
  assert.match(f, /Pausing \(p\): on the way to a validation boundary: 0001; paused: 0002/);
  const t = render(<TrialTable snapshot={s} rows={s.trials} selectedId={null} width={100} height={10} />);
  assert.match(t.lastFrame() ?? '', /◐ to boundary/);
});

test('keys: p pauses, Ctrl+C interrupts, q quits, space pauses the selected trial, enter opens it, esc returns', async () => {
  const src = source(snap([row('0001'), row('0002')]));
  const { calls, commands } = recorder();
  const ui = render(<App source={src} commands={commands} clock={() => 0} />);
  await tick();
  ui.stdin.write('p');
  ui.stdin.write('\x03');
  ui.stdin.write('q');
  await tick();
  ui.stdin.write('\x1B[B'); // down arrow: select 0002
  await tick();
  ui.stdin.write(' ');
  await tick();
  assert.deepEqual(calls, ['pause', 'interrupt', 'quit', 'toggle 0002']);
  ui.stdin.write('\r');
  await tick();
  assert.match(ui.lastFrame() ?? '', /Trial 0002/);
  assert.match(ui.lastFrame() ?? '', /log line of 0002/);
  ui.stdin.write('\x1B');
  await tick();
  await tick();
  assert.match(ui.lastFrame() ?? '', /trial\s+status/);
  ui.stdin.write('?');
  await tick();
  assert.match(ui.lastFrame() ?? '', /a second Ctrl\+C quits at once/);
  ui.unmount();
});

test('finished trials leave the live table and are printed once above it', async () => {
  const src = source(snap([row('0001'), row('0002')]));
  const ui = render(<App source={src} commands={recorder().commands} clock={() => 0} />);
  await tick();
  src.set(snap([row('0001', { status: 'completed', iteration: 1000 }), row('0002')]));
  await tick();
  const all = ui.frames.join('\n');
  assert.match(all, /✓ 0001 completed\s+it 1000/);
  const live = (ui.lastFrame() ?? '').split('\n').filter((l) => /^\s*›?\s*0001\s/.test(l));
  assert.deepEqual(live, [], 'a finished trial is not in the live table');
  ui.unmount();
});

test('charts: sparkline, block chart and progress bar give known answers', () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  assert.equal(sparkline([5, 5], 8), '▅▅');
  assert.deepEqual(blockChart([0, 1], 2, 2), [' █', '▁█']);
  assert.equal(progressBar(5, 10, 10), '█████░░░░░');
  assert.equal(progressBar(20, 10, 4), '████');
});

test('the schedule column and the detail view show where a trial is in its scaling schedule', () => {
  const schedule = {
    progress: '1/2 · next change_lr at loss < 0.12 or +300 it',
    ops: [
      { name: 'widen_mlp', value: 16, desc: 'grow', when: 'loss < 0.35', fired: { iteration: 400, loss: 0.3412 } },
      { name: 'change_lr', value: 0.5, desc: 'decay', when: 'loss < 0.12 or 700 it after the previous', fired: null },
    ],
  };
  const s = snap([row('0001', { schedule })]);
  const table = render(<TrialTable snapshot={s} rows={s.trials} selectedId={null} width={100} height={10} />).lastFrame() ?? '';
  assert.match(table, /best\s+schedule/);
  // At 100 columns the hyperparameters still fit, and the progress is cut to the room left.
  assert.match(table, /trial\s+status\s+lr\s+hidden\s+iterations/);
  assert.match(table, /0\.45\s+1\/2 · next change_l/);
  for (const line of table.split('\n')) assert.ok(line.length <= 100, line);
  const detail = render(<TrialDetail snapshot={s} trial={s.trials[0]} logTail={[]} width={120} height={40} />).lastFrame() ?? '';
  assert.match(detail, /schedule 1\/2 · next change_lr/);
  assert.match(detail, /✓ 0 widen_mlp 16\s+fired at iteration 400 \(loss 0\.3412\)\s+grow/);
  assert.match(detail, /· 1 change_lr 0\.5\s+waits for loss < 0\.12 or 700 it after the previous\s+decay/);
});
