import { afterEach, test } from 'node:test';
import { EventEmitter } from 'node:events';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { TrialTable } from '../../src/ui/TrialTable.js';
import { TrialDetail, detailLines } from '../../src/ui/TrialDetail.js';
import { Header } from '../../src/ui/Header.js';
import { finishedLine } from '../../src/ui/FinishedLine.js';
import { blockChart, progressBar, sparkline } from '../../src/ui/charts.js';
import { fitColumns } from '../../src/ui/columns.js';
import { fitNumber, formatSig } from '../../src/ui/format.js';
import { cutText, fitLine, lineWidth, plainText, textWidth } from '../../src/ui/text.js';
import { paramColumns, shortName } from '../../src/ui/param-columns.js';
import { tableColumns, tableLines, visibleRows } from '../../src/ui/table-layout.js';
import { fixedTerminal } from '../../src/ui/terminal.js';
import { guardStdout } from '../../src/ui/frame-guard.js';
import type { SearchSpace } from '../../src/search/space.js';
import type { ScheduleView, TrialRow, ViewCommands, ViewSnapshot } from '../../src/ui/snapshot.js';

/** Waits until `ready` holds (React and Ink update asynchronously; slower under load), for up to 3 s. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
}

// A test that fails before its unmount must not leave its App mounted: the App's clock interval would keep
// this file's process, and so the whole test run, from ever ending.
afterEach(() => cleanup());

/** The default job's search space (src/spec/default-spec.ts): the columns a new user sees first. */
const MNIST_SPACE: SearchSpace = {
  lr: { type: 'loguniform', low: 5e-4, high: 5e-3 },
  hidden: { type: 'choice', values: [128, 256] },
  depth: { type: 'int', low: 1, high: 2 },
  weight_decay: { type: 'loguniform', low: 1e-3, high: 1e-1 },
};

const SCHEDULE: ScheduleView = {
  done: 1, total: 3, next: { name: 'change_lr', belowLoss: 0.12, inIters: 300 },
  ops: [
    { name: 'widen_mlp', value: 128, desc: 'grow', when: 'loss < 0.2 or 500 it after the previous', fired: { iteration: 400, loss: 0.1912 } },
    { name: 'change_lr', value: 0.5, desc: 'first decay', when: 'loss < 0.12 or 400 it after the previous', fired: null },
    { name: 'change_lr', value: 0.5, desc: 'second decay', when: '300 it after the previous', fired: null },
  ],
};

function row(id: string, over: Partial<TrialRow> = {}): TrialRow {
  const config = over.config ?? { lr: 0.0012345, hidden: 128, depth: 1, weight_decay: 0.0123456 };
  return {
    id, status: 'running', pausing: false, held: false, config, now: { ...config, batch_size: 64 }, changes: [], iteration: 400,
    last: { val_loss: 0.5, val_acc: 0.8123, train_loss: 0.41 }, best: 0.45, atBest: { iteration: 300, metrics: { val_loss: 0.45, val_acc: 0.83 } },
    failures: 0, error: null, history: [0.9, 0.7, 0.6, 0.5], schedule: null, place: null, ...over,
  };
}

function snap(trials: TrialRow[], over: Partial<ViewSnapshot> = {}): ViewSnapshot {
  const count = (st: string) => trials.filter((t) => t.status === st).length;
  return {
    experiment: 'demo', strategy: 'TPE search, ASHA scheduler (grace 200, η 3, max 2400)', sessionDir: '/s/demo/session_1', clock: { before: 0, since: 0 },
    metric: 'val_loss', mode: 'min', maxIters: 2400, numTrials: 24, params: paramColumns(MNIST_SPACE, new Set(['hidden', 'depth'])),
    metrics: ['val_loss', 'val_acc', 'train_loss'], rungWidth: 11, scheduleWidth: 20,
    counts: { done: count('completed') + count('stopped'), running: count('running'), paused: count('paused'), held: 0, pending: count('pending'), notStarted: 24 - trials.length, waiting: count('waiting'), failed: count('failed') },
    best: { id: '0001', value: 0.45, iteration: 300, metrics: { val_loss: 0.45, val_acc: 0.83 }, config: { lr: 0.0012345, hidden: 128 } }, bestHistory: [0.9, 0.6, 0.45], trials,
    pausing: false, quitting: false, pauseReason: null, log: null, ...over,
  };
}

