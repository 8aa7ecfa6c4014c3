import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TUNE_BIN, reportCounter, runTune, sleep, startTune, tmpDir, treeHashes, writeSpec } from '../helpers/tune.js';

// tune view (a read-only live view, driven in a real terminal by tmux) and tune ls (issue 16).
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `tune-view-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200');

async function waitFor(pred: () => boolean, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${hasTmux ? `; the screen was:\n${screen()}` : ''}`);
    await sleep(100);
  }
}

after(() => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
});

const spec = (maxIters: number, name = 'viewed') => ({
  name,
  trial: { command: ['node', join(ROOT, 'test', 'fixtures', 'chaos-trial.mjs')] },
  search_space: { target: { type: 'uniform', low: 1, high: 5 } },
  searcher: 'random',
  num_trials: 2,
  max_iters: maxIters,
  eval_interval: 10,
  concurrency: 2,
  seed: 5,
});

const only = (cwd: string, name: string) => join(cwd, 'sessions', name, readdirSync(join(cwd, 'sessions', name))[0]);
const countReports = reportCounter();
const reports = (dir: string) => countReports(join(dir, 'events.jsonl'));

test('tune view: the live view of a paused session, and of a live one as it runs, changes no byte of either', { skip: hasTmux ? false : 'tmux is not installed' }, async () => {
  const cwd = tmpDir();
  // A paused session.
  const run = startTune([writeSpec(cwd, spec(20000))], cwd);
  await waitFor(() => { try { return reports(only(cwd, 'viewed')) >= 4; } catch { return false; } }, 'reports');
  run.child.kill('SIGINT');
  assert.equal((await run.result).code, 3);
  const paused = only(cwd, 'viewed');
  const before = treeHashes(paused);
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', 'bash', '--norc', '--noprofile');
  tmux('send-keys', '-t', session, `cd ${cwd} && PS1='$ ' && unset CI CONTINUOUS_INTEGRATION && clear`, 'Enter');
  tmux('send-keys', '-t', session, `${TUNE_BIN} view ${paused}; echo EXIT=$?`, 'Enter');
  await waitFor(() => screen().includes('read-only view'), 'the view');
  assert.match(screen(), /0000/);
  tmux('send-keys', '-t', session, 'Enter'); // details of the selected trial
  await sleep(600);
  tmux('send-keys', '-t', session, 'Escape');
  tmux('send-keys', '-t', session, 'p'); // does nothing here
  tmux('send-keys', '-t', session, ' ');
  await sleep(400);
  tmux('send-keys', '-t', session, 'q');
  await waitFor(() => screen().includes('EXIT=0'), 'the view to close');
  assert.deepEqual(treeHashes(paused), before, 'the paused session is byte-identical');

  // A live session: the view follows it, and the run's files are only the run's doing.
  const cwd2 = tmpDir();
  const live = startTune([writeSpec(cwd2, spec(20000, 'followed'))], cwd2);
  await waitFor(() => { try { return reports(only(cwd2, 'followed')) >= 2; } catch { return false; } }, 'the live run');
  const liveDir = only(cwd2, 'followed');
  tmux('send-keys', '-t', session, 'clear', 'Enter');
  tmux('send-keys', '-t', session, `${TUNE_BIN} view ${liveDir}; echo EXIT=$?`, 'Enter');
  await waitFor(() => screen().includes('read-only view'), 'the view of the live run');
  const iterations = () => [...screen().matchAll(/▶ running\s+\S+\s+\S*\s*(\d+)/g)].map((m) => Number(m[1]));
  const first = iterations();
  await waitFor(() => iterations().some((it, i) => it > (first[i] ?? Infinity)) || /✓/.test(screen()), 'the view to follow the run');
  tmux('send-keys', '-t', session, 'q');
  await waitFor(() => screen().includes('EXIT=0'), 'the view to close');
  live.child.kill('SIGINT');
  assert.equal((await live.result).code, 3);
  // No request, lock or file of the viewer's: the journal holds only the run's own events.
  assert.ok(!readdirSync(liveDir).includes('requests'));
});

test('tune ls lists running, paused, completed and damaged sessions, with how to resume the paused ones', async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec(300, 'listed'));
  assert.equal((await runTune([file], cwd)).code, 0); // completed
  const paused = startTune([writeSpec(cwd, spec(20000, 'listed'), 'long.yaml')], cwd);
  const completed = readdirSync(join(cwd, 'sessions', 'listed'))[0];
  await waitFor(() => {
    try {
      const second = readdirSync(join(cwd, 'sessions', 'listed')).find((d) => d !== completed);
      return second !== undefined && reports(join(cwd, 'sessions', 'listed', second)) > 0;
    } catch {
      return false;
    }
  }, 'a second session');
  paused.child.kill('SIGINT');
  assert.equal((await paused.result).code, 3);
  const running = startTune([writeSpec(cwd, spec(20000, 'listed'), 'live.yaml')], cwd);
  await waitFor(() => readdirSync(join(cwd, 'sessions', 'listed')).length === 3, 'a third session');
  const damaged = join(cwd, 'sessions', 'listed', 'session_29991231_000000_badbad');
  mkdirSync(damaged);
  writeFileSync(join(damaged, 'session.json'), '{ not json');
  await sleep(300);
  const r = await runTune(['ls'], cwd);
  running.child.kill('SIGINT');
  await running.result;
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split('\n');
  assert.match(rows[0], /^session\s+experiment\s+status\s+trials done\s+best\s+started$/);
  // Sessions are listed by name, which is their start time to the second: two started within one second
  // may come in either order, so the statuses are compared as a set.
  const statuses = rows.slice(1, 5).map((l) => l.split(/\s{2,}/)[2]);
  assert.deepEqual([...statuses].sort(), ['completed', 'paused', 'running', 'unreadable']);
  assert.equal(statuses[3], 'unreadable');
  assert.match(rows.find((l) => l.includes('completed')) ?? '', /2\/2\s+val_loss \S+ \(000\d\)\s+\d+s ago$/);
  assert.match(r.stdout, /to resume:\n {2}\S*tune'? --resume-session \S+session_\S+\n/);
  assert.equal((r.stdout.match(/--resume-session/g) ?? []).length, 1, 'only the paused one');
  assert.match(r.stdout, /session_29991231_000000_badbad: unreadable: .*session\.json: is not valid JSON/);
});
