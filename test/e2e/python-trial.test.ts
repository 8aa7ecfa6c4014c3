import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { ROOT, resultsJson, resumeLine, runTune, sessionDirFrom, sleep, startTune, testRng, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';

/** The example trial written in Python (examples/python-trial), run through the real bin. */
const EXAMPLE = join(ROOT, 'examples', 'python-trial');
const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);

/** Why these tests cannot run here, or false when python3 (3.9+) is on the PATH. */
function noPython(): string | false {
  const r = spawnSync('python3', ['-c', 'import sys; print("%d %d" % sys.version_info[:2])'], { encoding: 'utf8' });
  if (r.error) return `python3 is not on the PATH (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); the Python trial client needs it`;
  if (r.status !== 0) return `python3 does not run (exit ${r.status}): ${r.stderr.trim()}`;
  const [major, minor] = r.stdout.trim().split(' ').map(Number);
  if (major < 3 || (major === 3 && minor < 9)) return `python3 is ${major}.${minor}; the Python trial client needs 3.9 or newer`;
  return false;
}
const skip = noPython();

type ExampleSpec = { name: string; trial: Record<string, unknown>; max_iters: number; eval_interval: number; num_trials: number; sessions_root?: string };
const EXAMPLE_SPEC = load(readFileSync(join(EXAMPLE, 'spec.yaml'), 'utf8')) as ExampleSpec;

/** The example spec, copied into a fresh folder: sessions land there, the command names train.py by absolute path. */
function exampleSpecIn(cwd: string): string {
  assert.deepStrictEqual(EXAMPLE_SPEC.trial.command, ['python3', 'train.py'], 'the example spec runs train.py with python3');
  const spec: ExampleSpec = { ...EXAMPLE_SPEC, trial: { ...EXAMPLE_SPEC.trial, command: ['python3', join(EXAMPLE, 'train.py')], schedule: join(EXAMPLE, 'schedule.yaml') }, sessions_root: 'sessions' };
  return writeSpec(cwd, spec, 'spec.json');
}

function comparable(doc: ResultsDoc) {
  return doc.trials.map(({ id, config, iteration, last }) => ({ id, config, iteration, last }));
}

function metricsFiles(sessionDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of readdirSync(join(sessionDir, 'trials'))) out[id] = readFileSync(join(sessionDir, 'trials', id, 'metrics.jsonl'), 'utf8');
  return out;
}

let reference: Promise<{ dir: string; doc: ResultsDoc; metrics: Record<string, string> }> | null = null;

