import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { resultsTable } from '../../src/cli/results-view.js';
import { loadSessionState } from '../../src/session/store.js';
import { onlySession, runTune, tmpDir, writeAccSearch } from '../helpers/tune.js';

/** A finished search of three quick trials reporting val_loss, val_acc and train_loss; one grows its hidden size. */
async function finishedSession(): Promise<{ cwd: string; dir: string }> {
  const cwd = tmpDir();
  writeAccSearch(cwd, { name: 'accres', delayMs: 0, growWait: 200, numTrials: 3, maxIters: 300, concurrency: 3 });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stderr);
  return { cwd, dir: onlySession(cwd, 'accres') };
}

let shared: Promise<{ cwd: string; dir: string }> | null = null;
const session = () => (shared ??= finishedSession());

test('tune results on a folder of sessions lists them (name, status, trials, best) and says how to see one', async () => {
  const { cwd, dir } = await session();
  const name = dir.split('/').pop() as string;
  for (const folder of ['sessions/accres', 'sessions']) {
    const r = await runTune(['results', folder], cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${folder} holds 1 session, oldest first:$`, 'm'));
    assert.match(r.stdout, /session\s+experiment\s+status\s+done\s+best/);
    assert.match(r.stdout, new RegExp(`${name}\\s+accres\\s+completed\\s+3/3\\s+val_loss \\d\\S* \\(000\\d\\)`));
    assert.match(r.stdout, new RegExp(`To see one: tune results sessions/accres/${name}`));
    assert.doesNotMatch(r.stdout + r.stderr, /--resume-session/);
  }
  const json = JSON.parse((await runTune(['results', 'sessions/accres', '--json'], cwd)).stdout) as { sessions: { session: string; status: string; done: number }[] };
  assert.deepEqual(json.sessions.map((s) => [s.session, s.status, s.done]), [[name, 'completed', 3]]);
  // A folder with no session anywhere: one line saying what to give.
  const empty = join(cwd, 'empty');
  mkdirSync(empty);
  const bad = await runTune(['results', empty], cwd);
  assert.equal(bad.code, 2);
  assert.deepEqual(bad.stderr.trim().split('\n'), [`tune: ${empty}: no tune session here, and no session folders inside; give a session folder (sessions/<experiment>/session_…) or a folder that holds them`]);
});

test('tune results --json: each config holds the fixed params too; the best trial names its checkpoint by an absolute path', async () => {
  const { cwd, dir } = await session();
  const r = await runTune(['results', dir, '--json'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { best: { trial: string; config: Record<string, unknown> }; best_checkpoint: { trial: string; iteration: number; path: string }; trials: { config: Record<string, unknown> }[] };
  for (const t of doc.trials) assert.deepEqual(Object.keys(t.config).sort(), ['delay_ms', 'hidden', 'weight_decay', 'x']);
  assert.equal(doc.best.config.delay_ms, 0);
  assert.deepEqual(Object.keys(doc.best).sort(), ['config', 'iteration', 'trial', 'value'], 'best holds nothing that differs between two runs');
  const ckpt = doc.best_checkpoint;
  assert.equal(ckpt.trial, doc.best.trial);
  assert.equal(ckpt.iteration, 300);
  assert.ok(ckpt.path.startsWith(join(dir, 'trials', doc.best.trial)) && existsSync(ckpt.path), ckpt.path);
});

test('tune results: every metric (val_acc too), grown sizes marked, the best trial\'s whole config and checkpoint; fitted to 80 columns', async () => {
  const { cwd, dir } = await session();
  const r = await runTune(['results', dir], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trial\s+status\s+x\s+hid\s+wd\s+iter\s+val_loss\s+best\s+val_acc\s+train_loss/);
  assert.match(r.stdout, /^000\d\s+completed\s+\S+\s+(32|48)\*\s+/m, 'hidden as the schedule left it, marked');
  assert.match(r.stdout, /^ {2}config: delay_ms=0 x=\S+ hidden=(16|32) weight_decay=\S+$/m);
  assert.match(r.stdout, /^ {2}after its schedule: hidden=(32|48)$/m);
  const ckpt = /^ {2}checkpoint: (\/\S+)$/m.exec(r.stdout);
  assert.ok(ckpt && existsSync(ckpt[1]), r.stdout);
  // The checkpoint holds the weights of where it was taken: when the best report came earlier, it says so.
  const earlier = loadSessionState(dir);
  const bestRecord = earlier.trials.find((t) => t.best && ckpt && ckpt[1].includes(`/trials/${t.id}/`))!;
  bestRecord.best = { ...bestRecord.best!, iteration: 100 };
  assert.match(resultsTable(earlier, { sessionDir: dir }), new RegExp(`^ {2}checkpoint \\(final, iteration 300\\): ${ckpt![1]}$`, 'm'));

  const state = loadSessionState(dir);
  const narrow = resultsTable(state, { width: 80 }).split('\n');
  for (const l of narrow) assert.ok(l.length <= 80, `wider than 80: ${l}`);
  assert.match(narrow[0], /val_acc/);
  const tiny = resultsTable(state, { width: 50 }).split('\n');
  assert.match(tiny[0], /^trial\s+status\s+iter\s+val_loss\s+best\s+val_acc$/, 'the least important columns go first: other metrics, the rung, then the hyperparameters');
  assert.ok(tiny.some((l) => /^\(not shown at this width: .*train_loss/.test(l)));
});

test('a session whose creation was cut short (its folder and lock, no session.json) is listed with the reason, and resuming it says what happened', async () => {
  const cwd = tmpDir();
  const dir = join(cwd, 'sessions', 'exp', 'session_20261129_101010_abcdef');
  mkdirSync(join(dir, 'trials'), { recursive: true });
  // What tune leaves when killed between locking a new session's folder and writing its session.json.
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 4_194_303, host: hostname(), started: null }));
  const reason = `${dir}: this session was never fully created (tune stopped before it wrote session.json), so no trial ran in it; start the search again, and delete this folder`;
  const listed = await runTune(['results', 'sessions/exp'], cwd);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^sessions\/exp holds 1 session, oldest first:$/m);
  assert.match(listed.stdout, /session_20261129_101010_abcdef\s+\?\s+unreadable\s+-/);
  assert.ok(listed.stdout.includes(`session_20261129_101010_abcdef: ${reason}`), listed.stdout);
  const before = readdirSync(dir).sort();
  const resumed = await runTune(['--resume-session', dir], cwd);
  assert.equal(resumed.code, 2);
  assert.deepEqual(resumed.stderr.trim().split('\n'), [`tune: ${reason}`]);
  assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
});
