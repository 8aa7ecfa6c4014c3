import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, reportCounter, resultsJson, resumeLine, runTune, sleep, startTune, testRng, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';

// Every search strategy, run end to end with real processes: interrupted at random moments by SIGINT
// (a pause) and by SIGKILL of tune (a crash), resumed until it completes, it must propose the same
// configurations, make the same continue / pause / stop decisions at the same iterations, promote and
// stop the same trials in the same order, and end with the same results as one uninterrupted run.

const SEED = Number(process.env.TUNE_TEST_SEED ?? Date.now() % 100000);
const scratch = () => tmpDir();

const STRATEGIES: Record<string, { searcher: unknown; scheduler?: unknown }> = {
  random: { searcher: 'random' },
  tpe: { searcher: { type: 'tpe', n_startup_trials: 4, multivariate: true } },
  asha: { searcher: 'random', scheduler: { type: 'asha', grace_period: 10, reduction_factor: 3 } },
  hyperband: { searcher: 'random', scheduler: { type: 'hyperband', grace_period: 10, reduction_factor: 3 } },
  bohb: { searcher: { type: 'bohb', min_points_in_model: 3 }, scheduler: { type: 'hyperband', grace_period: 10, reduction_factor: 3 } },
};

function spec(strategy: string, concurrency: number, numTrials = 12) {
  return {
    name: 'strat',
    trial: { command: ['node', join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')] },
    search_space: {
      x: { type: 'uniform', low: 0, high: 1 },
      y: { type: 'loguniform', low: 1e-4, high: 1 },
      k: { type: 'choice', values: ['a', 'b'] },
    },
    ...STRATEGIES[strategy],
    num_trials: numTrials,
    max_iters: 90,
    eval_interval: 10,
    concurrency,
    seed: 11,
    sessions_root: 'sessions',
  };
}

interface Ev { type: string; id?: string; iteration?: number; config?: unknown; delivered?: boolean; verdict?: string; decision?: string }

function journal(dir: string): Ev[] {
  return readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
}

/** The strategies' side of a run, in order: proposals, delivered results with their verdicts, promotions and stops. */
function decisions(dir: string): string[] {
  const out: string[] = [];
  for (const e of journal(dir)) {
    if (e.type === 'trial_created') out.push(`create ${e.id} ${JSON.stringify(e.config)}`);
    else if (e.type === 'report' && e.delivered) out.push(`result ${e.id}@${e.iteration} ${e.verdict}`);
    else if (e.type === 'trial_promoted') out.push(`promote ${e.id}`);
    else if (e.type === 'trial_stopped') out.push(`stop ${e.id}`);
    else if (e.type === 'trial_completed') out.push(`complete ${e.id}`);
  }
  return out;
}

function comparable(doc: ResultsDoc) {
  return { status: doc.status, best: doc.best, trials: doc.trials.map(({ id, status, config, iteration, last, best, rung }) => ({ id, status, config, iteration, last, best, rung })) };
}

function sessionDir(cwd: string): string | null {
  const root = join(cwd, 'sessions', 'strat');
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root);
  return dirs.length === 1 ? join(root, dirs[0]) : null;
}

const countReports = reportCounter();
function reportsSoFar(cwd: string): number {
  const dir = sessionDir(cwd);
  return countReports(dir && join(dir, 'events.jsonl'));
}

/**
 * Interrupts a run again and again (SIGINT, then SIGKILL, at moments drawn from rand: after 1 to maxGap more
 * reports), resuming until it completes.
 */
async function runInterrupted(cwd: string, specFile: string, rand: () => number, maxGap: number) {
  let args = [specFile];
  const counts = { pauses: 0, kills: 0 };
  for (let round = 0; round < 100; round++) {
    const target = reportsSoFar(cwd) + 1 + Math.floor(rand() * maxGap);
    const kill = round % 2 === 1; // pauses and crashes alternate, at random moments
    const run = startTune(args, cwd);
    while (reportsSoFar(cwd) < target && run.child.exitCode === null) await sleep(3);
    await sleep(Math.floor(rand() * 15));
    run.child.kill(kill ? 'SIGKILL' : 'SIGINT');
    const r = await run.result;
    const dir = sessionDir(cwd) as string;
    if (r.code === 0) return { dir, ...counts };
    if (r.signal === 'SIGKILL') counts.kills++;
    else {
      assert.equal(r.code, 3, `round ${round}: expected a pause (exit 3)\n${r.stdout}\n${r.stderr}`);
      counts.pauses++;
      assert.match(resumeLine(r.stdout), /tune --resume-session /);
    }
    args = ['--resume-session', dir];
  }
  throw new Error('did not complete in 100 rounds');
}

const references = new Map<string, Promise<{ dir: string; doc: ResultsDoc }>>();
/** One uninterrupted run per strategy, shared by the tests that compare with it or look into it. */
function uninterrupted(strategy: string): Promise<{ dir: string; doc: ResultsDoc }> {
  let ref = references.get(strategy);
  if (!ref) references.set(strategy, (ref = runUninterrupted(strategy)));
  return ref;
}

/**
 * Trials of a concurrency-1 run: the multi-fidelity schedulers need 12 for brackets, promotions and stops;
 * random search and TPE (past its 4 random start-up trials at the fifth) show theirs with 8.
 */
const trialsOf = (strategy: string) => (STRATEGIES[strategy].scheduler ? 12 : 8);

async function runUninterrupted(strategy: string) {
  const cwd = scratch();
  const r = await runTune([writeSpec(cwd, spec(strategy, 1, trialsOf(strategy)))], cwd);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const dir = sessionDir(cwd) as string;
  return { dir, doc: await resultsJson(dir, cwd) };
}

for (const [i, strategy] of Object.keys(STRATEGIES).entries()) {
  test(`${strategy}: paused and killed at random moments, concurrency 1 decides and ends exactly like one uninterrupted run (seed ${SEED})`, async (t) => {
    const ref = await uninterrupted(strategy);
    assert.equal(ref.doc.status, 'completed');
    const cwd = scratch();
    // Random search and TPE report every trial to the end (72 reports), ASHA 28, Hyperband and BOHB 36:
    // gaps of 1 to maxGap reports give about 8 interruptions each and never fewer than 4 (72 / 17, 28 / 7).
    const maxGap = strategy === 'asha' ? 7 : STRATEGIES[strategy].scheduler ? 8 : 17;
    const run = await runInterrupted(cwd, writeSpec(cwd, spec(strategy, 1, trialsOf(strategy))), testRng(SEED + i), maxGap);
    assert.ok(run.pauses >= 1 && run.kills >= 1 && run.pauses + run.kills >= 4, `interrupted only ${run.pauses} + ${run.kills} times`);
    t.diagnostic(`${strategy}: ${run.pauses} pauses by SIGINT and ${run.kills} kills of tune by SIGKILL`);
    assert.deepStrictEqual(decisions(run.dir), decisions(ref.dir));
    assert.deepStrictEqual(comparable(await resultsJson(run.dir, cwd)), comparable(ref.doc));
  });
}

test('what each strategy did: multi-fidelity ones paused, promoted and stopped trials; model-based ones left random search', async () => {
  const seen: Record<string, string[]> = {};
  for (const strategy of ['asha', 'hyperband', 'bohb']) {
    const { dir, doc } = await uninterrupted(strategy);
    seen[strategy] = decisions(dir);
    assert.ok(seen[strategy].some((d) => /^result \S+ pause$/.test(d)), `${strategy} paused no trial at a rung`);
    assert.ok(seen[strategy].some((d) => d.startsWith('promote ')), `${strategy} promoted no waiting trial`);
    assert.ok(doc.trials.some((t) => t.status === 'stopped'), `${strategy} stopped no trial`);
    assert.ok(doc.trials.some((t) => t.status === 'completed' && t.iteration === 90), `${strategy} trained no trial to the full budget`);
    assert.ok(doc.trials.every((t) => t.rung), `${strategy}: every trial shows its rung in results --json`);
    assert.ok(existsSync(join(dir, 'tmp', 'curve-0000.touch')), 'a trial\'s TMPDIR is the session\'s tmp/');
    const spent = doc.trials.reduce((a, t) => a + t.iteration, 0);
    assert.ok(spent < 12 * 90, `${strategy} spent the whole budget (${spent} iterations)`);
  }
});

test(`concurrency 3 under every strategy, paused repeatedly: nothing lost, nothing trained twice (seed ${SEED})`, async () => {
  for (const [j, strategy] of Object.keys(STRATEGIES).entries()) {
    const cwd = scratch();
    const file = writeSpec(cwd, spec(strategy, 3, 9));
    const rand = testRng(SEED + 100 + j);
    let args = [file];
    let pauses = 0;
    for (;;) {
      // Under ASHA and Hyperband 9 trials make about 21 reports: a pause within the first 12, and again.
      const target = reportsSoFar(cwd) + 1 + Math.floor(rand() * 12);
      const run = startTune(args, cwd);
      while (reportsSoFar(cwd) < target && run.child.exitCode === null) await sleep(3);
      run.child.kill('SIGINT');
      const r = await run.result;
      if (r.code === 0) break;
      assert.equal(r.code, 3, r.stderr);
      pauses++;
      args = ['--resume-session', sessionDir(cwd) as string];
    }
    const dir = sessionDir(cwd) as string;
    const doc = await resultsJson(dir, cwd);
    assert.equal(doc.trials.length, 9, strategy);
    for (const t of doc.trials) {
      assert.ok(t.status === 'completed' || t.status === 'stopped', `${strategy} trial ${t.id} ended ${t.status}`);
      // The trial logs each boundary it trains through; across all its processes each appears once.
      const trained = readFileSync(join(dir, 'trials', t.id, 'stdout.log'), 'utf8').trim().split('\n').map((l) => Number(/^iteration (\d+)$/.exec(l)?.[1]));
      assert.deepStrictEqual(trained, Array.from({ length: t.iteration / 10 }, (_, k) => 10 * (k + 1)), `${strategy} trial ${t.id} trained ${trained.join(',')}`);
    }
    const delivered = journal(dir).filter((e) => e.type === 'report' && e.delivered).map((e) => `${e.id}@${e.iteration}`);
    assert.equal(new Set(delivered).size, delivered.length, `${strategy}: a result reached the strategies twice`);
    assert.ok(pauses >= 1, `${strategy} was never paused`);
  }
});