function source(s: ViewSnapshot) {
  let current = s;
  const listeners = new Set<() => void>();
  const followed: (string | null)[] = [];
  return {
    followed,
    getSnapshot: () => current,
    subscribe: (l: () => void) => { listeners.add(l); return () => { listeners.delete(l); }; },
    followLog: (id: string | null) => { followed.push(id); },
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
  };
  return { calls, commands };
}

const text = (lines: readonly (readonly { text: string }[])[]) => lines.map((l) => l.map((s) => s.text).join(''));

test('the table shows each live trial: status, short hyperparameter names, iterations and every metric, val_acc included', () => {
  const s = snap([row('0001', { schedule: SCHEDULE }), row('0002', { status: 'paused', iteration: 100, last: { val_loss: 0.75, val_acc: 0.61 }, best: 0.7 })]);
  const f = text(tableLines(s, s.trials, '0001', 170, 10)).join('\n');
  // The component draws the same lines (ink-testing-library's terminal is 100 wide).
  assert.match(render(<TrialTable snapshot={s} rows={s.trials} selectedId="0001" width={100} height={10} />).lastFrame() ?? '', /› 0001\s+▶ running\s+0\.00123/);
  assert.match(f, /trial\s+status\s+lr\s+hid\s+depth\s+wd\s+iter\s+val_loss\s+best\s+val_acc\s+train_loss\s+rung\s+schedule/);
  assert.match(f, /› 0001\s+▶ running\s+0\.00123\s+128\s+1\s+0\.0123\s+██░░░░░░░░\s+400\s+0\.5\s+0\.45\s+0\.812\s+0\.41\s+1\/3 · next change_lr at loss < 0\.12 or \+300 it/);
  assert.match(f, /0002\s+⏸ paused\s+0\.00123\s+128\s+1\s+0\.0123\s+░+\s+100\s+0\.75\s+0\.7\s+0\.61/);
});

test('at 80 columns the default job shows every hyperparameter, val_loss, best and val_acc, and nothing wider than 80', () => {
  const s = snap([row('0001', { schedule: SCHEDULE, place: '→1/3 @600' }), row('0002', { status: 'waiting', place: '0/3 @200' })]);
  const lines = text(tableLines(s, s.trials, '0001', 80, 10));
  assert.match(lines[0], /^ {2}trial\s+status\s+lr\s+hid\s+depth\s+wd\s+iter\s+val_loss\s+best\s+val_acc$/);
  assert.match(lines[1], /› 0001\s+▶ running\s+0\.00123\s+128\s+1\s+0\.0123\s+400\s+0\.5\s+0\.45\s+0\.812$/);
  for (const l of lines) assert.ok(textWidth(l) <= 80, `wider than 80: ${l}`);
  // At 120 the rung and the schedule come back, the schedule uncut in its short form.
  const wide = text(tableLines(s, s.trials, '0001', 120, 10));
  assert.match(wide[0], /val_acc\s+rung\s+schedule/);
  assert.match(wide[1], /→1\/3 @600\s+1\/3 · next change_lr/);
  assert.doesNotMatch(wide[1], /change_l$|…/);
});

