import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportCounter, resultsJson, resumeLine, runTune, sessionDirFrom, sleep, startTune, testRng, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';

const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);

function spec(concurrency: number, numTrials: number) {
  return {
    name: 'exact',
    trial: { builtin: 'spirals-mlp', params: { batch_size: 16 } },
    search_space: {
      lr: { type: 'loguniform', low: 0.01, high: 0.3 },
      hidden: { type: 'choice', values: [8, 16] },
    },
    num_trials: numTrials,
    max_iters: 400,
    eval_interval: 20,
    concurrency,
    seed: 17,
    sessions_root: 'sessions',
  };
}

/** What must be equal between two runs: everything but timings and failure counts. */
function comparable(doc: ResultsDoc) {
  return { best: doc.best, trials: doc.trials.map(({ id, status, config, iteration, last, best }) => ({ id, status, config, iteration, last, best })) };
}

function metricsFiles(sessionDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of readdirSync(join(sessionDir, 'trials'))) out[id] = readFileSync(join(sessionDir, 'trials', id, 'metrics.jsonl'), 'utf8');
  return out;
}

const countReports = reportCounter();
function reportsSoFar(cwd: string): number {
  const root = join(cwd, 'sessions', 'exact');
  const dirs = existsSync(root) ? readdirSync(root) : [];
  return countReports(dirs.length ? join(root, dirs[0], 'events.jsonl') : null);
}

/**
 * Runs a spec to completion, pausing with SIGINT at a random moment and resuming with the printed command,
 * again and again. The moment is drawn in progress, not in time: after 1 to `maxReports` more reports (and
 * a random few milliseconds), so a loaded machine pauses as often as a quiet one and every round moves on.
 */
async function runWithPauses(cwd: string, specFile: string, rand: () => number, maxReports: number) {
  let args = [specFile];
  let pauses = 0;
  let sessionDir = '';
  for (let round = 0; round < 200; round++) {
    const target = reportsSoFar(cwd) + 1 + Math.floor(rand() * maxReports);
    const run = startTune(args, cwd);
    while (reportsSoFar(cwd) < target && run.child.exitCode === null) await sleep(3);
    await sleep(Math.floor(rand() * 20));
    run.child.kill('SIGINT');
    const r = await run.result;
    if (r.code === 0) {
      if (!sessionDir) sessionDir = join(cwd, 'sessions', 'exact', readdirSync(join(cwd, 'sessions', 'exact'))[0]);
      return { sessionDir, pauses, last: r };
    }
    assert.equal(r.code, 3, `round ${round}: expected a pause (exit 3)\n${r.stdout}\n${r.stderr}`);
    pauses++;
    sessionDir = sessionDirFrom(r.stdout, cwd);
    const line = resumeLine(r.stdout);
    assert.match(line, /^\/\S*tune --resume-session \/\S+\/sessions\/exact\/session_\d{8}_\d{6}_[0-9a-f]{6}$/);
    args = ['--resume-session', line.split(' ').pop() as string];
    assert.ok(!existsSync(join(sessionDir, 'pause.signal')), 'the pause signal is gone once paused');
  }
  throw new Error('did not complete in 200 rounds');
}

let reference: { doc: ResultsDoc; metrics: Record<string, string> };

before(async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec(1, 4));
  const r = await runTune([file], cwd);
  assert.equal(r.code, 0, r.stderr);
  const dir = join(cwd, 'sessions', 'exact', readdirSync(join(cwd, 'sessions', 'exact'))[0]);
  reference = { doc: await resultsJson(dir, cwd), metrics: metricsFiles(dir) };
  assert.equal(reference.doc.status, 'completed');
  assert.equal(reference.doc.trials.length, 4);
});

test(`paused at random moments and resumed, concurrency 1 ends bit for bit like an uninterrupted run (seed ${SEED})`, async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec(1, 4));
  const { sessionDir, pauses } = await runWithPauses(cwd, file, testRng(SEED), 16);
  assert.ok(pauses >= 3, `paused only ${pauses} times; the test wants several pauses`);
  const doc = await resultsJson(sessionDir, cwd);
  assert.equal(doc.status, 'completed');
  assert.deepStrictEqual(comparable(doc), comparable(reference.doc));
  // Every validation boundary of every trial, not just the final numbers.
  assert.deepStrictEqual(metricsFiles(sessionDir), reference.metrics);
});

test(`concurrency 3 paused and resumed: every trial completes and no iteration runs twice (seed ${SEED})`, async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, spec(3, 6));
  const { sessionDir, pauses } = await runWithPauses(cwd, file, testRng(SEED + 1), 24);
  assert.ok(pauses >= 2, `paused only ${pauses} times`);
  const doc = await resultsJson(sessionDir, cwd);
  assert.equal(doc.trials.length, 6);
  for (const t of doc.trials) {
    assert.equal(t.status, 'completed', `trial ${t.id}`);
    assert.equal(t.iteration, 400);
    // The worker logs each boundary it trains to; across all its processes each appears exactly once.
    const trained = readFileSync(join(sessionDir, 'trials', t.id, 'stdout.log'), 'utf8').trim().split('\n').map((l) => Number(/^iteration (\d+):/.exec(l)?.[1]));
    assert.deepStrictEqual(trained, Array.from({ length: 20 }, (_, i) => 20 * (i + 1)), `trial ${t.id} trained ${trained.join(',')}`);
  }
  // The trials were independent of the interleaving: the same as the concurrency-1 reference where configs match.
  const events = readFileSync(join(sessionDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string; iteration?: number });
  const seen = new Set<string>();
  for (const e of events.filter((x) => x.type === 'report')) {
    const key = `${e.id}@${e.iteration}`;
    assert.ok(!seen.has(key), `report ${key} twice`);
    seen.add(key);
  }
  assert.deepStrictEqual(comparable(doc).trials.slice(0, 4), comparable(reference.doc).trials);
});

test('a larger budget on resume: a completed 2-trial session grown to 4 equals a 4-trial run (N = K + (N - K))', async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, { ...spec(2, 2), max_iters: 100 });
  assert.equal((await runTune([file], cwd)).code, 0);
  const dir = join(cwd, 'sessions', 'exact', readdirSync(join(cwd, 'sessions', 'exact'))[0]);
  const tooFew = await runTune(['--resume-session', dir, '--num-trials', '1'], cwd);
  assert.equal(tooFew.code, 2);
  assert.match(tooFew.stderr, /--num-trials is 1, but .* already has 2 trials; give at least 2/);
  const grown = await runTune(['--resume-session', dir, '--num-trials', '4'], cwd);
  assert.equal(grown.code, 0, grown.stderr);
  assert.match(grown.stdout, /note: num_trials 2 -> 4/);
  const doc = await resultsJson(dir, cwd);
  assert.equal(doc.trials.length, 4);

  const cwd2 = tmpDir();
  const file2 = writeSpec(cwd2, { ...spec(2, 4), max_iters: 100 });
  assert.equal((await runTune([file2], cwd2)).code, 0);
  const dir2 = join(cwd2, 'sessions', 'exact', readdirSync(join(cwd2, 'sessions', 'exact'))[0]);
  assert.deepStrictEqual(comparable(doc), comparable(await resultsJson(dir2, cwd2)));
});
