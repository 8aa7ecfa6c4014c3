import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { resultsTable } from '../../src/cli/results-view.js';
import { loadSessionState } from '../../src/session/store.js';
import { onlySession, runTune, tmpDir, writeAccSearch, writeClientTrial, writeSpec } from '../helpers/tune.js';

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
  // Its kept checkpoint is then not that of the best report: the final one is named, and said to be so.
  assert.match(resultsTable(earlier, { sessionDir: dir }), new RegExp(`^ {2}checkpoint \\(final, iteration 300\\): ${join(dir, 'trials', bestRecord.id, bestRecord.checkpoint!.path)}$`, 'm'));

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

/**
 * A command trial whose val_loss is best at iteration 20 of 40 and which keeps only its newest checkpoint,
 * as trials do to save disk. With `opAt20`, a schedule operation fires at that report (after it was scored).
 */
function bestIn20(cwd: string, opAt20: boolean) {
  writeClientTrial(cwd, 'trial.mjs', ['mkdirSync', 'readdirSync', 'rmSync', 'writeFileSync'], [
    'rt.onOperation(() => {});',
    "const dir = join(rt.trialDir, 'ckpt');",
    'mkdirSync(dir, { recursive: true });',
    'const loss = { 10: 3, 20: 1, 30: 2, 40: 2.5 };',
    'const save = () => {',
    "  const name = `it-${it}.json`;",
    '  writeFileSync(join(dir, name), JSON.stringify({ it }));',
    '  for (const f of readdirSync(dir)) if (f !== name) rmSync(join(dir, f));',
    "  return join('ckpt', name);",
    '};',
    'let it = 0;',
    'while (it < rt.maxIters) { it += rt.evalInterval; await rt.boundary(it, { val_loss: loss[it] }, it / rt.evalInterval, save); }',
    'rt.done(it);',
  ]);
  if (opAt20) writeFileSync(join(cwd, 'schedule.yaml'), '- name: change_lr\n  value: 0.5\n  max_wait_iters: 20\n');
  const spec = { name: 'kept', trial: { command: [process.execPath, 'trial.mjs'], ...(opAt20 ? { schedule: 'schedule.yaml' } : {}) }, search_space: {}, searcher: 'grid', max_iters: 40, eval_interval: 10 };
  return writeSpec(cwd, spec);
}

test('the checkpoint of a trial\'s best report is kept although the trial deleted it, and results name it; not when an operation changed the model after that report', async () => {
  const cwd = tmpDir();
  const r = await runTune([bestIn20(cwd, false)], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'kept');
  const trial = join(dir, 'trials', '0000');
  assert.deepEqual(readdirSync(join(trial, 'ckpt')), ['it-40.json'], 'the trial kept only its newest');
  const kept = join(trial, 'best', 'it-20.json');
  assert.deepEqual(JSON.parse(readFileSync(kept, 'utf8')), { it: 20 });
  assert.deepEqual(readdirSync(join(trial, 'best')), ['it-20.json']);
  const doc = JSON.parse((await runTune(['results', dir, '--json'], cwd)).stdout) as { best: { iteration: number }; best_checkpoint: { iteration: number; path: string } };
  assert.equal(doc.best.iteration, 20);
  assert.deepEqual(doc.best_checkpoint, { trial: '0000', iteration: 20, path: kept });
  assert.match((await runTune(['results', dir], cwd)).stdout, new RegExp(`^ {2}checkpoint: ${kept}$`, 'm'));

  // The operation at iteration 20 came after its report was scored: the checkpoint there holds other weights.
  const withOp = tmpDir();
  const r2 = await runTune([bestIn20(withOp, true)], withOp);
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  const dir2 = onlySession(withOp, 'kept');
  // Iteration 10's, kept while it was the best, went when iteration 20 became the best.
  assert.deepEqual(readdirSync(join(dir2, 'trials', '0000', 'best')), [], 'nothing kept as the best');
  const newest = join(dir2, 'trials', '0000', 'ckpt', 'it-40.json');
  assert.match((await runTune(['results', dir2], withOp)).stdout, new RegExp(`^ {2}checkpoint \\(final, iteration 40\\): ${newest}$`, 'm'));
});
