import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TUNE_BIN, resultsJson, sleep, tmpDir, writeAccSearch, writeSpec } from '../helpers/tune.js';

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

/** The first run of a session, from its journal: how long it ran and how often the best value improved. */
function firstRun(dir: string): { ms: number; improvements: number } {
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; type: string; metrics?: Record<string, number> });
  const end = events.findIndex((e) => e.type === 'session_resumed');
  const run = events.slice(0, end);
  let best = Infinity;
  let improvements = 0;
  for (const e of run) {
    const v = e.metrics?.val_loss;
    if (e.type === 'report' && typeof v === 'number' && v < best) {
      best = v;
      improvements++;
    }
  }
  return { ms: run[run.length - 1].t - run[0].t, improvements };
}

after(() => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
});

// Each test drives its own tmux session and waits mostly on the trials' pace: they run side by side.
describe('in a real terminal (tmux)', { concurrency: true }, () => {
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
    assert.match(s, /tune · tui · \d\d:\d\d:\d\d · random search/);
    // The words and counts of the pause message (drive.ts), before and after.
    assert.match(s, /5 trials: 0 done, 3 running, 0 paused, 0 pending, 2 not started/);
    assert.match(s, /q quit · p pause all · enter details/);
    // The metrics' columns appear with the first report (first seen) and stay.
    s = await waitForScreen((x) => /val_acc/.test(x), 'the first reports');
    assert.match(s, /trial\s+status\s+lr\s+mom\s+iter\s+val_loss\s+best\s+val_acc\s+train_loss\s+schedule/);
    // The schedule column and the detail view, fed by the real trials: the first decay fires at the first
    // boundary (4000 iterations > its max_wait_iters of 600).
    s = await waitForScreen((x) => /0000\s+▶ running.*1\/3 · next change_lr at loss < 0\.15 or \+\d+ it/.test(x), 'the schedule column');
    tmux('send-keys', '-t', session, 'Enter');
    // The log's tail comes with the next read of the session layer (once a second while the details are open).
    s = await waitForScreen((x) => /Trial 0000/.test(x) && /log \(stdout\.log\):\n[\s\S]*operation at iteration 4000: change_lr 0\.5 -> lr /.test(x), 'the detail view with its log');
    assert.match(s, /schedule [123]\/3 · /);
    assert.match(s, /val_loss {2}last \S+ {2}best \S+ \(it \d+\)\s+val_acc \S+/);
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
    // One empty line before it, where the frame was: Ink's own, not that and another.
    assert.match(s, /\S\n\nPaused: /);
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
      const m = new RegExp(`${id}\\s+▶ running\\s+\\S+\\s+\\S+\\s+[█░]+\\s+(\\d+)`).exec(s);
      assert.ok(m, `trial ${id} is back in the table:\n${s}`);
      assert.ok(Number(m[1]) >= it, `trial ${id} shows iteration ${m[1]}, but it had reached ${it}`);
    }
    // The clock and the best-so-far trend go on from the first run (the journal has both), not from zero.
    const first = firstRun(dir);
    const clock = /tune · tui · (\d\d):(\d\d):(\d\d)/.exec(s) as RegExpExecArray;
    assert.ok(Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]) >= Math.floor(first.ms / 1000), `the clock ${clock[0]} counts the first run's ${first.ms} ms`);
    const spark = /best \d{4} val_loss .*?\s([▁▂▃▄▅▆▇█]+)\s*$/m.exec(s);
    assert.ok(spark && spark[1].length >= Math.min(16, first.improvements), `the trend keeps the first run's ${first.improvements} improvements:\n${s}`);

    tmux('send-keys', '-t', session, 'C-c');
    s = await waitForScreen((x) => /Pausing \(Ctrl\+C\) · Ctrl\+C again or q quits now · to a validation boundary: \d{4}/.test(x), 'Ctrl+C to start a pause');
    tmux('send-keys', '-t', session, 'q');
    s = await waitForScreen((x) => /EXIT=3/.test(x), 'q to quit');
    assert.match(s, /^Quit: 0 trials done, \d paused/m);
    assert.match(s, /To resume exactly where it stopped, run:\n\S+ --resume-session \/\S+\/sessions\/tui\/session_\S+\nEXIT=3/);
    const done = await resultsJson(dir, cwd);
    assert.equal(done.status, 'paused');
    for (const t of done.trials) assert.notEqual(t.status, 'running');
  });

  /**
   * A spirals search of `trials` trials in its own tmux terminal: `setup` run in the shell first, then
   * `command` (which echoes EXIT=<code> at the end); returns once trial 0001 has started.
   */
  async function plainRun(suffix: string, specName: string, trials: number, setup: string, command: string) {
    const cwd = tmpDir();
    writeSpec(cwd, {
      name: specName,
      trial: { builtin: 'spirals-mlp', params: { hidden: 16 } },
      search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.3 } },
      num_trials: trials,
      max_iters: 200000,
      eval_interval: 2000,
      concurrency: 2,
    });
    const name = `${session}-${suffix}`;
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '30', 'bash', '--norc', '--noprofile']);
    const shot = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', name], { encoding: 'utf8' });
    const end = Date.now() + 30000;
    execFileSync('tmux', ['send-keys', '-t', name, `cd ${cwd} && PS1='$ ' && ${setup} && clear`, 'Enter']);
    execFileSync('tmux', ['send-keys', '-t', name, command, 'Enter']);
    while (!/\[0001\] started/.test(shot()) && Date.now() < end) await sleep(100);
    return {
      shot,
      press: (key: string) => execFileSync('tmux', ['send-keys', '-t', name, key]),
      /** The screen once the command has ended. */
      async ended(): Promise<string> {
        let s = '';
        while (!/EXIT=\d/.test((s = shot())) && Date.now() < end) await sleep(100);
        return s;
      },
      close: () => spawnSync('tmux', ['kill-session', '-t', name]),
    };
  }

  test('plain mode keys: with stdout piped but stdin a terminal, p pauses and the resume line is printed', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
    const run = await plainRun('plain', 'piped', 3, 'unset CI CONTINUOUS_INTEGRATION', `${TUNE_BIN} spec.yaml | cat; echo EXIT=\${PIPESTATUS[0]}`);
    try {
      assert.doesNotMatch(run.shot(), /p pause all/, 'no Ink UI when stdout is a pipe');
      run.press('p');
      const s = await run.ended();
      assert.match(s, /pause requested \(p\): waiting for 0000, 0001 to reach a validation boundary/);
      assert.match(s, /\n\S+ --resume-session \/\S+\/sessions\/piped\/session_\S+\nEXIT=3/);
    } finally {
      run.close();
    }
  });

  test('in CI with a terminal (CI=true), the plain reporter runs: Ink would draw nothing until the end', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
    const run = await plainRun('ci', 'ci', 2, 'export CI=true', `${TUNE_BIN} spec.yaml; echo EXIT=$?`);
    try {
      assert.match(run.shot(), /\[0000\] started\s+lr=/);
      assert.doesNotMatch(run.shot(), /p pause all/);
      run.press('p');
      assert.match(await run.ended(), /\n\S+ --resume-session \/\S+\/sessions\/ci\/session_\S+\nEXIT=3/);
    } finally {
      run.close();
    }
  });

  /**
   * A quick search in a real terminal of the given size: the table, the details opened and closed, the
   * terminal shrunk to 60x12 and back. Afterwards the scrollback still holds what was printed before the UI
   * and exactly one ✓ line per trial (Ink never cleared it), val_acc is in the table, the ✓ lines and the
   * final table, and no frame was ever as tall as the terminal.
   */
  async function scrollbackSurvives(columns: number, rows: number): Promise<void> {
    const cwd = tmpDir();
    writeAccSearch(cwd, { name: 'accview', delayMs: 200, growWait: 300, desc: 'grow', numTrials: 6, maxIters: 1500, concurrency: 2 });
    const name = `${session}-${columns}x${rows}`;
    const raw = join(cwd, 'terminal.raw');
    const t = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
    const shot = (history = false) => t('capture-pane', '-p', '-J', '-t', name, ...(history ? ['-S', '-'] : []));
    const waitFor = async (pred: (s: string) => boolean, what: string): Promise<string> => {
      const end = Date.now() + 30000;
      let s = '';
      while (Date.now() < end) {
        if (pred((s = shot()))) return s;
        await sleep(100);
      }
      throw new Error(`${columns}x${rows}: timed out waiting for ${what}; the screen was:\n${s}`);
    };
    /** The live frame's rows: from its title line to its keys line. */
    const frameRows = (s: string) => {
      const lines = s.split('\n');
      const top = lines.findIndex((l) => l.startsWith('tune · accview'));
      const bottom = lines.findIndex((l, i) => i > top && /^(q quit|esc back)/.test(l));
      return top >= 0 && bottom > top ? bottom - top + 1 : 0;
    };
    t('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), 'bash', '--norc', '--noprofile');
    try {
      t('pipe-pane', '-t', name, '-o', `cat >> ${raw}`);
      t('send-keys', '-t', name, `cd ${cwd} && PS1='$ ' && unset CI CONTINUOUS_INTEGRATION && clear`, 'Enter');
      t('send-keys', '-t', name, `echo BEFORE-TUNE; ${TUNE_BIN} spec.yaml; echo EXIT=$?`, 'Enter');

      let s = await waitFor((x) => /val_acc/.test(x) && (x.match(/▶ running/g) ?? []).length === 2, 'two running trials with their metrics');
      assert.match(s, /trial\s+status\s+x\s+hid\s+wd\s+iter\s+val_loss\s+best\s+val_acc/, 'every hyperparameter and val_acc, at 80 columns too');
      for (const l of s.split('\n')) assert.ok(l.length <= columns, `a line wider than the terminal: ${l}`);
      assert.ok(frameRows(s) > 0 && frameRows(s) < rows);

      t('send-keys', '-t', name, 'Enter');
      s = await waitFor((x) => /Trial 000\d/.test(x) && /now {5}hidden \d+ → \d+ \(widen_mlp \+16 at 300\)/.test(x) && /iteration \d+ hidden \d+/.test(x), 'the details, grown, with the log');
      assert.match(s, /val_acc \d/);
      assert.ok(frameRows(s) > 0 && frameRows(s) <= rows - 1, `the details take ${frameRows(s)} of ${rows} rows:\n${s}`);

      // Shrunk with the details open, the frame on screen is taller than the terminal: Ink would clear it all.
      t('resize-window', '-t', name, '-x', '60', '-y', '12');
      s = await waitFor((x) => /Trial 000\d/.test(x) && frameRows(x) > 0 && x.split('\n').every((l) => l.length <= 60), 'the details at 60x12');
      assert.ok(frameRows(s) <= 11, `at 60x12 the frame takes ${frameRows(s)} rows:\n${s}`);
      t('resize-window', '-t', name, '-x', String(columns), '-y', String(rows));
      await waitFor((x) => /log \(stdout\.log\)/.test(x) || /EXIT=/.test(x), 'the details at full size');
      t('send-keys', '-t', name, 'Escape');
      await waitFor((x) => /trial\s+status.*val_acc/.test(x) || /EXIT=/.test(x), 'the table again');

      await waitFor((x) => /EXIT=\d/.test(x), 'the end of the search');
      const all = shot(true);
      assert.match(all, /EXIT=0/);
      assert.equal(all.match(/^BEFORE-TUNE$/gm)?.length, 1, `what came before the UI is still in the scrollback:\n${all}`);
      assert.equal(all.match(/^tune: experiment accview/gm)?.length, 1);
      assert.equal(all.match(/^session: \//gm)?.length, 1);
      for (let i = 0; i < 6; i++) {
        const id = `000${i}`;
        assert.equal(all.match(new RegExp(`^✓ ${id} completed`, 'gm'))?.length, 1, `one ✓ line for ${id}:\n${all}`);
      }
      assert.match(all, /^✓ 0005 completed {2}it 1500 {2}val_loss \S+ \(best \S+\) {2}val_acc \d/m);
      assert.match(all, /trial\s+status\s+x\s+hid\s+wd\s+iter\s+val_loss\s+best\s+val_acc/, 'the final table has val_acc');
      // What the terminal received once tune started (the shell's own `clear` came before).
      const bytes = readFileSync(raw, 'latin1').split('BEFORE-TUNE\r\n').slice(1).join('');
      assert.ok(bytes.length > 0);
      assert.ok(!bytes.includes('\x1b[3J') && !bytes.includes('\x1b[2J'), 'the screen and the scrollback were never cleared');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', name]);
    }
  }

  test('80x24: details opened and closed, a resize to 60x12 and back; the scrollback keeps the header and one ✓ line per trial', { skip: hasTmux ? false : 'tmux is not installed' }, () => scrollbackSurvives(80, 24));

  test('120x40: the same in a larger terminal', { skip: hasTmux ? false : 'tmux is not installed' }, () => scrollbackSurvives(120, 40));
});
