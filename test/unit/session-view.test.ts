import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedConfig } from '../../src/session/applied-config.js';
import { readSessionHistory, SessionHistory } from '../../src/session/history.js';
import { findSessions, listSessions } from '../../src/session/listing.js';
import { SESSION_SCHEMA, type SessionState } from '../../src/session/state.js';
import { SessionStore } from '../../src/session/store.js';
import { readLogTail } from '../../src/session/trial-logs.js';
import { validateSpec } from '../../src/spec/validate.js';
import type { TrialSchedule } from '../../src/schedule/trial-schedule.js';
import { LiveView } from '../../src/ui/live-view.js';
import { tmpDir } from '../helpers/tune.js';

function freshState(): SessionState {
  const spec = validateSpec({ search_space: { lr: { type: 'uniform', low: 0.001, high: 1 } }, num_trials: 3 }, 'x.yaml', new Map(), 'exp');
  return {
    schema: SESSION_SCHEMA, id: 'session_x', experiment: 'exp', createdAt: 'now', status: 'running', spec, specRaw: null,
    specFile: null, specHash: '', baseDir: '/', searcher: { type: 'random', state: { rng: [1, 2, 3, 4], suggested: 0 }, finished: false },
    scheduler: { type: 'fifo', state: {} }, schedules: {}, trials: [], seq: 0,
  };
}

const line = (ev: Record<string, unknown>) => JSON.stringify(ev) + '\n';

test('history: the session\'s time over its runs, the best after each improvement, series that replace redone boundaries', () => {
  const dir = tmpDir('tune-history-');
  // Written as the store writes them: seq, t, type first.
  const events = [
    { seq: 1, t: 1000, type: 'session_started', pid: 1 },
    { seq: 2, t: 1500, type: 'report', id: '0000', iteration: 10, metrics: { val_loss: 0.9, val_acc: 0.5 }, decision: 'continue' },
    { seq: 3, t: 2000, type: 'report', id: '0000', iteration: 20, metrics: { val_loss: 0.7, val_acc: 0.6 }, decision: 'continue' },
    { seq: 4, t: 3000, type: 'session_paused' },
    { seq: 5, t: 60_000, type: 'session_resumed', pid: 2 },
    // Restarted from the checkpoint at 10: boundary 20 is redone.
    { seq: 6, t: 61_000, type: 'report', id: '0000', iteration: 20, metrics: { val_loss: 0.7, val_acc: 0.6, train_loss: 0.5 }, decision: 'continue' },
    { seq: 7, t: 62_000, type: 'report', id: '0000', iteration: 30, metrics: { val_loss: 0.8, val_acc: 0.55 }, decision: 'continue' },
    { seq: 8, t: 63_000, type: 'report', id: '0001', iteration: 10, metrics: { val_loss: 0.4, val_acc: 0.9 }, decision: 'continue' },
  ];
  writeFileSync(join(dir, 'events.jsonl'), events.map(line).join('') + '{"seq":9,"t":64000,"type":"rep');
  const h = readSessionHistory(dir, new SessionHistory('val_loss', 'min'));
  assert.deepEqual(h.runs, [{ start: 1000, end: 3000 }, { start: 60_000, end: 63_000 }], 'the torn last line is not read');
  assert.deepEqual(h.clock(0), { before: 2000, since: 60_000 });
  assert.deepEqual(h.best.map((b) => b.value), [0.9, 0.7, 0.4]);
  assert.deepEqual(h.seriesOf('0000'), [0.9, 0.7, 0.8]);
  assert.deepEqual(h.atBest('0000'), { iteration: 20, metrics: { val_loss: 0.7, val_acc: 0.6 } });
  assert.deepEqual(h.metrics, ['val_loss', 'val_acc', 'train_loss']);
  // Lines in another key order still count (parsed whole).
  appendFileSync(join(dir, 'events.jsonl'), '\n' + line({ type: 'report', seq: 9, t: 64_000, id: '0001', iteration: 20, metrics: { val_loss: 0.3 }, decision: 'continue' }));
  assert.deepEqual(readSessionHistory(dir, new SessionHistory('val_loss', 'min')).best.map((b) => b.value), [0.9, 0.7, 0.4, 0.3]);
  // A max metric improves upwards; a series keeps only its last values.
  const max = new SessionHistory('val_acc', 'max', 2);
  for (const [i, v] of [0.5, 0.7, 0.6].entries()) max.add({ t: i, type: 'report', id: 'a', iteration: i + 1, metrics: { val_acc: v } });
  assert.deepEqual(max.best.map((b) => b.value), [0.5, 0.7]);
  assert.deepEqual(max.seriesOf('a'), [0.7, 0.6]);
});

