import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, resultsJson, resumeLine, runTune, sleep, startTune, tmpDir, writeSpec, type ResultsDoc } from '../helpers/tune.js';
import { loadSessionState, SessionStore } from '../../src/session/store.js';
import { SESSION_SCHEMA, type SessionState } from '../../src/session/state.js';
import { loadDefaultSpec } from '../../src/spec/load-spec.js';
import { createScheduler, createSearcher } from '../../src/search/index.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { LocalLauncher } from '../../src/orchestrator/launcher.js';

// Faults of the disk are the environment's, not a trial's (DESIGN §5.8): tune pauses the session, says what
// failed in one line, exits 1, and marks nothing failed; once the disk is fixed the session resumes and ends
// as if nothing happened. Real small filesystems (tmpfs) make the disk full or read-only.

const mounts: string[] = [];
// Unmounted before the helpers remove the test's folders at exit (a mount point cannot be removed).
after(() => {
  for (const m of mounts) execFileSync('umount', [m], { stdio: 'ignore' });
});

/** A tmpfs of `size` (e.g. '2m') at a new folder, or the reason one cannot be mounted here. */
function mountTmpfs(options: string): string | { skip: string } {
  const dir = tmpDir('tune-mnt-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim() || 'needs root'})` };
  }
  mounts.push(dir);
  return dir;
}

function remount(dir: string, options: string): void {
  execFileSync('mount', ['-o', `remount,${options}`, dir], { stdio: 'pipe' });
}

