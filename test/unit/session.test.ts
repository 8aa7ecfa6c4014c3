import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SessionLockedError } from '../../src/errors.js';
import { acquireLock } from '../../src/session/lock.js';
import { resumeCommand, shellQuote } from '../../src/session/resume-command.js';
import { SESSION_SCHEMA, type SessionState } from '../../src/session/state.js';
import { loadSessionState, SessionStore } from '../../src/session/store.js';
import { validateSpec } from '../../src/spec/validate.js';
import { load } from 'js-yaml';
import { tmpDir } from '../helpers/tune.js';

/** A real random-searcher state, as the session stores it after `suggested` proposals. */
function searcherState(suggested: number) {
  return { rng: [1, 2, 3, 4], suggested };
}

function freshState(): SessionState {
  const spec = validateSpec({ search_space: { lr: { type: 'uniform', low: 0.001, high: 1 } } }, 'x.yaml', new Map(), 'exp');
  return {
    schema: SESSION_SCHEMA, id: 's', experiment: 'exp', createdAt: 'now', status: 'running', spec, specRaw: null,
    specFile: null, specHash: '', baseDir: '/', searcher: { type: 'random', state: searcherState(0), finished: false },
    scheduler: { type: 'fifo', state: {} }, schedules: {}, trials: [], seq: 0,
  };
}

function newStore(): { dir: string; store: SessionStore } {
  const dir = join(tmpDir('tune-store-'), 'session');
  mkdirSync(dir);
  return { dir, store: SessionStore.create(dir, freshState()) };
}

test('state = snapshot + journal replay: a reload sees every appended event', () => {
  const { dir, store } = newStore();
  store.append({ type: 'session_started', pid: 1 });
  store.append({ type: 'trial_created', id: '0000', index: 0, config: { lr: 0.5 }, seed: 9, searcher: searcherState(1) });
  store.append({ type: 'trial_started', id: '0000', pid: 123, fromIteration: null });
  store.append({ type: 'report', id: '0000', iteration: 10, metrics: { val_loss: 0.3 }, decision: 'continue' });
  store.append({ type: 'report', id: '0000', iteration: 20, metrics: { val_loss: 0.4 }, decision: 'continue' });
  // No snapshot since the first: the journal alone carries the trial.
  const loaded = loadSessionState(dir);
  assert.deepEqual(loaded, JSON.parse(JSON.stringify(store.state)));
  const t = loaded.trials[0];
  assert.equal(t.iteration, 20);
  assert.deepEqual(t.last, { val_loss: 0.4 });
  assert.deepEqual(t.best, { value: 0.3, iteration: 10 });
  assert.deepEqual(loaded.searcher.state, searcherState(1));
});

test('a torn last journal line (crash mid-append) is ignored on load and cut on open', () => {
  const { dir, store } = newStore();
  store.append({ type: 'trial_created', id: '0000', index: 0, config: { lr: 0.5 }, seed: 9, searcher: searcherState(1) });
  appendFileSync(join(dir, 'events.jsonl'), '{"seq":2,"t":1,"type":"trial_sta');
  assert.equal(loadSessionState(dir).trials[0].status, 'pending');
  const reopened = SessionStore.open(dir);
  reopened.append({ type: 'trial_started', id: '0000', pid: 5, fromIteration: null });
  assert.equal(loadSessionState(dir).trials[0].status, 'running');
  assert.ok(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').every((l) => l === '' || JSON.parse(l)));
});

test('the best value follows the mode', () => {
  const { store } = newStore();
  store.state.spec.mode = 'max';
  store.append({ type: 'trial_created', id: '0000', index: 0, config: {}, seed: 1, searcher: searcherState(1) });
  for (const [i, v] of [[1, 0.2], [2, 0.7], [3, 0.5]]) {
    store.append({ type: 'report', id: '0000', iteration: i, metrics: { val_loss: v }, decision: 'continue' });
  }
  assert.deepEqual(store.state.trials[0].best, { value: 0.7, iteration: 2 });
});

test('the lock refuses a live owner and takes over from a dead one', () => {
  const dir = tmpDir('tune-lock-');
  const path = join(dir, 'lock');
  const first = acquireLock(path, dir);
  assert.throws(() => acquireLock(path, dir), (e: unknown) => e instanceof SessionLockedError && /being driven by tune process \d+/.test((e as Error).message));
  first.release();
  // A lock whose process is gone: the pid of a child that has already exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(path, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), started: '1', since: 'then' }));
  const second = acquireLock(path, dir);
  assert.match(second.tookOver ?? '', /stale lock \(process \d+ is gone\)/);
  second.release();
  // A live pid that now belongs to another process (different start time) is stale too.
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), started: 'not-this-one', since: 'then' }));
  const third = acquireLock(path, dir);
  assert.match(third.tookOver ?? '', /belongs to another process/);
  third.release();
});

test('resume command: absolute paths (it runs from any folder and from cron), quoting, and the name tune was started by', () => {
  assert.equal(shellQuote('sessions/a_b-1'), 'sessions/a_b-1');
  assert.equal(shellQuote("my dir/it's"), `'my dir/it'\\''s'`);
  const dir = tmpDir('tune-bin-');
  const bin = join(dir, 'tune');
  writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
  assert.equal(resumeCommand(dir, join(dir, 'sessions', 'a b'), bin, dir), `tune --resume-session '${join(dir, 'sessions', 'a b')}'`);
  assert.equal(resumeCommand(dir, 'sessions/s', './tune', '/nowhere'), `${bin} --resume-session ${join(dir, 'sessions', 's')}`);
  writeFileSync(join(dir, 'cli.js'), '', { mode: 0o644 });
  assert.equal(resumeCommand(dir, 's', 'cli.js', '/nowhere'), `node ${join(dir, 'cli.js')} --resume-session ${join(dir, 's')}`);
});

test('session.summary.yaml is valid YAML with one line per trial', () => {
  const { dir, store } = newStore();
  store.append({ type: 'trial_created', id: '0000', index: 0, config: { lr: 0.5, name: 'a: b' }, seed: 9, searcher: searcherState(1) });
  store.append({ type: 'report', id: '0000', iteration: 10, metrics: { val_loss: 0.25, bad: null }, decision: 'continue' });
  store.snapshot();
  const text = readFileSync(join(dir, 'session.summary.yaml'), 'utf8');
  const doc = load(text) as { status: string; trials: { id: string; config: Record<string, unknown>; last: Record<string, unknown> }[] };
  assert.equal(doc.status, 'running');
  assert.deepEqual(doc.trials[0].config, { lr: 0.5, name: 'a: b' });
  assert.deepEqual(doc.trials[0].last, { val_loss: 0.25, bad: null });
  assert.equal(text.split('\n').filter((l) => l.startsWith('  - {')).length, 1);
});
