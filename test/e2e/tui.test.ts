import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { ROOT, TUNE_BIN, resultsJson, sleep, tmpDir, writeSpec } from '../helpers/tune.js';

// Drives the real binary in a real terminal (tmux), typing keys the way a person does.
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `tune-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200');

async function waitForScreen(pred: (s: string) => boolean, what: string, ms = 30000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (pred(s)) return s;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
}

after(() => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
});

test('the live UI in a real terminal: p pauses, the printed command resumes it with progress intact, Ctrl+C and q', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, {
    name: 'tui',
    trial: { builtin: 'spirals-mlp', params: { hidden: 16 }, schedule: `${ROOT}/schedules/mlp-lr-decay.yaml` },
    search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 }, momentum: { type: 'uniform', low: 0.5, high: 0.9 } },
    num_trials: 5,
    max_iters: 200000,
    eval_interval: 4000, // a boundary every ~0.5 s, so a pause is visibly on its way
    concurrency: 3,
  });
  tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '34', 'bash', '--norc', '--noprofile');
  // A person's terminal: the test's own CI variable (set by .ci/run) must not reach tune there.
  tmux('send-keys', '-t', session, `cd ${cwd} && PS1='$ ' && unset CI CONTINUOUS_INTEGRATION && clear`, 'Enter');
  tmux('send-keys', '-t', session, `${TUNE_BIN} spec.yaml; echo EXIT=$?`, 'Enter');

  let s = await waitForScreen((x) => (x.match(/▶ running/g) ?? []).length === 3, 'three running trials');
  assert.match(s, /tune · tui · random search · \d\d:\d\d:\d\d/);
  assert.match(s, /trials 0\/5 done · 3 running · 2 pending · 0 paused/);
  assert.match(s, /trial\s+status\s+lr\s+momentum\s+iterations\s+last val_loss\s+best\s+schedule/);
  assert.match(s, /p pause all · space pause\/run trial/);
  // The schedule column and the detail view, fed by the real trials: the first decay fires at the first
  // boundary (4000 iterations > its max_wait_iters of 600).
  s = await waitForScreen((x) => /0000\s+▶ running.*1\/3 · next change_lr at loss < 0\.15 or \+\d+ it/.test(x), 'the schedule column');
  tmux('send-keys', '-t', session, 'Enter');
  s = await waitForScreen((x) => /Trial 0000/.test(x), 'the detail view');
  assert.match(s, /schedule [123]\/3 · /);
  assert.match(s, /✓ 0 change_lr 0\.5\s+fired at iteration 4000 \(loss \d\.\d+\)\s+first decay/);
  assert.match(s, /log \(stdout\.log\):\n[\s\S]*operation at iteration 4000: change_lr 0\.5 -> lr /);
  tmux('send-keys', '-t', session, 'Escape');
  await waitForScreen((x) => /trial\s+status/.test(x), 'the table again');

  tmux('send-keys', '-t', session, 'p');
  s = await waitForScreen((x) => /EXIT=3/.test(x), 'the pause to finish');
  const lines = s.trimEnd().split('\n');
  const exitAt = lines.findIndex((l) => l.startsWith('EXIT=3'));
  const resume = lines[exitAt - 1];
  assert.match(lines[exitAt - 2], /^To resume exactly where it stopped, run:$/);
  assert.match(resume, /^\/\S*bin\/tune --resume-session \/\S+\/sessions\/tui\/session_\S+$/);
  assert.match(s, /Paused: 0 trials done, 3 paused, 0 pending, 2 not started/);
  // The live frame left the screen: its keys line is gone from what remains.
  assert.doesNotMatch(s.slice(s.indexOf('Paused:')), /p pause all/);
  const dir = resume.split(' ').pop() as string;
  const paused = await resultsJson(dir, cwd);
  const pausedAt = new Map(paused.trials.map((t) => [t.id, t.iteration]));
  assert.equal(paused.status, 'paused');

  // Resume by typing the printed line as it is.
  tmux('send-keys', '-t', session, 'clear', 'Enter');
  await waitForScreen((x) => !/EXIT=3/.test(x.split('\n').slice(0, 5).join('\n')), 'the screen to clear');
  tmux('clear-history', '-t', session);
  tmux('send-keys', '-t', session, `${resume}; echo EXIT=$?`, 'Enter');
  s = await waitForScreen((x) => (x.match(/▶ running/g) ?? []).length === 3 && /tune · tui/.test(x), 'the UI to come back');
  for (const [id, it] of pausedAt) {
    const m = new RegExp(`${id}\\s+▶ running\\s+\\S+\\s+\\S+\\s+[█░]+ (\\d+)`).exec(s);
    assert.ok(m, `trial ${id} is back in the table:\n${s}`);
    assert.ok(Number(m[1]) >= it, `trial ${id} shows iteration ${m[1]}, but it had reached ${it}`);
  }

  tmux('send-keys', '-t', session, 'C-c');
  s = await waitForScreen((x) => /Pausing \(Ctrl\+C\): on the way to a validation boundary: \d{4}/.test(x), 'Ctrl+C to start a pause');
  tmux('send-keys', '-t', session, 'q');
  s = await waitForScreen((x) => /EXIT=3/.test(x), 'q to quit');
  assert.match(s, /^Quit: 0 trials done, \d paused/m);
  assert.match(s, /To resume exactly where it stopped, run:\n\S+ --resume-session \/\S+\/sessions\/tui\/session_\S+\nEXIT=3/);
  const done = await resultsJson(dir, cwd);
  assert.equal(done.status, 'paused');
  for (const t of done.trials) assert.notEqual(t.status, 'running');
});

test('plain mode keys: with stdout piped but stdin a terminal, p pauses and the resume line is printed', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, {
    name: 'piped',
    trial: { builtin: 'spirals-mlp', params: { hidden: 16 } },
    search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 } },
    num_trials: 3,
    max_iters: 200000,
    eval_interval: 2000,
    concurrency: 2,
  });
  const name = `${session}-plain`;
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '30', 'bash', '--norc', '--noprofile']);
  try {
    const shot = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', name], { encoding: 'utf8' });
    execFileSync('tmux', ['send-keys', '-t', name, `cd ${cwd} && PS1='$ ' && unset CI CONTINUOUS_INTEGRATION && clear`, 'Enter']);
    execFileSync('tmux', ['send-keys', '-t', name, `${TUNE_BIN} spec.yaml | cat; echo EXIT=\${PIPESTATUS[0]}`, 'Enter']);
    const end = Date.now() + 30000;
    while (!/\[0001\] started/.test(shot()) && Date.now() < end) await sleep(100);
    assert.doesNotMatch(shot(), /p pause all/, 'no Ink UI when stdout is a pipe');
    execFileSync('tmux', ['send-keys', '-t', name, 'p']);
    let s = '';
    while (!/EXIT=\d/.test((s = shot())) && Date.now() < end) await sleep(100);
    assert.match(s, /pause requested \(p\): waiting for 0000, 0001 to reach a validation boundary/);
    assert.match(s, /\n\S+ --resume-session \/\S+\/sessions\/piped\/session_\S+\nEXIT=3/);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', name]);
  }
});

test('in CI with a terminal (CI=true), the plain reporter runs: Ink would draw nothing until the end', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, {
    name: 'ci',
    trial: { builtin: 'spirals-mlp', params: { hidden: 16 } },
    search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 } },
    num_trials: 2,
    max_iters: 200000,
    eval_interval: 2000,
    concurrency: 2,
  });
  const name = `${session}-ci`;
  execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '30', 'bash', '--norc', '--noprofile']);
  try {
    const shot = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', name], { encoding: 'utf8' });
    execFileSync('tmux', ['send-keys', '-t', name, `cd ${cwd} && PS1='$ ' && export CI=true && clear`, 'Enter']);
    execFileSync('tmux', ['send-keys', '-t', name, `${TUNE_BIN} spec.yaml; echo EXIT=$?`, 'Enter']);
    const end = Date.now() + 30000;
    while (!/\[0001\] started/.test(shot()) && Date.now() < end) await sleep(100);
    assert.match(shot(), /\[0000\] started\s+lr=/);
    assert.doesNotMatch(shot(), /p pause all/);
    execFileSync('tmux', ['send-keys', '-t', name, 'p']);
    let s = '';
    while (!/EXIT=\d/.test((s = shot())) && Date.now() < end) await sleep(100);
    assert.match(s, /\n\S+ --resume-session \/\S+\/sessions\/ci\/session_\S+\nEXIT=3/);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', name]);
  }
});
