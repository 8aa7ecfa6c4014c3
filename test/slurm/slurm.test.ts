import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { slurmJobName } from '../../src/orchestrator/slurm-launcher.js';
import { PROTOCOL_LINE_PREFIX } from '../../src/trial/protocol.js';
import { onlySession, resultsJson, resumeLine, ROOT, runTune, sleep, startTune, tmpDir, writeSpec, type ResultsDoc, type TuneResult } from '../helpers/tune.js';
import { clusterUnavailable, startCluster, type Cluster } from './cluster.js';

// tune's trials as Slurm jobs, on a real one-node cluster started for this file (cluster.ts). Every search
// here is compared with the same search run locally and uninterrupted: the launcher, pauses, cancelled jobs
// and crashes must change nothing in the results.

const skip = clusterUnavailable() ?? false;
const TRIAL = join(ROOT, 'test', 'slurm', 'slow-trial.mjs');

let cluster: Cluster;
before(async () => {
  if (!skip) cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

// A test that fails halfway leaves its tune running and its jobs holding the node's CPUs, and every later
// test would then wait in the queue: end such a run and empty the queue before the next test.
const started: ReturnType<typeof startTune>[] = [];
function start(...args: Parameters<typeof startTune>): ReturnType<typeof startTune> {
  const run = startTune(...args);
  started.push(run);
  return run;
}
afterEach(async () => {
  for (const run of started.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.result;
    }
  }
  if (!skip) await cluster.cancelAll();
});

function spec(over: Record<string, unknown> = {}) {
  return {
    name: 'slurm',
    trial: { command: [process.execPath, TRIAL] },
    search_space: { x: { type: 'uniform', low: 0, high: 1 } },
    num_trials: 3,
    max_iters: 60,
    eval_interval: 10,
    concurrency: 1,
    seed: 5,
    sessions_root: 'sessions',
    ...over,
  };
}

/** The environment of a tune run on the cluster; the trial sleeps `delay` ms after each boundary. */
function clusterEnv(delay = 0): NodeJS.ProcessEnv {
  return { ...cluster.env, SLOW_TRIAL_DELAY_MS: String(delay) };
}

const comparable = (d: ResultsDoc) => ({ best: d.best, trials: d.trials.map(({ id, status, config, iteration, last, best }) => ({ id, status, config, iteration, last, best })) });

type Event = { seq: number; type: string; id?: string; handle?: { launcher: string; job?: string | null; node?: string | null; pid?: number }; fromIteration?: number | null; error?: string; final?: boolean; note?: string; checkpoint?: { iteration: number } };

function events(dir: string): Event[] {
  const path = join(dir, 'events.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Event);
}

/** The one session under cwd once it exists, or null. */
function sessionIn(cwd: string): string | null {
  try {
    return onlySession(cwd, 'slurm');
  } catch {
    return null;
  }
}

/** Waits until the session's journal satisfies `cond` (or tune exits); bounded, so a broken run fails, not hangs. */
async function waitForEvents(cwd: string, cond: (evs: Event[]) => boolean, run: ReturnType<typeof startTune>): Promise<Event[]> {
  for (let i = 0; i < 1500; i++) {
    const dir = sessionIn(cwd);
    const evs = dir ? events(dir) : [];
    if (cond(evs)) return evs;
    if (run.child.exitCode !== null) {
      const r = await run.result;
      throw new Error(`tune exited (${r.code}) before the journal showed what the test waits for:\n${r.stdout}\n${r.stderr}`);
    }
    await sleep(20);
  }
  throw new Error('the journal never showed what the test waits for');
}

/** The cluster's queue, once the jobs of a finished run have left it (completing jobs take a moment). */
async function queueAfterwards(): Promise<{ job: string; name: string; state: string }[]> {
  let jobs = cluster.jobs();
  for (let i = 0; i < 100 && jobs.some((j) => j.state === 'COMPLETING'); i++) {
    await sleep(50);
    jobs = cluster.jobs();
  }
  return jobs;
}

let reference: Promise<ResultsDoc> | null = null;
/** The same search run locally, uninterrupted, with concurrency 1. */
function localReference(): Promise<ResultsDoc> {
  reference ??= (async () => {
    const cwd = tmpDir();
    writeSpec(cwd, spec(), 'spec.json');
    const r = await runTune(['spec.json'], cwd, { SLOW_TRIAL_DELAY_MS: '0' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return resultsJson(onlySession(cwd, 'slurm'), cwd);
  })();
  return reference;
}

test('a search of command trials runs to completion as Slurm jobs, each journalled with its job and node, its output clean', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ concurrency: 2 }), 'spec.json');
  const r = await runTune(['spec.json', '--launcher', 'slurm'], cwd, clusterEnv());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /trials run as Slurm jobs named tune\.[0-9a-f]{6}\.<trial>/);
  const dir = onlySession(cwd, 'slurm');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));

  const evs = events(dir);
  const started = evs.filter((e) => e.type === 'trial_started');
  const placed = evs.filter((e) => e.type === 'trial_placed');
  assert.equal(started.length, 3);
  assert.ok(started.every((e) => e.handle?.launcher === 'slurm'), 'every trial started as a Slurm job');
  assert.equal(placed.length, 3, 'each job said where it runs');
  for (const p of placed) {
    assert.match(String(p.handle?.job), /^\d+$/);
    assert.equal(p.handle?.node, cluster.node);
  }
  assert.equal(new Set(placed.map((p) => p.handle?.job)).size, 3, 'one job per trial');
  for (const id of ['0000', '0001', '0002']) {
    const out = readFileSync(join(dir, 'trials', id, 'stdout.log'), 'utf8');
    assert.ok(!out.includes(PROTOCOL_LINE_PREFIX.trim()), `trial ${id}'s stdout.log holds no protocol line`);
    // Each line was printed in pieces around the protocol lines: it arrives whole.
    assert.match(out, /^iteration 10 saved trained\niteration 20 saved trained\n/);
  }
  assert.deepStrictEqual(await queueAfterwards(), [], 'no job is left');
});