test('history: a journal of 100,000 reports is read in bounded chunks', () => {
  const dir = tmpDir('tune-history-');
  const lines: string[] = [line({ seq: 1, t: 0, type: 'session_started', pid: 1 })];
  for (let i = 0; i < 100_000; i++) lines.push(line({ seq: i + 2, t: i, type: 'report', id: String(i % 100).padStart(4, '0'), iteration: 10 * (Math.floor(i / 100) + 1), metrics: { val_loss: 1 / (i + 1) }, decision: 'continue' }));
  writeFileSync(join(dir, 'events.jsonl'), lines.join(''));
  const h = readSessionHistory(dir, new SessionHistory('val_loss', 'min'));
  assert.equal(h.best.length, 120, 'the best-so-far series keeps its last 120 improvements');
  assert.equal(h.best[h.best.length - 1].value, 1 / 100_000);
  assert.equal(h.seriesOf('0007').length, 120);
});

test('log tails are read from the end of the file, and not again while it has not grown', () => {
  const dir = tmpDir('tune-logs-');
  mkdirSync(join(dir, 'trials', '0000'), { recursive: true });
  const file = join(dir, 'trials', '0000', 'stdout.log');
  assert.deepEqual(readLogTail(dir, '0000', 5), { size: 0, lines: [] }, 'no log yet');
  // 2 MB of log: a tail reads its last 16 KiB.
  writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `line ${i} ${'x'.repeat(12)}`).join('\n') + '\n');
  const tail = readLogTail(dir, '0000', 3);
  assert.deepEqual(tail.lines, ['line 99997 xxxxxxxxxxxx', 'line 99998 xxxxxxxxxxxx', 'line 99999 xxxxxxxxxxxx']);
  assert.equal(readLogTail(dir, '0000', 3, tail), tail, 'the same size: the previous tail, unread');
  appendFileSync(file, 'partial');
  assert.deepEqual(readLogTail(dir, '0000', 2, tail).lines, ['line 99999 xxxxxxxxxxxx', 'partial']);
  // More lines asked than 16 KiB hold: what fits, starting at a whole line.
  const many = readLogTail(dir, '0000', 5000);
  assert.ok(many.lines.length < 1000 && /^line \d+ x+$/.test(many.lines[0]));
});

function schedule(over: Partial<TrialSchedule['state']>): TrialSchedule {
  const ops = [
    { name: 'widen_mlp', value: 128, trigger_loss: 0.2, max_wait_iters: 500, desc: '', reevaluate: true, completed: false },
    { name: 'change_lr', value: 0.5, trigger_loss: null, max_wait_iters: 400, desc: '', reevaluate: false, completed: false },
    { name: 'stack_layers', value: 1, trigger_loss: null, max_wait_iters: 400, desc: '', reevaluate: false, completed: false },
  ];
  const state = { completed: [false, false, false], lastFire: 0, fired: [], ...over };
  return { format: 'yaml', indent: 2, raw: [], file: 'schedule.yaml', ops, state, initial: state };
}

test('the config after applied operations: widen_mlp grows hidden, change_lr halves lr; only what this trial applied counts', () => {
  const config = { lr: 0.002, hidden: 128, depth: 1, batch_size: 64 };
  assert.deepEqual(appliedConfig(config, null), { now: config, changes: [] });
  const fired = schedule({ completed: [true, true, false], lastFire: 900, fired: [{ index: 0, iteration: 500, loss: 0.19 }, { index: 1, iteration: 900, loss: 0.1 }] });
  const a = appliedConfig(config, fired);
  assert.deepEqual(a.now, { lr: 0.001, hidden: 256, depth: 1, batch_size: 64 });
  assert.deepEqual(a.changes.map((c) => [c.key, c.from, c.to, c.growth]), [['hidden', 128, 256, true], ['lr', 0.002, 0.001, false]]);
  // Completed in the schedule file before the run: never applied to this model.
  assert.deepEqual(appliedConfig(config, schedule({ completed: [true, false, false] })).now, config);
  // stack_layers grows depth (mlp) or layers (gpt), whichever the config has; nothing when neither.
  const stacked = schedule({ fired: [{ index: 2, iteration: 100, loss: null }] });
  assert.equal(appliedConfig({ layers: 2 }, stacked).now.layers, 3);
  assert.deepEqual(appliedConfig({ lr: 0.1 }, stacked).changes, []);
});