test('columns are decided from the spec and the width alone: the same across frames, whatever the trials', async () => {
  const frames = [
    snap([row('0001')]),
    snap([row('0001', { iteration: 1200, last: { val_loss: 0.0812345, val_acc: 0.97 } }), row('0002', { status: 'pending', iteration: 0, last: null, best: null, atBest: null, history: [] })]),
    snap([row('0003', { config: { lr: 0.0049, hidden: 256, depth: 2, weight_decay: 0.099 }, last: { val_loss: 12.5 } })]),
    snap([row('0004', { status: 'waiting', place: '0/3 @200', last: null, best: null })]),
  ];
  for (const width of [60, 80, 100, 120, 160]) {
    const titles = new Set(frames.map((s) => text(tableLines(s, s.trials, null, width, 10))[0]));
    assert.equal(titles.size, 1, `at ${width} columns the title line changed between frames: ${[...titles].join(' | ')}`);
  }
  // Through the App, frame after frame.
  const src = source(frames[0]);
  const ui = render(<App source={src} commands={recorder().commands} clock={() => 0} terminal={fixedTerminal(80, 24)} />);
  await until(() => /trial\s+status/.test(ui.lastFrame() ?? ''));
  const titleLine = () => (ui.lastFrame() ?? '').split('\n').find((l) => /trial\s+status/.test(l));
  const first = titleLine();
  for (const f of frames.slice(1)) {
    src.set(f);
    const shown = f.trials[f.trials.length - 1].id;
    await until(() => new RegExp(`^\\s*›?\\s*${shown}\\s`, 'm').test(ui.lastFrame() ?? ''));
    assert.match(ui.lastFrame() ?? '', new RegExp(`^\\s*›?\\s*${shown}\\s`, 'm'), `trial ${shown} is drawn`);
    assert.equal(titleLine(), first);
  }
  ui.unmount();
});