test('SIGINT pauses every trial through the shared pause file, and the resume line finishes it like a local uninterrupted run', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ launcher: 'slurm' }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(150));
  await waitForEvents(cwd, (evs) => evs.filter((e) => e.type === 'report').length >= 2, run);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'slurm');
  const paused = events(dir).filter((e) => e.type === 'trial_paused');
  assert.ok(paused.length >= 1, 'a trial paused');
  for (const e of paused) assert.ok(existsSync(join(dir, 'trials', e.id as string, 'pause-file')), `trial ${e.id} found the pause file on the shared session directory`);
  assert.deepStrictEqual(await queueAfterwards(), [], 'a paused session leaves no job');

  const resumed = await runTune(resumeLine(r.stdout).split(' ').slice(1), cwd, clusterEnv());
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const after = events(dir).slice(events(dir).findIndex((e) => e.type === 'session_resumed'));
  assert.ok(after.filter((e) => e.type === 'trial_started').every((e) => e.handle?.launcher === 'slurm'), 'resumed on Slurm, as it ran');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));
});

test('scancel of a trial\'s job is a failure, retried from its last checkpoint', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ launcher: 'slurm' }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(150));
  const evs = await waitForEvents(cwd, (e) => e.some((x) => x.type === 'trial_placed') && e.some((x) => x.type === 'checkpoint' && (x.checkpoint?.iteration ?? 0) >= 20), run);
  const job = evs.find((e) => e.type === 'trial_placed')?.handle?.job as string;
  assert.equal(spawnSync('scancel', [job], { env: { ...process.env, ...cluster.env } }).status, 0);
  const r = await run.result;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'slurm');
  const all = events(dir);
  const failed = all.filter((e) => e.type === 'trial_failed');
  assert.equal(failed.length, 1, r.stdout);
  assert.equal(failed[0].id, '0000');
  assert.equal(failed[0].final, false);
  // SIGTERM: the trial's own handler exits 143, or srun says the task was terminated, or the step cancelled.
  assert.match(failed[0].error as string, /code 143|Terminated|CANCELLED/, 'the failure says the job was ended by SIGTERM');
  const restart = all.filter((e) => e.type === 'trial_started' && e.id === '0000')[1];
  assert.ok((restart?.fromIteration ?? 0) >= 20, `restarted from its checkpoint, not from the start (${JSON.stringify(restart)})`);
  assert.ok(existsSync(join(dir, 'trials', '0000', 'sigterm')), 'Slurm sent SIGTERM first');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));
});