/** One uninterrupted run of the example, shared by both tests. */
function uninterrupted() {
  reference ??= (async () => {
    const cwd = tmpDir('tune-python-');
    const r = await runTune([exampleSpecIn(cwd)], cwd);
    assert.equal(r.code, 0, `uninterrupted run: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const root = join(cwd, 'sessions', EXAMPLE_SPEC.name);
    const dir = join(root, readdirSync(root)[0]);
    return { dir, doc: await resultsJson(dir, cwd), metrics: metricsFiles(dir) };
  })();
  return reference;
}

test('python example: an uninterrupted run completes every trial, each keeping its final checkpoint', { skip, timeout: 30_000 }, async () => {
  const { dir, doc } = await uninterrupted();
  const spec = EXAMPLE_SPEC;
  assert.equal(doc.status, 'completed');
  assert.equal(doc.trials.length, spec.num_trials);
  for (const t of doc.trials) {
    assert.equal(t.status, 'completed', `trial ${t.id}`);
    assert.equal(t.iteration, spec.max_iters);
    assert.ok(t.last && Number.isFinite(t.last.val_loss) && t.last.val_loss > 0 && t.last.val_loss < 0.7, `trial ${t.id} learned something: ${JSON.stringify(t.last)}`);
  }
  // The client's boundary helper saves the state after the last iteration and announces it before done.
  const state = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { trials: { id: string; checkpoint: { iteration: number; path: string } | null }[] };
  for (const t of state.trials) {
    assert.equal(t.checkpoint?.iteration, spec.max_iters, `trial ${t.id}: the recorded checkpoint is the final one`);
    const saved = JSON.parse(readFileSync(join(dir, 'trials', t.id, t.checkpoint.path), 'utf8')) as { iteration: number };
    assert.equal(saved.iteration, spec.max_iters);
  }
});

test(`python example: paused by SIGINT at random moments and resumed ends exactly like an uninterrupted run (seed ${SEED})`, { skip, timeout: 180_000 }, async (t) => {
  t.diagnostic(`seed ${SEED}; repeat with TUNE_TEST_SEED=${SEED}`);
  const rand = testRng(SEED);
  const cwd = tmpDir('tune-python-');
  const spec = EXAMPLE_SPEC;
  let args = [exampleSpecIn(cwd)];
  let sessionDir = '';
  let pauses = 0;
  for (let round = 0; ; round++) {
    // Each round trains at least to one more boundary, so this ends even on a loaded machine.
    assert.ok(round < 200, `seed ${SEED}: not completed after 200 rounds`);
    const run = startTune(args, cwd);
    // Once a trial runs, interrupt at a random moment (sometimes at once, before any report).
    while (!/\] (started|resumed) /.test(run.stdoutSoFar()) && run.child.exitCode === null) await sleep(5);
    await sleep(Math.floor(rand() * 400));
    run.child.kill('SIGINT');
    const r = await run.result;
    if (r.code === 0) {
      if (!sessionDir) sessionDir = join(cwd, 'sessions', spec.name, readdirSync(join(cwd, 'sessions', spec.name))[0]);
      break;
    }
    assert.equal(r.code, 3, `seed ${SEED}, round ${round}: expected a pause (exit 3)\n${r.stdout}\n${r.stderr}`);
    pauses++;
    sessionDir = sessionDirFrom(r.stdout, cwd);
    assert.ok(!existsSync(join(sessionDir, 'pause.signal')), 'the pause signal is gone once paused');
    // The printed resume command, as it is: `<tune> --resume-session <dir>` from this folder.
    const line = resumeLine(r.stdout);
    const m = /^\S*tune --resume-session (\S+)$/.exec(line);
    assert.ok(m, `seed ${SEED}: the last line is not a resume command: ${line}`);
    args = ['--resume-session', m[1]];
  }
  assert.ok(pauses >= 1, `seed ${SEED}: never paused; the test wants at least one pause`);
  t.diagnostic(`${pauses} pauses`);

  const doc = await resultsJson(sessionDir, cwd);
  const ref = await uninterrupted();
  assert.equal(doc.status, 'completed');
  assert.deepStrictEqual(comparable(doc), comparable(ref.doc), `seed ${SEED}`);
  // Every validation boundary of every trial, not only the last.
  assert.deepStrictEqual(metricsFiles(sessionDir), ref.metrics, `seed ${SEED}`);
  // A pause checkpoints at the boundary it stops at, so no boundary is trained twice.
  let resumed = 0;
  for (const tr of doc.trials) {
    const log = readFileSync(join(sessionDir, 'trials', tr.id, 'stdout.log'), 'utf8');
    resumed += (log.match(/^resuming from /gm) ?? []).length;
    const trained = [...log.matchAll(/^iteration (\d+):/gm)].map((x) => Number(x[1]));
    // The schedule's operations reached the Python trial through its hook, once each in the surviving run.
    assert.equal((log.match(/^operation at iteration \d+: change_lr 0\.5 -> lr /gm) ?? []).length, 1, `trial ${tr.id}: change_lr applied once`);
    const expected = Array.from({ length: spec.max_iters / spec.eval_interval }, (_, i) => spec.eval_interval * (i + 1));
    assert.deepStrictEqual(trained, expected, `seed ${SEED}: trial ${tr.id} trained ${trained.join(',')}`);
  }
  assert.ok(resumed >= 1, `seed ${SEED}: no trial resumed from a checkpoint; the pauses tested nothing`);
});