const curveSpec = (pad: number) => ({
  name: 'disk',
  trial: { command: ['node', join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')], params: { pad } },
  search_space: { x: { type: 'uniform', low: 0, high: 1 }, y: { type: 'loguniform', low: 1e-3, high: 1 } },
  searcher: 'random',
  num_trials: 4,
  max_iters: 600,
  eval_interval: 100,
  concurrency: 1,
  seed: 3,
});

const outcome = (r: ResultsDoc) => r.trials.map((t) => `${t.id} ${t.status} ${t.iteration} ${JSON.stringify(t.config)} ${JSON.stringify(t.last)}`);

test('a full disk pauses the session (exit 1, one line), fails no trial, and the session resumes to the uninterrupted result', async (t) => {
  const disk = mountTmpfs('size=2m');
  if (typeof disk !== 'string') return t.skip(disk.skip);
  const cwd = tmpDir();
  // Each trial writes six 150 KB checkpoints: four trials need about 3.6 MB of a 2 MB disk.
  const file = writeSpec(cwd, curveSpec(150_000));
  const full = await runTune([file, '--sessions-root', disk], cwd);
  assert.equal(full.code, 1, full.stderr);
  const complaint = full.stderr.trim().split('\n').filter((l) => l.startsWith('tune:'));
  assert.equal(complaint.length, 1, full.stderr);
  assert.match(complaint[0], /no space left on device|ENOSPC/i);
  assert.doesNotMatch(full.stderr, /\n\s+at /, 'no stack trace');
  assert.match(resumeLine(full.stdout), /--resume-session /);
  const dir = join(disk, 'disk', readdirSync(join(disk, 'disk'))[0]);
  const halted = await resultsJson(dir, cwd);
  assert.ok(halted.trials.every((x) => x.status !== 'failed' && x.failures === 0), JSON.stringify(halted.trials));
  assert.ok(halted.trials.some((x) => x.status !== 'completed'), 'the disk filled before the end');

  // Freed: the resume line finishes it, with the results of a run that never met a full disk.
  remount(disk, 'size=64m');
  const resumed = await runTune(['--resume-session', dir], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = await resultsJson(dir, cwd);
  const cleanCwd = tmpDir();
  const clean = await runTune([writeSpec(cleanCwd, curveSpec(150_000)), '--sessions-root', join(cleanCwd, 'sessions')], cleanCwd);
  assert.equal(clean.code, 0, clean.stderr);
  const ref = await resultsJson(join(cleanCwd, 'sessions', 'disk', readdirSync(join(cleanCwd, 'sessions', 'disk'))[0]), cleanCwd);
  assert.deepEqual(outcome(after), outcome(ref));
  assert.deepEqual(after.best, ref.best);
});

test('a read-only sessions root is one line and exit 1, with no stack trace', async (t) => {
  const disk = mountTmpfs('ro,size=1m');
  if (typeof disk !== 'string') return t.skip(disk.skip);
  const cwd = tmpDir();
  const r = await runTune([writeSpec(cwd, curveSpec(0)), '--sessions-root', disk], cwd);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tune: cannot write .*read-only file system \(EROFS\)/);
});

/** A new session of the default spec, its store writing to `disk`. */
function newStore(disk: string) {
  const dir = join(disk, 'session');
  execFileSync('mkdir', [dir]);
  const { spec } = loadDefaultSpec(tmpDir());
  const state: SessionState = {
    schema: SESSION_SCHEMA, id: 'session', experiment: 'x', createdAt: new Date(0).toISOString(), status: 'running', spec,
    specRaw: {}, specFile: null, specHash: '', baseDir: '/', searcher: { type: spec.searcher.type, state: createSearcher(spec).getState(), finished: false },
    scheduler: { type: spec.scheduler.type, state: createScheduler(spec).getState() }, scheduleWriteBack: null, schedules: {}, trials: [], seq: 0,
  };
  return { dir, spec, store: SessionStore.create(dir, state) };
}

test('the journal keeps whole lines when the disk refuses a write, and catches up when it takes them again', async (t) => {
  const disk = mountTmpfs('size=64k');
  if (typeof disk !== 'string') return t.skip(disk.skip);
  const { dir, spec, store } = newStore(disk);
  const faults: string[] = [];
  store.onFault((f) => faults.push(f.reason));
  // Notes large enough that a few hundred fill 64 KB; the store must never throw.
  const note = 'n'.repeat(700);
  let n = 0;
  while (faults.length === 0 && n < 1000) {
    store.append({ type: 'session_resumed', pid: n, note });
    n++;
  }
  assert.equal(faults.length, 1);
  assert.match(faults[0], /ENOSPC/);
  for (let i = 0; i < 5; i++) store.append({ type: 'session_resumed', pid: n + i, note });
  assert.equal(faults.length, 1, 'a fault is reported once');
  const journal = readFileSync(join(dir, 'events.jsonl'), 'utf8');
  assert.ok(journal.endsWith('\n'), 'no torn line left behind');
  for (const line of journal.trimEnd().split('\n')) JSON.parse(line);
  // More room: closing writes what waited, and the session on disk is the one in memory.
  remount(disk, 'size=4m');
  store.close();
  const loaded = loadSessionState(dir);
  assert.equal(loaded.seq, store.state.seq);
  assert.equal(loaded.seq, n + 5);
});

test('a disk that refused a write before the run began halts it at once: the run ends, paused, and says why', async (t) => {
  const disk = mountTmpfs('size=64k');
  if (typeof disk !== 'string') return t.skip(disk.skip);
  const { dir, spec, store } = newStore(disk);
  // As when a resume journals its start on a disk that has just filled up.
  const note = 'n'.repeat(700);
  for (let n = 0; store.fault === null && n < 1000; n++) store.append({ type: 'session_resumed', pid: n, note });
  assert.match(store.fault?.reason ?? '', /ENOSPC/);
  const orchestrator = new Orchestrator({ store, searcher: createSearcher(spec), scheduler: createScheduler(spec), launcher: new LocalLauncher(), trialArgv: ['node', '-e', ''], trialCwd: tmpDir(), specLabel: 'test' });
  // It used to end before run() made the promise it returns, which then never settled (exit 13, silently).
  assert.equal(await orchestrator.run(), 'paused');
  assert.match(orchestrator.haltReason ?? '', /ENOSPC/);
  assert.equal(store.state.trials.length, 0, 'no trial was started on the full disk');
  remount(disk, 'size=4m');
  store.close();
});

const journalTypes = (dir: string) => readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string });

