import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlySession, reportCounter, resultsJson, ROOT, runTune, startTune, tmpDir, waitFor, writeClientTrial, writeSpec } from '../helpers/tune.js';

const mlpSpec = {
  name: 'crashy',
  trial: { builtin: 'spirals-mlp', params: { batch_size: 16, hidden: 16 } },
  search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 } },
  num_trials: 3,
  max_iters: 1000,
  eval_interval: 20,
  concurrency: 2,
  seed: 5,
};

const countReports = reportCounter();
const reportCount = (sessionDir: string): number => countReports(join(sessionDir, 'events.jsonl'));

/** Trial processes still alive for a session (a crashed tune must not leave them training). */
function liveTrials(sessionDir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, 'utf8').includes(`TUNE_TRIAL_DIR=${sessionDir}/`)) pids.push(Number(p));
    } catch { /* gone or not ours */ }
  }
  return pids;
}

test('tune killed with SIGKILL mid-run resumes from the same directory, completes, and matches an uninterrupted run', async () => {
  const refCwd = tmpDir();
  assert.equal((await runTune([writeSpec(refCwd, mlpSpec)], refCwd)).code, 0);
  const reference = await resultsJson(onlySession(refCwd, 'crashy'), refCwd);

  const cwd = tmpDir();
  const run = startTune([writeSpec(cwd, mlpSpec)], cwd);
  await waitFor(() => existsSync(join(cwd, 'sessions', 'crashy')) && readdirSync(join(cwd, 'sessions', 'crashy')).length === 1, 'the session folder');
  const dir = onlySession(cwd, 'crashy');
  await waitFor(() => reportCount(dir) >= 15, 'some reports');
  run.child.kill('SIGKILL');
  await run.result;
  const mid = await resultsJson(dir, cwd);
  assert.equal(mid.status, 'paused', 'a session whose driver died reads as paused (resumable)');
  assert.ok(mid.trials.some((t) => t.status === 'running'), 'the journal still says some trials were running');

  const resumed = await runTune(['--resume-session', dir], cwd);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /took over a stale lock \(process \d+ is gone\)/);
  const doc = await resultsJson(dir, cwd);
  assert.equal(doc.status, 'completed');
  const strip = (d: typeof doc) => d.trials.map(({ id, status, config, iteration, last, best }) => ({ id, status, config, iteration, last, best }));
  assert.deepStrictEqual(strip(doc), strip(reference));
  assert.deepStrictEqual(liveTrials(dir), []);
  assert.ok(!existsSync(join(dir, 'lock')));
});

test('a second --resume-session on a live session is refused; after its driver crashes it is not', async () => {
  const cwd = tmpDir();
  const slow = { ...mlpSpec, name: 'locked', max_iters: 20000, eval_interval: 50, num_trials: 2 };
  const first = startTune([writeSpec(cwd, slow)], cwd);
  await waitFor(() => /\] started /.test(first.stdoutSoFar()), 'the first trial');
  const dir = onlySession(cwd, 'locked');
  const before = readFileSync(join(dir, 'lock'), 'utf8');

  const second = await runTune(['--resume-session', dir], cwd);
  assert.equal(second.code, 2);
  assert.match(second.stderr, new RegExp(`^tune: .*locked/session_\\S+ is being driven by tune process ${first.child.pid} on \\S+ since \\S+; stop that one first`, 'm'));
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), before, 'the live lock is untouched');
  assert.equal(first.child.exitCode, null, 'the first run goes on');

  first.child.kill('SIGKILL');
  await first.result;
  // The leftover trials notice their driver is gone and exit at their next boundary (stdin closed).
  await waitFor(() => liveTrials(dir).length === 0, 'orphaned trials to exit', 10000);
  const third = startTune(['--resume-session', dir], cwd);
  // A trial killed before its first checkpoint starts again from scratch ("started"), others resume.
  await waitFor(() => /\] (started|resumed) /.test(third.stdoutSoFar()), 'the trials to run again');
  third.child.kill('SIGINT');
  const r = await third.result;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /took over a stale lock/);
});

