import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, resultsJson, resumeLine, runTune, sleep, startTune, tmpDir, treeHashes, waitFor, writeSpec } from '../helpers/tune.js';

// Session control from the spec (issue 16): a search that pauses by itself (pause_after, pause_when) and
// says why, a bounded pause (pause_timeout), and a hook that runs once the session is written (on_pause).

const chaosTrial = join(ROOT, 'test', 'fixtures', 'chaos-trial.mjs');

function spec(extra: Record<string, unknown>, maxIters = 20000) {
  return {
    name: 'ctl',
    trial: { command: ['node', chaosTrial] },
    search_space: { target: { type: 'uniform', low: 1, high: 5 } },
    searcher: 'random',
    num_trials: 2,
    max_iters: maxIters,
    eval_interval: 10,
    concurrency: 2,
    seed: 4,
    ...extra,
  };
}

const sessionOf = (cwd: string) => join(cwd, 'sessions', 'ctl', readdirSync(join(cwd, 'sessions', 'ctl'))[0]);
const journal = (dir: string) => readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; reason?: string; id?: string });

test('pause_after pauses a run when its time is up, says why, and a resumed run gets its whole time again', async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec({ pause_after: '1s' }));
  const first = await runTune([file], cwd);
  assert.equal(first.code, 3, first.stderr);
  assert.match(first.stdout, /Paused by pause_after 1s: this run's time is up:/);
  const dir = sessionOf(cwd);
  assert.ok(journal(dir).some((e) => e.type === 'pause_requested' && /^pause_after 1s/.test(e.reason ?? '')));
  assert.match(readFileSync(join(dir, 'session.summary.yaml'), 'utf8'), /paused_because: '?pause_after 1s/);
  const iterationsAfterFirst = (await resultsJson(dir, cwd)).trials.map((t) => t.iteration);
  // The resume counts afresh: it runs about a second more, then pauses again, the same way.
  const second = await runTune(['--resume-session', dir], cwd);
  assert.equal(second.code, 3, second.stderr);
  assert.match(second.stdout, /Paused by pause_after 1s/);
  const after = (await resultsJson(dir, cwd)).trials.map((t) => t.iteration);
  assert.ok(after.every((it, i) => it > iterationsAfterFirst[i]), `${after} after ${iterationsAfterFirst}`);
});

test('pause_when pauses once the best value crosses its threshold; resumed, the condition that already holds does not pause it again', async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec({ pause_when: { metric: 'val_loss', below: 0.5 } }, 600));
  const first = await runTune([file], cwd);
  assert.equal(first.code, 3, first.stderr);
  assert.match(first.stdout, /Paused by pause_when: val_loss below 0\.5 \(val_loss 0\.\d+ by trial 000\d at iteration \d+\)/);
  const dir = sessionOf(cwd);
  const paused = await resultsJson(dir, cwd);
  assert.ok(paused.trials.some((t) => t.status !== 'completed'));
  const second = await runTune(['--resume-session', dir], cwd);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.ok((await resultsJson(dir, cwd)).trials.every((t) => t.status === 'completed'));
});

test('pause_timeout stops a trial that does not reach its boundary in time; it resumes from its last checkpoint', async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec({ pause_timeout: '1s', num_trials: 1, concurrency: 1 }));
  const run = startTune([file], cwd);
  await waitFor(has(cwd, 'report'), 'a report');
  writeFileSync(join(cwd, 'hang-once'), ''); // the trial hangs before its next boundary
  await waitFor(() => !readdirSync(cwd).includes('hang-once'), 'the trial to take the hang');
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stderr);
  const dir = sessionOf(cwd);
  const stopped = journal(dir).find((e) => e.type === 'trial_interrupted' && e.reason);
  assert.match(stopped?.reason ?? '', /no validation boundary within pause_timeout 1s/);
  assert.equal((await resultsJson(dir, cwd)).trials[0].failures, 0);
});

test('on_pause runs once the session is written, with the resume command, the reason and the folder; its output is in the session', async () => {
  const cwd = tmpDir();
  const hook = ['sh', '-c', 'echo "resume=$TUNE_RESUME_COMMAND"; echo "reason=$TUNE_PAUSE_REASON"; echo "dir=$TUNE_SESSION_DIR"; test -f "$TUNE_SESSION_DIR/session.json"'];
  const r = await runTune([writeSpec(cwd, spec({ pause_after: '1s', on_pause: hook }))], cwd);
  assert.equal(r.code, 3, r.stderr);
  const dir = sessionOf(cwd);
  const log = readFileSync(join(dir, 'on_pause.log'), 'utf8');
  assert.ok(log.includes(`resume=${resumeLine(r.stdout)}\n`), log);
  assert.match(log, /^reason=pause_after 1s: this run's time is up$/m);
  assert.ok(log.includes(`dir=${dir}\n`));
  assert.equal(r.stderr, '');
  // A failing hook is reported, never fatal: the exit code still says paused.
  const cwd2 = tmpDir();
  const failing = await runTune([writeSpec(cwd2, spec({ pause_after: '1s', on_pause: ['sh', '-c', 'echo oops; exit 7'] }))], cwd2);
  assert.equal(failing.code, 3);
  assert.match(failing.stderr, /^tune: on_pause exited with code 7; its output is in .*on_pause\.log$/m);
});

test('a session from elsewhere never runs its on_pause hook without --trust, even for a built-in trial', async () => {
  const cwd = tmpDir();
  const builtin = { ...spec({ on_pause: ['sh', '-c', 'touch hooked'], pause_after: '1s' }), trial: { builtin: 'spirals-mlp' }, search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 } } };
  const first = await runTune([writeSpec(cwd, builtin)], cwd);
  assert.equal(first.code, 3, first.stderr);
  const dir = sessionOf(cwd);
  const stranger = tmpDir('tune-trust-');
  const r = await runTune(['--resume-session', dir], cwd, { TUNE_TRUST_DIR: stranger });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /runs "sh -c touch hooked" when it pauses \(on_pause\).*--trust/);
});