test('a trial program that cannot run is said once, not failed trial after trial; fixed, the session resumes', async () => {
  const cwd = tmpDir();
  const spec = { ...curveSpec(0), trial: { command: ['node', 'trian.mjs'] }, concurrency: 2 };
  const r = await runTune([writeSpec(cwd, spec), '--sessions-root', 'sessions'], cwd);
  assert.equal(r.code, 1, r.stderr);
  const complaint = r.stderr.trim().split('\n');
  assert.equal(complaint.length, 1, r.stderr);
  assert.match(complaint[0], /^tune: trial 000\d failed 3 times before any trial of the session reported \(exited with code 1: Error: Cannot find module .*trian\.mjs.*\); the others would likely fail the same way/);
  const dir = join(cwd, 'sessions', 'disk', readdirSync(join(cwd, 'sessions', 'disk'))[0]);
  const events = journalTypes(dir);
  assert.ok(events.every((e) => e.type !== 'trial_failed' || (e as { final?: boolean }).final === false), 'no trial is failed for good');
  assert.ok(events.filter((e) => e.type === 'trial_started').length <= 6, 'the two running trials had three tries each, no other trial started');
  // The user fixes the file the spec names; the resume line finishes the search.
  writeFileSync(join(cwd, 'trian.mjs'), `import '${join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')}';\n`);
  const resumed = await runTune(['--resume-session', dir], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok((await resultsJson(dir, cwd)).trials.every((x) => x.status === 'completed'));
});

test('a metric the trials never report stops the session at the first report, in one line', async () => {
  const cwd = tmpDir();
  const r = await runTune([writeSpec(cwd, { ...curveSpec(0), metric: 'val_accuracy', mode: 'max' }), '--sessions-root', 'sessions'], cwd);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tune: trial 0000 reported val_loss at iteration 100, but not val_accuracy, the spec's metric; fix metric in .*spec\.yaml/);
});

test("tune's own failure to handle a trial's files halts the session without blaming the trial", async () => {
  const cwd = tmpDir();
  const file = writeSpec(cwd, { ...curveSpec(0), num_trials: 2, max_iters: 20000 });
  const first = startTuneUntilReport(file, cwd);
  const { dir } = await first;
  // metrics.jsonl replaced by a folder: tune cannot append the trial's metrics, which is tune's trouble.
  const metrics = join(dir, 'trials', '0000', 'metrics.jsonl');
  rmSync(metrics);
  mkdirSync(metrics);
  const r = await runTune(['--resume-session', dir], cwd);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^tune: cannot use .*trials\/0000.*: EISDIR/m);
  const doc = await resultsJson(dir, cwd);
  assert.ok(doc.trials.every((x) => x.failures === 0 && x.status !== 'failed'), JSON.stringify(doc.trials));
  rmdirSync(metrics);
  const again = await runTune(['--resume-session', dir], cwd);
  assert.equal(again.code, 0, again.stderr);
});

/** Runs tune until its first trial has reported, then pauses it with SIGINT; the session's folder. */
async function startTuneUntilReport(file: string, cwd: string): Promise<{ dir: string }> {
  const run = startTune([file, '--sessions-root', 'sessions'], cwd);
  const root = join(cwd, 'sessions', 'disk');
  for (;;) {
    await sleep(20);
    try {
      const dir = join(root, readdirSync(root)[0]);
      if (readFileSync(join(dir, 'events.jsonl'), 'utf8').includes('"type":"report"')) {
        run.child.kill('SIGINT');
        const r = await run.result;
        assert.equal(r.code, 3, r.stderr);
        return { dir };
      }
    } catch { /* not there yet */ }
  }
}

test('resume sweeps the temporary files a crash left behind, and nothing else', async () => {
  const cwd = tmpDir();
  const { dir } = await startTuneUntilReport(writeSpec(cwd, { ...curveSpec(0), num_trials: 1, max_iters: 20000 }), cwd);
  const leftovers = [join(dir, '.session.json.4242.0badcafe.tmp'), join(dir, 'trials', '0000', 'checkpoints', '.state-100.json.977.deadbeef.tmp'), join(dir, '.probe.4242')];
  const kept = [join(dir, 'trials', '0000', 'notes.tmp'), join(dir, 'trials', '0000', '.hidden')];
  for (const f of [...leftovers, ...kept]) writeFileSync(f, 'x');
  const r = await runTune(['--resume-session', dir], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /note: removed 3 temporary files a crash left behind/);
  for (const f of leftovers) assert.ok(!existsSync(f), f);
  for (const f of kept) assert.ok(existsSync(f), f);
});