test('quit cancels every job through scancel (SIGTERM first) and leaves nothing in squeue; the session then resumes with --launcher local and ends equal', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ concurrency: 2, launcher: { type: 'slurm', partition: 'debug', time: '10', cpus_per_task: 1, mem: '100M' } }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(3000));
  // Both have reported once, so both are past their start (their SIGTERM handler is installed) and asleep
  // for seconds: no boundary comes between the interrupts, and only quit can end them.
  await waitForEvents(cwd, (evs) => ['0000', '0001'].every((id) => evs.some((e) => e.type === 'report' && e.id === id)), run);
  // The second interrupt is quit, as q is: trials are ended now, not at their next boundary.
  run.child.kill('SIGINT');
  await sleep(20);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^Quit: /m);
  assert.deepStrictEqual(await queueAfterwards(), [], 'no job is left in squeue');
  const dir = onlySession(cwd, 'slurm');
  for (const id of ['0000', '0001']) assert.ok(existsSync(join(dir, 'trials', id, 'sigterm')), `trial ${id} got SIGTERM, so its handler ran (srun was not killed)`);
  assert.equal(events(dir).filter((e) => e.type === 'trial_interrupted').length, 2);

  const local = await runTune(['--resume-session', dir, '--launcher', 'local'], cwd, { SLOW_TRIAL_DELAY_MS: '0' });
  assert.equal(local.code, 0, local.stdout + local.stderr);
  const after = events(dir).slice(events(dir).findIndex((e) => e.type === 'session_resumed'));
  assert.ok(after.filter((e) => e.type === 'trial_started').every((e) => e.handle?.launcher === 'local'), 'resumed as local processes');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));
});

test('quit also cancels a job still waiting in the queue, found by its name before it has an id', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  // Each job wants all 8 CPUs of the node: the second waits until the first ends.
  writeSpec(cwd, spec({ concurrency: 2, launcher: { type: 'slurm', cpus_per_task: 8 } }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(3000));
  await waitForEvents(cwd, (evs) => evs.some((e) => e.type === 'report') && evs.filter((e) => e.type === 'trial_started').length === 2, run);
  const dir = onlySession(cwd, 'slurm');
  const queued = (await (async () => {
    for (let i = 0; i < 250; i++) {
      const pending = cluster.jobs().filter((j) => j.state === 'PENDING');
      if (pending.length) return pending;
      await sleep(20);
    }
    return [];
  })());
  assert.equal(queued.length, 1, 'one job waits in the queue');
  // Which of the two gets the node first is Slurm's choice (their sruns race to submit under load).
  const waiting = /^tune\.[0-9a-f]{6}\.(000[01])$/.exec(queued[0].name)?.[1];
  assert.ok(waiting, `the queued job is named after the session and its trial: ${queued[0].name}`);
  run.child.kill('SIGINT');
  await sleep(20);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.deepStrictEqual(await queueAfterwards(), [], 'the queued job is gone too');
  const evs = events(dir);
  assert.ok(!evs.some((e) => e.type === 'trial_placed' && e.id === waiting), `trial ${waiting} never started on a node`);
  assert.equal(evs.filter((e) => e.type === 'trial_interrupted').length, 2, 'neither is blamed');
});

test('a pause takes a job still waiting in the queue out of it at once; the trial is not blamed and resumes later', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ num_trials: 2, concurrency: 2, launcher: { type: 'slurm', cpus_per_task: 8 } }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(1000));
  // Right after a checkpoint of the running trial, so its next boundary (where it pauses, freeing the node) is a
  // second away: the queued job is withdrawn well before the node could take it.
  const first = await waitForEvents(cwd, (evs) => evs.some((e) => e.type === 'checkpoint') && evs.filter((e) => e.type === 'trial_started').length === 2, run);
  const seen = first.filter((e) => e.type === 'checkpoint').length;
  await waitForEvents(cwd, (evs) => evs.filter((e) => e.type === 'checkpoint').length > seen, run);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.deepStrictEqual(await queueAfterwards(), []);
  const dir = onlySession(cwd, 'slurm');
  const evs = events(dir);
  // Slurm picks which of the two runs first; the other must have left the queue at the pause, never run.
  const placed = new Set(evs.filter((e) => e.type === 'trial_placed').map((e) => e.id));
  assert.equal(placed.size, 1, `one trial ran: ${[...placed].join(', ')}`);
  const waiting = placed.has('0000') ? '0001' : '0000';
  assert.ok(evs.some((e) => e.type === 'trial_interrupted' && e.id === waiting), `trial ${waiting} was interrupted, not blamed`);
  assert.deepStrictEqual(evs.filter((e) => e.type === 'trial_failed'), []);
  const resumed = await runTune(resumeLine(r.stdout).split(' ').slice(1), cwd, clusterEnv());
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)).trials, comparable(await localReference()).trials.slice(0, 2));
});