test('bad session-control fields are one line each, exit 2, nothing created', async () => {
  const cwd = tmpDir();
  for (const [extra, message] of [
    [{ pause_after: '2 hours' }, /pause_after.*must be a duration such as 2h/],
    [{ pause_after: '1h2h' }, /pause_after.*must be a duration/],
    [{ pause_when: { metric: 'val_loss' } }, /pause_when.*needs exactly one of below or above/],
    [{ pause_when: { metric: 'val_loss', below: 'low' } }, /pause_when\.below.*must be a number/],
    [{ on_pause: 'mail me' }, /on_pause.*must be a command as a list of words/],
  ] as const) {
    const r = await runTune([writeSpec(cwd, spec(extra))], cwd);
    assert.equal(r.code, 2, JSON.stringify(extra));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(readdirSync(cwd), ['spec.yaml']);
});

const spirals = (maxIters: number) => ({
  name: 'longer',
  trial: { builtin: 'spirals-mlp', params: { hidden: 16 } },
  search_space: { lr: { type: 'grid', values: [0.05, 0.2] } },
  searcher: 'grid',
  max_iters: maxIters,
  eval_interval: 20,
  concurrency: 2,
  seed: 9,
});

test('--max-iters raised on a completed session continues each trial from its final checkpoint, equal to a run with that budget from the start', async () => {
  const cwd = tmpDir();
  const first = await runTune([writeSpec(cwd, spirals(200))], cwd);
  assert.equal(first.code, 0, first.stderr);
  const dir = join(cwd, 'sessions', 'longer', readdirSync(join(cwd, 'sessions', 'longer'))[0]);
  const longer = await runTune(['--resume-session', dir, '--max-iters', '400', '--concurrency', '1'], cwd);
  assert.equal(longer.code, 0, longer.stdout + longer.stderr);
  assert.match(longer.stdout, /note: max_iters 200 -> 400/);
  assert.match(longer.stdout, /note: continuing completed trials 0000, 0001 from their final checkpoint to iteration 400/);
  const got = await resultsJson(dir, cwd);
  const refCwd = tmpDir();
  assert.equal((await runTune([writeSpec(refCwd, spirals(400))], refCwd)).code, 0);
  const ref = await resultsJson(join(refCwd, 'sessions', 'longer', readdirSync(join(refCwd, 'sessions', 'longer'))[0]), refCwd);
  assert.deepEqual(got.trials.map((t) => [t.id, t.status, t.iteration, t.last]), ref.trials.map((t) => [t.id, t.status, t.iteration, t.last]));
  for (const t of got.trials) {
    const its = readFileSync(join(dir, 'trials', t.id, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { iteration: number }).iteration);
    assert.deepEqual(its, Array.from({ length: 20 }, (_, i) => (i + 1) * 20), 'each boundary once');
  }
  const history = (JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { history: { change: string }[] }).history;
  assert.deepEqual(history.map((h) => h.change), ['max_iters 200 -> 400, concurrency 2 -> 1']);
  const shown = await runTune(['results', dir], cwd);
  assert.match(shown.stdout, /changed on resume \d{4}-\d\d-\d\d \d\d:\d\d UTC: max_iters 200 -> 400, concurrency 2 -> 1/);
});

test('an override that does not fit the session is one line, exit 2, and changes nothing', async () => {
  const cwd = tmpDir();
  const r0 = await runTune([writeSpec(cwd, { ...spirals(100), scheduler: { type: 'asha', grace_period: 20, reduction_factor: 2 } })], cwd);
  assert.equal(r0.code, 0, r0.stderr);
  const dir = join(cwd, 'sessions', 'longer', readdirSync(join(cwd, 'sessions', 'longer'))[0]);
  const before = treeHashes(dir);
  for (const [args, message] of [
    [['--max-iters', '40'], /--max-iters is 40, but a trial of .* is already at iteration 100; give at least 100/],
    [['--max-iters', '300'], /--max-iters cannot change a session under the asha scheduler/],
    [['--max-iters', '10'], /--max-iters is 10, below the session's eval_interval \(20\)|already at iteration/],
    [['--concurrency', '0'], /--concurrency is 0, but must be at least 1/],
    [['--max-iters', 'lots'], /--max-iters is "lots", but must be a whole number/],
  ] as const) {
    const r = await runTune(['--resume-session', dir, ...args], cwd);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(treeHashes(dir), before);
});

const has = (cwd: string, type: string, id?: string) => () => {
  try {
    return journal(sessionOf(cwd)).some((e) => e.type === type && (id === undefined || e.id === id));
  } catch {
    return false;
  }
};

const outcomeOf = (d: Awaited<ReturnType<typeof resultsJson>>) => d.trials.map((t) => [t.id, t.status, t.iteration, t.config, t.last]);

test('from a second terminal: pause one trial while the next runs, continue it, and it ends exactly as if never paused', async () => {
  const cwd = tmpDir();
  // 100 boundaries a trial: time enough for the requests to land while 0000 runs (they are read every 200 ms).
  const ctlSpec = spec({ num_trials: 3, concurrency: 1, eval_interval: 20 }, 2000);
  const run = startTune([writeSpec(cwd, ctlSpec)], cwd);
  await waitFor(has(cwd, 'report', '0000'), 'trial 0000 reports');
  const dir = sessionOf(cwd);
  const paused = await runTune(['pause', dir, '0000'], cwd);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /trial 0000 paused at its next validation boundary, until tune continue/);
  await waitFor(has(cwd, 'trial_started', '0001'), 'trial 0001 starts');
  const continued = await runTune(['continue', dir, '0000'], cwd);
  assert.equal(continued.code, 0, continued.stderr);
  assert.match(continued.stdout, /trial 0000 may run again/);
  const r = await run.result;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const types = journal(dir).map((e) => e.type);
  assert.ok(types.includes('trial_held') && types.includes('trial_released') && types.filter((t) => t === 'request_handled').length === 2);
  assert.deepEqual(readdirSync(join(dir, 'requests')), [], 'each request read once and removed');
  const refCwd = tmpDir();
  assert.equal((await runTune([writeSpec(refCwd, ctlSpec)], refCwd)).code, 0);
  assert.deepEqual(outcomeOf(await resultsJson(dir, cwd)), outcomeOf(await resultsJson(sessionOf(refCwd), refCwd)));
});

test('tune stop ends one trial for good and the search goes on without it; on a session nobody drives it works under the lock', async () => {
  const cwd = tmpDir();
  const run = startTune([writeSpec(cwd, spec({ num_trials: 4, concurrency: 2 }, 2000))], cwd);
  await waitFor(has(cwd, 'report', '0001'), 'trial 0001 reports');
  const dir = sessionOf(cwd);
  const stop = await runTune(['stop', dir, '0001'], cwd);
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /trial 0001 stopped for good/);
  // Pause the rest; then, with no tune driving it, stop another and continue nothing that is not held.
  await waitFor(has(cwd, 'trial_started', '0002'), 'trial 0002 starts');
  run.child.kill('SIGINT');
  assert.equal((await run.result).code, 3);
  const offline = await runTune(['stop', dir, '0002'], cwd);
  assert.equal(offline.code, 0, offline.stderr);
  assert.match(offline.stdout, /trial 0002 stopped for good/);
  const wrong = await runTune(['continue', dir, '0003'], cwd);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /trial 0003 is not paused on its own|no such trial/);
  const ended = await runTune(['stop', dir, '0001'], cwd);
  assert.equal(ended.code, 2);
  assert.match(ended.stderr, /trial 0001 is stopped; only a trial that has not ended can be stopped/);
  const resumed = await runTune(['--resume-session', dir], cwd);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const doc = await resultsJson(dir, cwd);
  assert.deepEqual(doc.trials.map((t) => t.status), ['completed', 'stopped', 'stopped', 'completed']);
  assert.ok(doc.trials[1].iteration < 2000 && doc.trials[2].iteration < 2000);
});

test('the resume line runs as printed from cron: env -i, no terminal, the system PATH only, and its log says what it did', async () => {
  const cwd = tmpDir();
  const run = startTune([writeSpec(cwd, spirals(2000))], cwd);
  await waitFor(() => {
    try {
      return readFileSync(join(cwd, 'sessions', 'longer', readdirSync(join(cwd, 'sessions', 'longer'))[0], 'events.jsonl'), 'utf8').includes('"report"');
    } catch {
      return false;
    }
  }, 'a report');
  run.child.kill('SIGINT');
  const paused = await run.result;
  assert.equal(paused.code, 3, paused.stderr);
  const line = resumeLine(paused.stdout);
  // As cron runs it: sh -c with an empty environment, from another folder.
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('env', ['-i', 'sh', '-c', `${line} 2>&1; echo "exit $?"`], { cwd: '/', encoding: 'utf8' });
  assert.match(out, /tune: resuming longer \(session_\w+\): \d+ trials to continue/);
  assert.match(out, /\[0001\] completed/);
  assert.match(out, /Session completed in /);
  assert.match(out, /exit 0\n$/);
});