test('a crashed trial restarts from its last checkpoint; one that keeps crashing is marked failed', async () => {
  const cwd = tmpDir();
  const spec = {
    name: 'flaky',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'flaky-trial.mjs')], params: { crash_at: 60 } },
    search_space: { crash_always: { type: 'grid', values: [false, true] } },
    searcher: 'grid',
    max_iters: 100,
    eval_interval: 10,
    concurrency: 2,
    max_failures: 2,
  };
  const r = await runTune([writeSpec(cwd, spec)], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'flaky');
  const doc = await resultsJson(dir, cwd);
  const [ok, bad] = doc.trials;
  assert.equal(ok.status, 'completed');
  assert.equal(ok.failures, 1);
  assert.equal(ok.iteration, 100);
  // It restarted from the checkpoint of iteration 50: iterations 10..60 once before the crash, 60..100 after.
  const trained = readFileSync(join(dir, 'trials', ok.id, 'stdout.log'), 'utf8').trim().split('\n');
  assert.deepStrictEqual(trained, [10, 20, 30, 40, 50, 60, 60, 70, 80, 90, 100].map((i) => `iteration ${i}`));
  const metricLines = readFileSync(join(dir, 'trials', ok.id, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(metricLines.length, 10, 'one metrics line per boundary, none repeated');
  assert.equal(bad.status, 'failed');
  assert.equal(bad.failures, 3);
  assert.match(r.stdout, /\[0001\] failed\s+\(3\/3 in a row\) exited with code 1: boom: crash_always/);
});

test('a trial killed five times, each time after new progress, still completes: only failures in a row without progress count', async () => {
  const cwd = tmpDir();
  const spec = {
    name: 'killed',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'flaky-trial.mjs')], params: { kill_every: 20 } },
    search_space: {},
    searcher: 'grid',
    max_iters: 120,
    eval_interval: 10,
    concurrency: 1,
    max_failures: 2,
  };
  const r = await runTune([writeSpec(cwd, spec)], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = await resultsJson(onlySession(cwd, 'killed'), cwd);
  assert.equal(doc.trials[0].status, 'completed');
  assert.equal(doc.trials[0].iteration, 120);
  assert.equal(doc.trials[0].failures, 5, 'killed at 20, 40, 60, 80 and 100');
  assert.match(r.stdout, /\[0000\] failed\s+\(1\/3 in a row\) killed by SIGKILL/);
  assert.doesNotMatch(r.stdout, /\(2\/3 in a row\)/);
});

test('a trial that hangs (no message for trial.timeout seconds) is killed and restarted, and completes', async () => {
  const cwd = tmpDir();
  writeClientTrial(cwd, 'hang.mjs', ['existsSync', 'writeFileSync'], [
    'let it = 0;',
    'while (it < rt.maxIters) {',
    '  it += rt.evalInterval;',
    '  const d = await rt.report(it, { val_loss: 1 / it });',
    "  if (d === 'stop' || it >= rt.maxIters) rt.done(it);",
    "  const mark = join(rt.trialDir, 'hung-once');",
    "  if (it === 20 && !existsSync(mark)) { writeFileSync(mark, '1'); setInterval(() => {}, 1000); await new Promise(() => {}); }",
    '}',
  ]);
  const spec = { name: 'hang', trial: { command: [process.execPath, 'hang.mjs'], timeout: 1 }, search_space: {}, searcher: 'grid', max_iters: 40, eval_interval: 10, max_failures: 1 };
  const r = await runTune([writeSpec(cwd, spec)], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\[0000\] failed\s+\(1\/2 in a row\) no message for 1 s \(trial\.timeout\): taken as hung; restarting from the start/);
  const doc = await resultsJson(onlySession(cwd, 'hang'), cwd);
  assert.equal(doc.trials[0].status, 'completed');
  assert.equal(doc.trials[0].failures, 1);
});

test('`tune … | head -1`: when the reader of stdout goes away, the search pauses, resumable, with no stack trace and no lock left', async () => {
  const cwd = tmpDir();
  const run = startTune([writeSpec(cwd, { ...mlpSpec, name: 'piped' })], cwd);
  await waitFor(() => run.stdoutSoFar().includes('\n'), 'the first line');
  run.child.stdout!.destroy(); // what head does after its first line
  const r = await run.result;
  assert.equal(r.code, 3, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  const dir = onlySession(cwd, 'piped');
  assert.ok(!existsSync(join(dir, 'lock')), 'the lock is released');
  assert.equal((await resultsJson(dir, cwd)).status, 'paused');
});

test('a damaged newest checkpoint falls back to the intact one before it, says so, and the run ends as if nothing happened', async () => {
  const spec = {
    name: 'fallback',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')] },
    search_space: { x: { type: 'uniform', low: 0, high: 1 } },
    num_trials: 2,
    max_iters: 300,
    eval_interval: 10,
    concurrency: 1,
    seed: 4,
  };
  const refCwd = tmpDir();
  assert.equal((await runTune([writeSpec(refCwd, spec)], refCwd)).code, 0);
  const reference = await resultsJson(onlySession(refCwd, 'fallback'), refCwd);

  const cwd = tmpDir();
  const run = startTune([writeSpec(cwd, spec)], cwd);
  await waitFor(() => existsSync(join(cwd, 'sessions', 'fallback')) && readdirSync(join(cwd, 'sessions', 'fallback')).length === 1, 'the session');
  const dir = onlySession(cwd, 'fallback');
  await waitFor(() => reportCount(dir) >= 6, 'a few reports');
  run.child.kill('SIGINT');
  assert.equal((await run.result).code, 3);
  const state = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { trials: { id: string; checkpoint: { path: string; iteration: number }; previous?: { iteration: number } }[] };
  const t = state.trials[0];
  assert.ok(t.previous, 'the trial has an older checkpoint beside the newest');
  writeFileSync(join(dir, 'trials', t.id, t.checkpoint.path), '{"iteration": 999999}'); // damaged
  const r = await runTune(['--resume-session', dir], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`checkpoint of trial ${t.id} \\(iteration ${t.checkpoint.iteration}\\) is corrupt .*; trial ${t.id} restarts from its previous checkpoint \\(iteration ${t.previous.iteration}\\)`));
  const strip = (d: typeof reference) => d.trials.map(({ id, status, config, iteration, last, best }) => ({ id, status, config, iteration, last, best }));
  assert.deepStrictEqual(strip(await resultsJson(dir, cwd)), strip(reference));
});