test('listing: the sessions of an experiment folder or of the sessions root, a damaged one listed with its reason', () => {
  const root = tmpDir('tune-list-');
  const exp = join(root, 'exp');
  const make = (name: string) => {
    const dir = join(exp, name);
    mkdirSync(dir, { recursive: true });
    const store = SessionStore.create(dir, { ...freshState(), id: name });
    store.append({ type: 'session_started', pid: 1 });
    store.append({ type: 'trial_created', id: '0000', index: 0, config: { lr: 0.5 }, seed: 1 });
    store.append({ type: 'report', id: '0000', iteration: 10, metrics: { val_loss: 0.25 }, decision: 'continue' });
    store.append({ type: 'trial_completed', id: '0000', iteration: 10 });
    store.append({ type: 'session_paused' });
    store.close();
    return dir;
  };
  const a = make('session_20260101_000000_aaaaaa');
  make('session_20260102_000000_bbbbbb');
  mkdirSync(join(exp, 'session_20260103_000000_cccccc'));
  writeFileSync(join(exp, 'session_20260103_000000_cccccc', 'session.json'), '{ not json');
  mkdirSync(join(exp, 'notes'));
  assert.deepEqual(findSessions(exp).map((d) => d.split('/').pop()), ['session_20260101_000000_aaaaaa', 'session_20260102_000000_bbbbbb', 'session_20260103_000000_cccccc']);
  assert.deepEqual(findSessions(root), findSessions(exp), 'one level further down from the sessions root');
  assert.deepEqual(findSessions(a), [], 'a session folder holds no sessions');
  const list = listSessions(findSessions(exp));
  assert.deepEqual(list.slice(0, 2).map((e) => [e.status, e.done, e.numTrials, e.best]), [['paused', 1, 3, { trial: '0000', value: 0.25 }], ['paused', 1, 3, { trial: '0000', value: 0.25 }]]);
  assert.equal(list[2].status, 'unreadable');
  assert.match(list[2].problem ?? '', /is not valid JSON/);
});

test('the live view: a resumed session\'s clock and best-so-far trend come from the journal, the log only while followed', async () => {
  const dir = join(tmpDir('tune-live-'), 'session');
  mkdirSync(dir);
  const store = SessionStore.create(dir, freshState());
  store.append({ type: 'session_started', pid: 1 });
  store.append({ type: 'trial_created', id: '0000', index: 0, config: { lr: 0.5 }, seed: 1 });
  for (const [it, v] of [[10, 0.9], [20, 0.5], [30, 0.3]]) store.append({ type: 'report', id: '0000', iteration: it, metrics: { val_loss: v, val_acc: 1 - v }, decision: 'continue' });
  store.append({ type: 'session_paused' });
  store.append({ type: 'session_resumed', pid: 2 });
  const view = new LiveView(store, { isPausing: () => false, isQuitting: () => false, isHeld: () => false });
  const s = view.getSnapshot();
  assert.deepEqual(s.bestHistory, [0.9, 0.5, 0.3]);
  assert.deepEqual(s.metrics, ['val_loss', 'val_acc']);
  assert.equal(s.trials[0].history.length, 3);
  assert.deepEqual(s.best?.metrics, { val_loss: 0.3, val_acc: 0.7 });
  assert.ok(s.clock.before >= 0 && s.clock.since <= Date.now());
  assert.equal(s.log, null);
  mkdirSync(join(dir, 'trials', '0000'), { recursive: true });
  writeFileSync(join(dir, 'trials', '0000', 'stdout.log'), 'hello\nworld\n');
  view.followLog('0000');
  assert.deepEqual(view.getSnapshot().log, { id: '0000', lines: ['hello', 'world'] });
  view.followLog(null);
  assert.equal(view.getSnapshot().log, null);
  // The session ends: what changed last reaches the listeners at once.
  let told = 0;
  view.subscribe(() => told++);
  store.append({ type: 'trial_completed', id: '0000', iteration: 30 });
  view.stop();
  assert.equal(told, 1);
  assert.equal(view.getSnapshot().trials[0].status, 'completed');
  store.close();
});