test('trial.timeout counts from when a job runs: waiting in the queue longer than it is no hang', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  // One trial waits for all 8 CPUs while the other runs for longer than the timeout (reporting often).
  writeSpec(cwd, spec({ num_trials: 2, concurrency: 2, trial: { command: [process.execPath, TRIAL], timeout: 2 }, launcher: { type: 'slurm', cpus_per_task: 8 } }), 'spec.json');
  const r = await runTune(['spec.json'], cwd, clusterEnv(500));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const evs = events(onlySession(cwd, 'slurm'));
  const at = (type: string, id: string) => evs.findIndex((e) => e.type === type && e.id === id);
  // Slurm picks which of the two runs first; the other runs only once it has ended.
  const [first, second] = at('trial_placed', '0000') < at('trial_placed', '0001') ? ['0000', '0001'] : ['0001', '0000'];
  assert.ok(at('trial_placed', second) > at('trial_completed', first), `trial ${second} ran only after trial ${first} ended`);
  assert.deepStrictEqual(evs.filter((e) => e.type === 'trial_failed'), [], 'no trial was taken as hung');
});

test('after a crash of tune, resume cancels the job it left running before the trial starts again', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ launcher: 'slurm' }), 'spec.json');
  // Long enough between boundaries that the orphaned trial is still running when resume looks.
  const run = start(['spec.json'], cwd, clusterEnv(4000));
  // Its first checkpoint is journalled: it has its decision, and sleeps (a trial waiting for one would see
  // the end of its stdin and exit by itself).
  const evs = await waitForEvents(cwd, (e) => e.some((x) => x.type === 'checkpoint'), run);
  const job = evs.find((e) => e.type === 'trial_placed')?.handle?.job as string;
  const dir = onlySession(cwd, 'slurm');
  run.child.kill('SIGKILL');
  await run.result;
  assert.ok(cluster.jobs().some((j) => j.job === job), 'the job outlived tune');
  const resumed = await runTune(['--resume-session', dir], cwd, clusterEnv());
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`note: cancelled trial 0000's leftover Slurm job ${job} \\(running\\)`));
  assert.ok(existsSync(join(dir, 'trials', '0000', 'sigterm')), 'the leftover got SIGTERM');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));
});

test('a job a paused session left behind (as a quit does while the controller is down) is cancelled on resume, before its trial starts again', { skip, timeout: 60_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ launcher: 'slurm' }), 'spec.json');
  const run = start(['spec.json'], cwd, clusterEnv(300));
  await waitForEvents(cwd, (e) => e.some((x) => x.type === 'checkpoint'), run);
  run.child.kill('SIGINT');
  const paused = await run.result;
  assert.equal(paused.code, 3, paused.stdout + paused.stderr);
  const dir = onlySession(cwd, 'slurm');
  // The job of trial 0000 that Slurm could not be told to cancel, still running under the trial's job name.
  const name = slurmJobName(basename(dir), '0000');
  const sbatch = spawnSync('sbatch', ['--parsable', `--job-name=${name}`, '--output=/dev/null', '--wrap', 'sleep 600'], { env: { ...process.env, ...cluster.env }, encoding: 'utf8' });
  assert.equal(sbatch.status, 0, sbatch.stderr);
  const job = sbatch.stdout.trim().split(';')[0];
  for (let i = 0; i < 100 && !cluster.jobs().some((j) => j.job === job && j.state === 'RUNNING'); i++) await sleep(50);
  const resumed = await runTune(['--resume-session', dir], cwd, clusterEnv());
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`note: cancelled trial 0000's leftover Slurm job ${job} \\(running\\)`));
  assert.ok(!cluster.jobs().some((j) => j.job === job), 'the leftover job is gone');
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await localReference()));
});