test('narrowing drops the least important columns first, by width only, and never wraps a line', () => {
  const s = snap([row('0001', { schedule: SCHEDULE, place: '→1/3 @600' })]);
  let shown: string[] = [];
  for (let width = 30; width <= 200; width++) {
    const keys = fitColumns(tableColumns(s), width, 2).map((c) => c.def.key);
    for (const k of shown) assert.ok(keys.includes(k), `${k} shown at ${width - 1} columns but not at ${width}`);
    shown = keys;
    for (const l of text(tableLines(s, s.trials, null, width, 10))) assert.ok(textWidth(l) <= width, `${width}: ${l}`);
  }
  // What goes first: other metrics, then the progress bar, the schedule, the rung, the last hyperparameters.
  const at = (w: number) => fitColumns(tableColumns(s), w, 2).map((c) => `${c.def.key}${c.size ? `#${c.size}` : ''}`);
  assert.deepEqual(at(60), ['id', 'status', 'p:lr', 'iter#1', 'm:val_loss', 'best', 'm:val_acc']);
  assert.deepEqual(at(80), ['id', 'status', 'p:lr', 'p:hidden', 'p:depth', 'p:weight_decay', 'iter#1', 'm:val_loss', 'best', 'm:val_acc']);
  assert.ok(at(200).includes('m:train_loss') && at(200).includes('iter'));
});

test('hyperparameters get short readable titles and widths that hold any value of their range', () => {
  assert.equal(shortName('weight_decay'), 'wd');
  assert.equal(shortName('hidden'), 'hid');
  assert.equal(shortName('depth'), 'depth');
  assert.equal(shortName('schedule.0.trigger_loss'), 's0.trig');
  assert.equal(shortName('dropout_rate_final'), 'drf');
  const cols = paramColumns({ ...MNIST_SPACE, momentum: { type: 'uniform', low: 0.5, high: 0.9 } }, new Set(['hidden']));
  assert.deepEqual(cols.map((c) => [c.title, c.width]), [['lr', 7], ['hid', 4], ['depth', 5], ['wd', 7], ['mom', 5]]);
  assert.equal(formatSig(0.00123456, 3), '0.00123');
  assert.equal(formatSig(0.000123456, 3), '1.23e-4');
  assert.equal(formatSig(256, 3), '256');
  assert.equal(fitNumber(0.0812345, 6, 3), '0.0812');
  assert.equal(fitNumber(1.23456e-7, 6, 4), '1.2e-7');
});

test('a grown model shows its size now: hidden after widen_mlp, marked; the learning rate as searched; both explained in the details', () => {
  const grown = row('0001', {
    now: { lr: 0.00061725, hidden: 256, depth: 1, weight_decay: 0.0123456, batch_size: 64 },
    changes: [
      { key: 'hidden', from: 128, to: 256, growth: true, ops: [{ name: 'widen_mlp', value: 128, iteration: 400 }] },
      { key: 'lr', from: 0.0012345, to: 0.00061725, growth: false, ops: [{ name: 'change_lr', value: 0.5, iteration: 900 }] },
    ],
    schedule: SCHEDULE,
  });
  const s = snap([grown]);
  const table = tableLines(s, s.trials, null, 80, 10);
  assert.match(text(table)[1], /0\.00123\s+256\s+1/);
  const cell = table[1].find((seg) => /256/.test(seg.text));
  assert.equal(cell?.color, 'cyan');
  const detail = text(detailLines(s, grown, [], 100, 30)).join('\n');
  assert.match(detail, /config {2}lr=0\.001234 hidden=128 depth=1 weight_decay=0\.01235 {2}fixed batch_size=64/);
  assert.match(detail, /now {5}hidden 128 → 256 \(widen_mlp \+128 at 400\) · lr 0\.001234 → 6\.17e-4 \(change_lr ×0\.5 at 900\)/);
  assert.match(finishedLine({ ...grown, status: 'completed' }, s).map((x) => x.text).join(''), /hid=256/);
});

test('more trials than rows: the running ones stay in view and the rest is counted', () => {
  const rows = [...Array.from({ length: 10 }, (_, i) => row(`p${i}`, { status: 'pending', iteration: 0, last: null, best: null })), row('r1'), row('r2')];
  const v = visibleRows(rows, null, 5);
  assert.deepEqual(v.rows.map((r) => r.id), ['r1', 'r2', 'p0', 'p1']);
  assert.equal(v.below, 8);
  const sel = visibleRows(rows, 'p7', 5);
  assert.ok(sel.rows.some((r) => r.id === 'p7'));
  assert.equal(sel.rows.length + (sel.above ? 1 : 0) + (sel.below ? 1 : 0), 5);
});

test('every frame is shorter than the terminal: table, details and help, from 6 to 40 rows', async () => {
  const many = Array.from({ length: 30 }, (_, i) => row(String(i).padStart(4, '0'), { status: i < 2 ? 'running' : 'waiting', schedule: SCHEDULE, error: i === 0 ? 'an error' : null }));
  const s = snap(many, { pausing: true, pauseReason: 'p', log: { id: '0000', lines: Array.from({ length: 40 }, (_, i) => `log line ${i}`) } });
  for (const [columns, rows] of [[80, 24], [120, 40], [60, 12], [80, 6], [40, 8]]) {
    for (const keys of [[], ['\r'], ['?']]) {
      const src = source(s);
      const ui = render(<App source={src} commands={recorder().commands} clock={() => 0} terminal={fixedTerminal(columns, rows)} />);
      await until(() => /trial\s+status/.test(ui.lastFrame() ?? ''));
      const before = ui.lastFrame();
      for (const k of keys) ui.stdin.write(k);
      if (keys.length) await until(() => ui.lastFrame() !== before);
      const frame = (ui.lastFrame() ?? '').split('\n');
      assert.ok(frame.length <= rows - 1, `${columns}x${rows} after ${JSON.stringify(keys)}: ${frame.length} lines\n${frame.join('\n')}`);
      for (const l of frame) assert.ok(textWidth(l) <= columns, `${columns}x${rows}: wider than the terminal: ${l}`);
      if (keys[0] === '\r' && rows >= 24) assert.match(frame.join('\n'), /log line 39/);
      ui.unmount();
    }
  }
});

test('the detail view gives up room in order: the log first, then the chart, and keeps to its height', () => {
  const t = row('0001', { schedule: SCHEDULE, history: Array.from({ length: 50 }, (_, i) => 1 / (i + 1)) });
  const s = snap([t]);
  const log = Array.from({ length: 20 }, (_, i) => `line ${i}`);
  const tall = text(detailLines(s, t, log, 100, 40));
  assert.ok(tall.includes('  line 19') && tall.includes('  line 12'), 'eight log lines when there is room');
  for (let h = 1; h <= 40; h++) assert.ok(detailLines(s, t, log, 100, h).length <= h, `height ${h}`);
  const short = text(detailLines(s, t, log, 100, 18));
  assert.ok(short.includes('  line 19') && !short.includes('  line 17'), `the log shrank to two lines first:\n${short.join('\n')}`);
  assert.ok(short.some((l) => /val_loss over the last/.test(l)), 'the chart is still there');
});

test('the detail view shows config, metrics with val_acc, a chart, the schedule and the log tail it was handed', () => {
  const s = snap([row('0001', { schedule: SCHEDULE })]);
  const { lastFrame } = render(<TrialDetail snapshot={s} trial={s.trials[0]} logTail={['iteration 400: ok']} width={120} height={40} />);
  const f = lastFrame() ?? '';
  assert.match(f, /Trial 0001\s+▶ running\s+iteration 400\/2400/);
  assert.match(f, /config {2}lr=0\.001234 hidden=128 depth=1 weight_decay=0\.01235/);
  assert.match(f, /val_loss {2}last 0\.5 {2}best 0\.45 \(it 300\)\s+val_acc 0\.8123\s+train_loss 0\.41/);
  assert.match(f, /0\.9 [█▇▆▅▄▃▂▁ ]+/);
  assert.match(f, /schedule 1\/3 · next change_lr at loss < 0\.12 or \+300 it/);
  assert.match(f, /✓ 0 widen_mlp 128\s+fired at iteration 400 \(loss 0\.1912\)\s+grow/);
  assert.match(f, /· 1 change_lr 0\.5\s+waits for loss < 0\.12 or 400 it after the previous\s+first decay/);
  assert.match(f, /iteration 400: ok/);
});

test('the header: the pause message\'s words and counts, the session\'s whole time, the best trial with val_acc', () => {
  const trials = [row('0001'), row('0002', { status: 'paused' }), row('0003', { status: 'paused', held: true }), row('0004', { status: 'pending' }), row('0005', { status: 'completed' })];
  const s = snap(trials, { counts: { done: 1, running: 1, paused: 2, held: 1, pending: 1, notStarted: 19, waiting: 0, failed: 0 }, clock: { before: 3_600_000, since: 1_000 } });
  const f = render(<Header snapshot={s} now={62_000} width={120} />).lastFrame() ?? '';
  assert.match(f, /tune · demo · 01:01:01 · TPE search/, 'an hour from earlier runs plus this run\'s minute');
  assert.match(f, /24 trials: 1 done, 1 running, 2 paused, 1 pending, 19 not started, 1 held/);
  assert.match(f, /best 0001 val_loss 0\.45 val_acc 0\.83 \(it 300\) · lr=0\.00123 hid=128\s+█▃▁/, 'the best value after each improvement: falling, for a loss');
  const one = render(<Header snapshot={snap([row('0001')], { numTrials: 1 })} now={0} width={120} />).lastFrame() ?? '';
  assert.match(one, /1 trial: /);
  assert.doesNotMatch(one, /1 trials/);
  // The held one reads "held" in the table, not "paused".
  assert.match(text(tableLines(s, trials, null, 120, 10)).join('\n'), /0003\s+⏸ held/);
});

test('pausing: the banner says who is on the way, who has paused, and how to quit now', () => {
  const s = snap([row('0001', { pausing: true }), row('0002', { status: 'paused' })], { pausing: true, pauseReason: 'Ctrl+C' });
  const f = render(<Header snapshot={s} now={0} width={140} />).lastFrame() ?? '';
  assert.match(f, /Pausing \(Ctrl\+C\) · Ctrl\+C again or q quits now · to a validation boundary: 0001 · paused: 0002/);
  const byP = render(<Header snapshot={{ ...s, pauseReason: 'p' }} now={0} width={140} />).lastFrame() ?? '';
  assert.match(byP, /Pausing \(p\) · q quits now/);
  assert.match(text(tableLines(s, s.trials, null, 100, 10)).join('\n'), /◐ pausing/);
});

test('keys: p pauses, Ctrl+C interrupts, q quits, space holds the selected trial, enter opens it (and follows its log), esc returns', async () => {
  const src = source(snap([row('0001'), row('0002')]));
  const { calls, commands } = recorder();
  const ui = render(<App source={src} commands={commands} clock={() => 0} terminal={fixedTerminal(100, 30)} />);
  await until(() => /trial\s+status/.test(ui.lastFrame() ?? ''));
  ui.stdin.write('p');
  ui.stdin.write('\x03');
  ui.stdin.write('q');
  await until(() => calls.length === 3);
  ui.stdin.write('\x1B[B'); // down arrow: select 0002
  await until(() => /›\s*0002/.test(ui.lastFrame() ?? ''));
  ui.stdin.write(' ');
  await until(() => calls.length === 4);
  assert.deepEqual(calls, ['pause', 'interrupt', 'quit', 'toggle 0002']);
  ui.stdin.write('\r');
  await until(() => /Trial 0002/.test(ui.lastFrame() ?? '') && src.followed.at(-1) === '0002');
  assert.match(ui.lastFrame() ?? '', /Trial 0002/);
  assert.equal(src.followed.at(-1), '0002', 'the source is asked to follow the open trial\'s log');
  src.set({ ...src.getSnapshot(), log: { id: '0002', lines: ['log line of 0002'] } });
  await until(() => /log line of 0002/.test(ui.lastFrame() ?? ''));
  assert.match(ui.lastFrame() ?? '', /log line of 0002/);
  ui.stdin.write('\x1B');
  await until(() => /trial\s+status/.test(ui.lastFrame() ?? '') && src.followed.at(-1) === null);
  assert.match(ui.lastFrame() ?? '', /trial\s+status/);
  assert.equal(src.followed.at(-1), null, 'and to stop when it closes');
  ui.stdin.write('?');
  await until(() => /a second Ctrl\+C quits at once/.test(ui.lastFrame() ?? ''));
  assert.match(ui.lastFrame() ?? '', /a second Ctrl\+C quits at once/);
  assert.match(ui.lastFrame() ?? '', /hid = hidden, wd = weight_decay/);
  ui.unmount();
});

test('finished trials leave the live table and are printed once above it, with val_acc; closing prints the last one', async () => {
  const src = source(snap([row('0001'), row('0002')]));
  const props = { source: src, commands: recorder().commands, clock: () => 0, terminal: fixedTerminal(100, 30) };
  const ui = render(<App {...props} />);
  await until(() => /trial\s+status/.test(ui.lastFrame() ?? ''));
  src.set(snap([row('0001', { status: 'completed', iteration: 2400 }), row('0002')]));
  await until(() => /✓ 0001/.test(ui.frames.join('\n')));
  const all = ui.frames.join('\n');
  assert.match(all, /✓ 0001 completed\s+it 2400\s+val_loss 0\.5 \(best 0\.45\)\s+val_acc 0\.8123\s+train_loss 0\.41\s+lr=0\.00123\s+hid=128 depth=1 wd=0\.0123/, 'a long ✓ line wraps: nothing of it is cut');
  const live = (ui.lastFrame() ?? '').split('\n').filter((l) => /^\s*›?\s*0001\s/.test(l));
  assert.deepEqual(live, [], 'a finished trial is not in the live table');
  // The session ends: the last trial finishes and the frame goes, leaving its ✓ line.
  src.set(snap([row('0001', { status: 'completed', iteration: 2400 }), row('0002', { status: 'completed', iteration: 2400 })]));
  ui.rerender(<App {...props} closing />);
  await until(() => /✓ 0002/.test(ui.lastFrame() ?? ''));
  const last = ui.lastFrame() ?? '';
  assert.equal((last.match(/✓ 0001/g) ?? []).length, 1);
  assert.equal((last.match(/✓ 0002/g) ?? []).length, 1);
  assert.doesNotMatch(last, /trial\s+status|q quit/);
  ui.unmount();
});

test('charts: sparkline, block chart and progress bar give known answers', () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  assert.equal(sparkline([5, 5], 8), '▅▅');
  assert.deepEqual(blockChart([0, 1], 2, 2), [' █', '▁█']);
  assert.equal(progressBar(5, 10, 10), '█████░░░░░');
  assert.equal(progressBar(20, 10, 4), '████');
});

