import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SessionLockedError } from '../../src/errors.js';
import { acquireLock } from '../../src/session/lock.js';
import { ROOT, onlySession, runTune, sleep, startTune, tmpDir, treeHashes, writeSpec } from '../helpers/tune.js';

// On a cluster the session directory is shared and tune may be started from any login node. A lock written on
// another host cannot be checked from here: tune refuses it, naming the host and the option that takes it
// over, and takes it over only when told.

const FOREIGN = { pid: 4242, host: 'login-gone.example', started: '1', since: '2026-11-29T10:00:00.000Z', token: 'f'.repeat(32) };

test('a lock from another host is refused with a message naming it and --take-over-lock; with the option it is taken over', () => {
  const dir = tmpDir();
  const path = join(dir, 'lock');
  writeFileSync(path, JSON.stringify(FOREIGN) + '\n');
  assert.throws(() => acquireLock(path, dir), (err: Error) => {
    assert.ok(err instanceof SessionLockedError);
    assert.equal(err.message, `${dir} is locked by tune process 4242 on host login-gone.example since 2026-11-29T10:00:00.000Z, and this is ${hostname()}, which cannot check it; if it still runs, stop it there (press p, or send it SIGINT); if login-gone.example is gone, resume with --take-over-lock`);
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), JSON.stringify(FOREIGN) + '\n', 'refused: the lock is untouched');
  const lock = acquireLock(path, dir, { takeOverForeign: true });
  assert.equal(lock.tookOver, 'the lock of tune process 4242 on host login-gone.example (--take-over-lock)');
  const now = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string };
  assert.deepStrictEqual([now.pid, now.host], [process.pid, hostname()]);
  lock.release();
  assert.ok(!existsSync(path));
});

test('--take-over-lock never takes a lock from a live tune on this host', () => {
  const dir = tmpDir();
  const path = join(dir, 'lock');
  const mine = acquireLock(path, dir);
  assert.throws(() => acquireLock(path, dir, { takeOverForeign: true }), /is being driven by tune process \d+ on .* stop that one first/);
  mine.release();
});

test('resume of a session locked from another host: exit 2 and nothing changed, then --take-over-lock resumes it', async () => {
  const cwd = tmpDir();
  writeSpec(cwd, {
    name: 'shared',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')] },
    search_space: { x: { type: 'uniform', low: 0, high: 1 } },
    num_trials: 2, max_iters: 4000, eval_interval: 10, concurrency: 1, sessions_root: 'sessions',
  }, 'spec.json');
  const run = startTune(['spec.json'], cwd);
  while (!/\] started /.test(run.stdoutSoFar())) await sleep(10);
  run.child.kill('SIGINT');
  assert.equal((await run.result).code, 3);
  const dir = onlySession(cwd, 'shared');
  writeFileSync(join(dir, 'lock'), JSON.stringify(FOREIGN) + '\n');
  const before = treeHashes(dir);

  const refused = await runTune(['--resume-session', dir], cwd);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /^tune: .* is locked by tune process 4242 on host login-gone\.example .*; if login-gone\.example is gone, resume with --take-over-lock$/m);
  assert.deepStrictEqual(treeHashes(dir), before, 'nothing changed');

  const taken = await runTune(['--resume-session', dir, '--take-over-lock'], cwd);
  assert.equal(taken.code, 0, taken.stdout + taken.stderr);
  assert.match(taken.stdout, /^note: took over the lock of tune process 4242 on host login-gone\.example \(--take-over-lock\)$/m);
  assert.ok(!existsSync(join(dir, 'lock')), 'released at the end');
});