test('the built-in trainer runs on Slurm and ends like a local run; tune train --launcher slurm trains as a job', { skip, timeout: 60_000 }, async () => {
  const trainer = {
    name: 'slurm',
    trial: { builtin: 'mnist-mlp', params: { hidden: 16, batch_size: 32 } },
    search_space: { lr: { type: 'loguniform', low: 1e-3, high: 1e-2 } },
    num_trials: 1,
    max_iters: 20,
    eval_interval: 10,
    seed: 2,
    sessions_root: 'sessions',
  };
  const localCwd = tmpDir();
  writeSpec(localCwd, trainer, 'spec.json');
  const local = await runTune(['spec.json'], localCwd);
  assert.equal(local.code, 0, local.stdout + local.stderr);
  const cwd = tmpDir();
  writeSpec(cwd, trainer, 'spec.json');
  const r = await runTune(['spec.json', '--launcher', 'slurm'], cwd, cluster.env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'slurm');
  assert.ok(events(dir).some((e) => e.type === 'trial_placed' && e.handle?.node === cluster.node));
  assert.match(readFileSync(join(dir, 'trials', '0000', 'stdout.log'), 'utf8'), /^iteration 10: val_loss=/);
  assert.deepStrictEqual(comparable(await resultsJson(dir, cwd)), comparable(await resultsJson(onlySession(localCwd, 'slurm'), localCwd)));
  assert.deepStrictEqual(readdirSync(join(dir, 'trials')), ['0000']);

  // One training run (tune train) as a Slurm job too, with the configuration the search drew.
  const lr = (await resultsJson(dir, cwd)).trials[0].config.lr as number;
  const trainCwd = tmpDir();
  writeSpec(trainCwd, { name: 'slurm', trial: trainer.trial, max_iters: 20, eval_interval: 10, seed: 2, sessions_root: 'sessions' }, 'spec.json');
  const trained = await runTune(['train', 'spec.json', '--set', `lr=${lr}`, '--launcher', 'slurm'], trainCwd, cluster.env);
  assert.equal(trained.code, 0, trained.stdout + trained.stderr);
  const trainDir = onlySession(trainCwd, 'slurm');
  assert.ok(events(trainDir).some((e) => e.type === 'trial_placed' && e.handle?.launcher === 'slurm' && e.handle.node === cluster.node), 'tune train ran as a job');
  assert.match(readFileSync(join(trainDir, 'trials', '0000', 'stdout.log'), 'utf8'), /^iteration 10: val_loss=/);
});

test('quit with the controller down still ends: tune stops waiting for scancel, ends srun itself and says so; the jobs end once the controller is back', { skip, timeout: 90_000 }, async () => {
  const cwd = tmpDir();
  writeSpec(cwd, spec({ concurrency: 2, launcher: { type: 'slurm', partition: 'debug', time: '10', cpus_per_task: 1, mem: '100M' } }), 'spec.json');
  // Each trial sleeps 10 minutes after its first boundary: longer than this test may take, so only quit ends
  // them, and a quit that waited for a boundary (as it did when scancel could not reach the controller) fails it.
  const run = start(['spec.json'], cwd, clusterEnv(600_000));
  await waitForEvents(cwd, (evs) => ['0000', '0001'].every((id) => evs.some((e) => e.type === 'report' && e.id === id)), run);
  await cluster.stopController();
  let r: TuneResult;
  try {
    run.child.kill('SIGINT');
    await sleep(20);
    run.child.kill('SIGINT');
    r = await run.result;
  } finally {
    await cluster.startController();
  }
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^Quit: /m);
  const dir = onlySession(cwd, 'slurm');
  const said = events(dir).filter((e) => e.type === 'trial_interrupted').map((e) => (e as { reason?: string }).reason ?? '');
  assert.equal(said.length, 2);
  for (const reason of said) assert.match(reason, /^Slurm did not cancel job \d+ \(.*Unable to contact slurm controller.*\), so tune ended srun itself; should the job still show in squeue once the controller is back, resuming the session cancels it, or scancel \d+ does$/);
  assert.match(r.stdout, /\[000[01]\] stopped +Slurm did not cancel job \d+/);
  // srun is gone, so the node's daemon ends the job's tasks; the controller, back, sees the jobs end.
  let left = cluster.jobs();
  for (let i = 0; i < 300 && left.length > 0; i++, await sleep(100)) left = cluster.jobs();
  assert.deepStrictEqual(left, [], 'the jobs ended');
});