test('lines: widths, cuts and log text made safe to draw', () => {
  assert.equal(textWidth('▶ running'), 9);
  assert.equal(textWidth('日本'), 4);
  assert.equal(cutText('abcdef', 4), 'abc…');
  assert.deepEqual(fitLine([{ text: 'abc' }, { text: 'defgh', color: 'red' }], 6).map((s) => s.text), ['abc', 'de…']);
  assert.equal(lineWidth(fitLine([{ text: 'x'.repeat(50) }], 10)), 10);
  assert.equal(plainText('\x1b[31mred\x1b[0m'), 'red');
  assert.equal(plainText('10%\r50%\r100%'), '100%');
  assert.equal(plainText('a\tb\x07'), 'a  b');
});

/** A terminal stream as Ink sees it: a size, resize events, and everything written. */
function fakeTty(columns: number, rows: number) {
  const out: string[] = [];
  const stream = Object.assign(new EventEmitter(), {
    columns, rows, isTTY: true,
    write(chunk: string) {
      out.push(chunk);
      return true;
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream & { columns: number; rows: number }, out };
}

test('the frame guard: Ink sees no height limit, and a narrowed terminal\'s re-wrapped frame is erased before Ink redraws', async () => {
  const { stream, out } = fakeTty(80, 24);
  const guard = guardStdout(stream, { rewraps: true });
  assert.equal(guard.stdout.rows, Number.MAX_SAFE_INTEGER, 'so Ink never clears the screen and the scrollback');
  assert.deepEqual(guard.terminal.size(), { columns: 80, rows: 24 });
  const order: string[] = [];
  guard.terminal.subscribe(() => order.push('ui'));
  guard.stdout.on('resize', () => order.push('ink'));
  // Ink's log-update: erase the previous frame, draw the new one; two lines 70 wide and one short.
  guard.stdout.write('\x1b[?25l');
  guard.stdout.write(`\x1b[2K\x1b[1A\x1b[2K\x1b[G${'a'.repeat(70)}\n\x1b[1mshort\x1b[22m\n${'b'.repeat(70)}\n`);
  out.length = 0;
  stream.columns = 40;
  stream.emit('resize');
  // At 40 columns the 3 lines take 2 + 1 + 2 rows, plus the cursor's: Ink will erase 4, the guard erases
  // all 6 and puts the cursor back 3 rows down, where Ink's erase then ends on the frame's first row.
  assert.deepEqual(out, [`${'\x1b[2K\x1b[1A'.repeat(5)}\x1b[2K\x1b[G\x1b[3B`]);
  assert.deepEqual(order, ['ui'], 'the UI hears of the new size first');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['ui', 'ink']);
  // Wider again: nothing re-wraps, nothing to erase.
  out.length = 0;
  stream.columns = 100;
  stream.emit('resize');
  assert.deepEqual(out, []);
  // A terminal that cuts lines instead: nothing is erased.
  const cut = fakeTty(80, 24);
  const g2 = guardStdout(cut.stream, { rewraps: false });
  g2.stdout.write(`${'a'.repeat(70)}\n`);
  cut.out.length = 0;
  cut.stream.columns = 40;
  cut.stream.emit('resize');
  assert.deepEqual(cut.out, []);
  guard.dispose();
  g2.dispose();
});

test('the detail view says where a running trial runs: its Slurm job and node, or its pid', () => {
  const t = row('0003', { where: 'job 17 on node07' });
  const s = snap([t]);
  assert.match(text(detailLines(s, t, [], 100, 30)).join('\n'), /iteration 400\/2400 {2}failures 0 {2}job 17 on node07/);
});

test('a session on Slurm shows each running trial\'s job and node in the table; a local one has no such column', () => {
  const rows = [row('0001', { job: '4711@node07' }), row('0002', { job: 'queued' }), row('0003', { status: 'paused', job: null })];
  const slurm = snap(rows, { jobWidth: 14 });
  const lines = text(tableLines(slurm, slurm.trials, '0001', 170, 10));
  assert.match(lines[0], /val_acc\s+train_loss\s+job\s+rung/);
  assert.match(lines[1], /0\.41\s+4711@node07\s/);
  assert.match(lines[2], /queued/);
  assert.doesNotMatch(lines[3], /@|queued/);
  // Narrowed, it goes before the rung does, and after the schedule.
  for (let width = 60; width <= 170; width++) {
    const title = text(tableLines(slurm, slurm.trials, '0001', width, 10))[0];
    if (/\bjob\b/.test(title)) assert.match(title, /\brung\b/, `at ${width} the job stays and the rung went`);
    if (/schedule/.test(title)) assert.match(title, /\bjob\b/, `at ${width} the schedule stays and the job went`);
  }
  const local = snap(rows);
  assert.doesNotMatch(text(tableLines(local, local.trials, '0001', 170, 10))[0], /\bjob\b/);
});