test('resuming a completed session says so and exits 0', async () => {
  const cwd = tmpDir();
  const r = await runTune([writeSpec(cwd, { ...mlpSpec, name: 'done', num_trials: 1, max_iters: 40 })], cwd);
  assert.equal(r.code, 0);
  const dir = onlySession(cwd, 'done');
  const again = await runTune(['--resume-session', dir], cwd);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /is already completed; nothing to resume/);
});

test('resume --retry-failed gives a trial failed for good another chance from its last checkpoint', async () => {
  const cwd = tmpDir();
  const spec = {
    name: 'retry',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'flaky-trial.mjs')] },
    search_space: { crash_from: { type: 'grid', values: [-1, 40] } },
    searcher: 'grid',
    max_iters: 100,
    eval_interval: 10,
    concurrency: 1,
    max_failures: 2,
  };
  const first = await runTune([writeSpec(cwd, spec)], cwd);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const dir = onlySession(cwd, 'retry');
  const before = await resultsJson(dir, cwd);
  assert.deepEqual(before.trials.map((t) => [t.status, t.iteration]), [['completed', 100], ['failed', 30]]);
  // The user fixes the bug; a plain resume leaves a finished session alone, --retry-failed runs the trial on.
  writeFileSync(join(cwd, 'fixed'), '');
  const plain = await runTune(['--resume-session', dir], cwd);
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, /already completed; nothing to resume/);
  const retried = await runTune(['--resume-session', dir, '--retry-failed'], cwd);
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  assert.match(retried.stdout, /note: retrying failed trial 0001 from its last checkpoint/);
  const after = await resultsJson(dir, cwd);
  assert.deepEqual(after.trials.map((t) => [t.status, t.iteration]), [['completed', 100], ['completed', 100]]);
  // It went on from iteration 30 (its last checkpoint), to the same result as the trial that never crashed.
  assert.deepEqual(after.trials[1].last, after.trials[0].last);
  const trained = readFileSync(join(dir, 'trials', '0001', 'stdout.log'), 'utf8').trim().split('\n');
  assert.deepStrictEqual(trained.slice(-7), [40, 50, 60, 70, 80, 90, 100].map((i) => `iteration ${i}`));
  assert.equal(trained.filter((l) => l === 'iteration 30').length, 1, 'iteration 30 trained once');
});

test('a trial whose final checkpoint was journalled when tune died ends on resume without training again', async () => {
  const cwd = tmpDir();
  const spec = {
    name: 'ended',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'boundary-trial.mjs')], params: { kill_tune_at_end: true } },
    search_space: {},
    searcher: 'grid',
    max_iters: 50,
    eval_interval: 10,
  };
  const first = await runTune([writeSpec(cwd, spec)], cwd);
  assert.equal(first.signal, 'SIGKILL', first.stdout + first.stderr);
  const dir = onlySession(cwd, 'ended');
  const events = () => readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; checkpoint?: { iteration: number } });
  assert.ok(events().some((e) => e.type === 'checkpoint' && e.checkpoint?.iteration === 50), 'the final checkpoint was journalled');
  assert.ok(!events().some((e) => e.type === 'trial_completed'));
  const r = await runTune(['--resume-session', dir], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const after = events();
  const resumedAt = after.findIndex((e) => e.type === 'session_resumed');
  assert.ok(!after.slice(resumedAt).some((e) => e.type === 'trial_started'), 'not started again');
  const doc = await resultsJson(dir, cwd);
  assert.deepEqual(doc.trials.map((t) => [t.status, t.iteration]), [['completed', 50]]);
});
