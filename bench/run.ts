/**
 * `npm run bench` (add `-- --quick` for a short smoke run, `-- --only tune,…` for some parts): measures, on this machine, what pausing and
 * resuming costs, how long tune takes to get a trial to its first message, how much memory tune itself
 * holds with 16 trials, and how much CPU tune itself uses for 32 fast-reporting trials with the live UI (in
 * a tmux pseudo-terminal) and without it (stdout piped). Writes bench/results/latest.json and prints a
 * table. It measures; it asserts nothing.
 *
 * Clocks: tune stamps every journal event with Date.now() (`t`, ms), so every time that is compared with a
 * journal event is taken with Date.now() here too (same wall clock, 1 ms resolution). Intervals measured
 * inside this process alone (the `node -e` baselines) use performance.now().
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, fstatSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, platform, arch, release, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measureSessionStore } from './session-store.js';
import { formatTrainerSpeed, measureTrainerSpeed } from './trainer-speed.js';
import { formatSearchQuality, measureSearchQuality } from './search-quality.js';
import { formatMainJob, measureMainJob } from './main-job.js';
import { benchDataLoad } from './data-load.js';
import { benchExportPeer } from './export-peer.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** The real bin, started directly (never through npx or npm, whose warnings would mix into stdout). */
const TUNE_BIN = join(ROOT, 'bin', 'tune');
const RUNTIME_JS = join(ROOT, 'dist', 'src', 'trial', 'runtime.js');
const RESULTS_DIR = join(ROOT, 'bench', 'results');

const QUICK = process.argv.includes('--quick');
/**
 * `--only trainer,search,main,data,export`: those parts besides the CLI's own costs (pause, resume, trial
 * start, memory, CPU, the session store), which always run; without it, every part. `--only tune` runs the
 * CLI's costs alone, in a few minutes.
 */
const ONLY = ((i) => (i < 0 ? null : (process.argv[i + 1] ?? '').split(',')))(process.argv.indexOf('--only'));
const want = (part: string) => ONLY === null || ONLY.includes(part);
/** Pauses measured; each pause but the last is followed by a measured resume (so one resume fewer). */
const PAUSE_CYCLES = QUICK ? 3 : 12;
const START_TRIALS = QUICK ? 4 : 20; // trials per per-trial-start session
const BASELINE_BATCH = QUICK ? 2 : 10; // `node -e` spawns of each baseline per batch; 4 batches
const MEMORY_RUNS = QUICK ? 1 : 5;
/** Runs of the 32-trial CPU search with the live UI and as many with the plain reporter, interleaved. */
const CPU_REPEATS = QUICK ? 1 : 5;
/**
 * The built-in pure-TypeScript MLP on generated spirals, under the name the built tune accepts: `mlp` until
 * the ONNX trainer's built-ins came, `spirals-mlp` since (the same worker, renamed).
 */
const MLP_BUILTIN: string = await import(pathToFileURL(join(ROOT, 'dist', 'src', 'spec', 'validate.js')).href)
  .then((m: { BUILTINS?: readonly string[] }) => (m.BUILTINS?.includes('spirals-mlp') ? 'spirals-mlp' : 'mlp'))
  .catch(() => 'mlp');
/** A guard against a hung run, not a timing assertion: the bench gives up and says so. */
const HANG_GUARD_MS = 120_000;

// ---------------------------------------------------------------------------------------------- helpers

interface JournalEvent {
  seq: number;
  t: number;
  type: string;
  id?: string;
  iteration?: number;
  [k: string]: unknown;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Reads events.jsonl as it grows, from where it left off, keeping a torn last line for the next poll. */
class JournalTail {
  private offset = 0;
  private rest = '';
  readonly events: JournalEvent[] = [];
  constructor(readonly file: string) {}
  poll(): JournalEvent[] {
    if (!existsSync(this.file)) return [];
    const fd = openSync(this.file, 'r');
    const fresh: JournalEvent[] = [];
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return fresh;
      const buf = Buffer.alloc(size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
      this.offset += got;
      const text = this.rest + buf.subarray(0, got).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const ev = JSON.parse(line) as JournalEvent;
        fresh.push(ev);
        this.events.push(ev);
      }
    } finally {
      closeSync(fd);
    }
    return fresh;
  }
}

function readJournal(file: string): JournalEvent[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JournalEvent);
}

async function waitUntil(what: string, check: () => boolean, everyMs = 10): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > HANG_GUARD_MS) throw new Error(`bench gave up waiting for ${what} after ${HANG_GUARD_MS / 1000} s`);
    await sleep(everyMs);
  }
}

interface Tune {
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  stdout: () => string;
  stderr: () => string;
  /** Date.now() when a line containing `--resume-session` first arrived on stdout. */
  resumeLineAt: () => number | null;
  resumeLine: () => string | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const running = new Set<ChildProcess>();

/**
 * Ends every process this bench started and is still running: two SIGINTs make tune quit (it kills its own
 * trials' process groups); whatever is left after a second gets SIGKILL. Only our own children, by pid.
 */
async function stopAll(): Promise<void> {
  await stopTmuxServers();
  const left = [...running].filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
  if (left.length === 0) return;
  const closed = left.map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('close', () => r()))));
  for (const c of left) { try { c.kill('SIGINT'); } catch { /* gone */ } }
  await sleep(50);
  for (const c of left) { try { c.kill('SIGINT'); } catch { /* gone */ } }
  await Promise.race([Promise.all(closed), sleep(1000)]);
  for (const c of left) {
    if (c.exitCode === null && c.signalCode === null) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  }
}

/**
 * The tmux servers this bench started, each on its own socket (`tmux -L`), with the pid of the tune it runs
 * once known and the socket's path. Never the user's own tmux server.
 */
const tmuxServers = new Map<string, { tune: number | null; path: string | null }>();

/** Temporary folders still to remove if the bench is interrupted (a section's `finally` removes its own). */
const tempDirs = new Set<string>();
function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}
function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

const alive = (pid: number) => {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(st.slice(st.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
};

/** Two SIGINTs to the tune inside (it quits and ends its trials), then kill-server, which ends the rest. */
async function stopTmuxServers(): Promise<void> {
  for (const [socket, { tune: pid, path }] of [...tmuxServers]) {
    if (pid !== null && alive(pid)) {
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
      await sleep(50);
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
      const end = Date.now() + 1000;
      while (alive(pid) && Date.now() < end) await sleep(20);
    }
    spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    if (path) rmSync(path, { force: true }); // tmux leaves its socket file behind
    tmuxServers.delete(socket);
  }
}

function startTune(args: string[], cwd: string): Tune {
  const spawnedAt = Date.now();
  const child = spawn(TUNE_BIN, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  let resumeAt: number | null = null;
  let resumeText: string | null = null;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    const now = Date.now();
    out += c;
    if (resumeAt === null) {
      const m = /^.*--resume-session .*$/m.exec(out);
      if (m && out.indexOf('\n', m.index) >= 0) {
        resumeAt = now;
        resumeText = m[0];
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((res) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      res({ code, signal, at: Date.now() });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${TUNE_BIN}`);
  return { child, pid: child.pid, spawnedAt, stdout: () => out, stderr: () => err, resumeLineAt: () => resumeAt, resumeLine: () => resumeText, exited };
}

/** The one session folder under `<root>/<experiment>/` (DESIGN §3), once its journal exists. */
async function sessionDirOf(root: string, experiment: string): Promise<string> {
  let found: string | null = null;
  await waitUntil('the session directory', () => {
    const base = join(root, experiment);
    if (!existsSync(base)) return false;
    const dirs = readdirSync(base).filter((d) => d.startsWith('session_'));
    if (dirs.length !== 1) return false;
    const dir = join(base, dirs[0]);
    if (!existsSync(join(dir, 'events.jsonl'))) return false;
    found = dir;
    return true;
  });
  return found as unknown as string;
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** Linear interpolation between closest ranks (the usual "type 7" quantile). */
function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

interface Stat { n: number; median: number; p90: number; min: number; max: number }
function stat(xs: number[]): Stat {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { n: xs.length, median: r(median(xs)), p90: r(quantile(xs, 0.9)), min: r(Math.min(...xs)), max: r(Math.max(...xs)) };
}

/** A small seeded generator for the signal delays, so a run can be repeated as it was. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // cpu  user nice system idle iowait irq softirq steal …
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return { idle: v[3] + (v[4] ?? 0), total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}

/**
 * CPU ticks of the processes this bench started that another process reaps (a tune run inside tmux, with
 * its trials, and that tmux server): read from /proc just before they end and added here by hand.
 */
let adoptedTicks = 0;

/** CPU ticks (USER_HZ) used by this process and every child it has reaped (tune reaps its trials). */
function ourTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) + adoptedTicks; // utime stime cutime cstime
}

interface CpuShare { ourPct: number; otherPct: number }

/**
 * Measures a section's CPU use as a share of the whole machine (all CPUs × wall time): the part used by
 * this bench and the processes it started, and the rest — other work on a shared machine, which competes
 * with what is measured.
 */
async function accounted<T>(fn: () => Promise<T>): Promise<{ value: T; cpu: CpuShare | null }> {
  let a: { idle: number; total: number } | null = null;
  let oa = 0;
  try { a = cpuTimes(); oa = ourTicks(); } catch { a = null; }
  const value = await fn();
  if (!a) return { value, cpu: null };
  const b = cpuTimes();
  const ob = ourTicks();
  const total = Math.max(1, b.total - a.total);
  const busy = total - (b.idle - a.idle);
  const ours = ob - oa;
  return { value, cpu: { ourPct: Math.round((ours / total) * 100), otherPct: Math.max(0, Math.round(((busy - ours) / total) * 100)) } };
}

function readKib(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // gone (or a zombie whose memory is already released)
  }
}

/** Polls a process's VmHWM until it is gone and keeps the largest value read. */
function watchPeak(pid: number, everyMs: number): { stop: () => { peakKib: number | null; reads: number } } {
  let peak: number | null = null;
  let reads = 0;
  const read = () => {
    const v = readKib(pid, 'VmHWM');
    if (v !== null) {
      reads++;
      if (peak === null || v > peak) peak = v;
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakKib: peak, reads };
    },
  };
}

function spec(name: string, over: Record<string, unknown>): Record<string, unknown> {
  return { name, searcher: 'random', metric: 'val_loss', mode: 'min', seed: 1, sessions_root: 'sessions', ...over };
}

// ------------------------------------------------------------------------ 1 + 2: pause and resume, 4 trials

/** Trials that reach a validation boundary every ~100 ms each while 4 share 2 cores, and never finish. */
const PAUSE_SPEC = spec('bench-pause', {
  trial: { builtin: MLP_BUILTIN, params: { hidden: 32, layers: 1, batch_size: 32 } },
  search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.1 } },
  num_trials: 4,
  concurrency: 4,
  max_iters: 100_000_000,
  eval_interval: 200,
});

interface PauseSample {
  cycle: number;
  after: 'fresh start' | 'resume';
  delayBeforeSignalMs: number;
  totalMs: number;
  waitMs: number;
  overheadMs: number;
  signalToPauseRequestedMs: number;
  lastPausedToSessionPausedMs: number;
  sessionPausedToResumeLineMs: number;
  resumeLineToExitMs: number;
  exitCode: number | null;
  pausedTrials: number;
}

interface ResumeSample {
  cycle: number;
  toSessionResumedMs: number;
  toAllStartedMs: number;
  toAllFirstReportMs: number;
  /** Per trial: its trial_started → its first report (loads the checkpoint, trains one eval interval). */
  trialStartToFirstReportMs: number[];
  pausedTrialsBefore: number;
}

/** Waits until `n` trials have a trial_started after `afterSeq` and a report after their start. */
async function waitRunning(tail: JournalTail, n: number, afterSeq: number): Promise<{ started: Map<string, number>; firstReport: Map<string, number> }> {
  const started = new Map<string, number>();
  const firstReport = new Map<string, number>();
  const take = (ev: JournalEvent) => {
    if (ev.seq <= afterSeq || ev.id === undefined) return;
    if (ev.type === 'trial_started') started.set(ev.id, ev.t);
    else if (ev.type === 'report' && started.has(ev.id) && !firstReport.has(ev.id)) firstReport.set(ev.id, ev.t);
  };
  // What an earlier poll already read counts too: on a busy machine the poll that found session_resumed
  // can have read the trials' starts and first reports along with it.
  for (const ev of tail.events) take(ev);
  await waitUntil(`${n} trials running`, () => {
    for (const ev of tail.poll()) take(ev);
    return started.size >= n && firstReport.size >= n;
  });
  return { started, firstReport };
}

interface FreshStart { toAllStartedMs: number; toAllFirstReportMs: number; trialStartToFirstReportMs: number[] }

async function pauseAndResume(): Promise<{ pause: PauseSample[]; resume: ResumeSample[]; freshStart: FreshStart; boundaryIntervalMs: Stat; notes: string[] }> {
  const dir = makeTempDir('tune-bench-pause-');
  const notes: string[] = [];
  const pause: PauseSample[] = [];
  const resume: ResumeSample[] = [];
  const rand = mulberry32(20261125);
  try {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(PAUSE_SPEC, null, 2));
    let tune = startTune(['spec.json'], dir);
    const sessionDir = await sessionDirOf(join(dir, 'sessions'), PAUSE_SPEC.name as string);
    const tail = new JournalTail(join(sessionDir, 'events.jsonl'));
    const first = await waitRunning(tail, 4, 0);
    // The same figures for the fresh start (no checkpoint to load), one run only: context for the resume.
    const freshStart = {
      toAllStartedMs: Math.max(...first.started.values()) - tune.spawnedAt,
      toAllFirstReportMs: Math.max(...first.firstReport.values()) - tune.spawnedAt,
      trialStartToFirstReportMs: [...first.started.keys()].sort().map((id) => (first.firstReport.get(id) as number) - (first.started.get(id) as number)),
    };

    for (let cycle = 0; cycle < PAUSE_CYCLES; cycle++) {
      // Let the trials settle, and land the signal at a random point between boundaries.
      const delay = Math.round(300 + rand() * 500);
      await sleep(delay);
      tail.poll();
      const seqBefore = tail.events.length ? tail.events[tail.events.length - 1].seq : 0;
      const signalAt = Date.now();
      tune.child.kill('SIGINT');
      const exit = await tune.exited;
      const resumeAt = tune.resumeLineAt();
      if (exit.code !== 3 || resumeAt === null) {
        throw new Error(`pause cycle ${cycle}: tune exited with ${exit.code ?? exit.signal} and ${resumeAt === null ? 'no' : 'a'} resume line\nstdout:\n${tune.stdout()}\nstderr:\n${tune.stderr()}`);
      }
      tail.poll();
      const after = tail.events.filter((e) => e.seq > seqBefore);
      const paused = after.filter((e) => e.type === 'trial_paused');
      const requested = after.find((e) => e.type === 'pause_requested');
      const sessionPaused = after.find((e) => e.type === 'session_paused');
      if (paused.length !== 4 || !requested || !sessionPaused) {
        notes.push(`pause cycle ${cycle}: ${paused.length} trial_paused events (expected 4), pause_requested ${requested ? 'present' : 'missing'}, session_paused ${sessionPaused ? 'present' : 'missing'}`);
      }
      const lastPaused = Math.max(...paused.map((e) => e.t));
      pause.push({
        cycle,
        after: cycle === 0 ? 'fresh start' : 'resume',
        delayBeforeSignalMs: delay,
        totalMs: resumeAt - signalAt,
        waitMs: lastPaused - signalAt,
        overheadMs: resumeAt - lastPaused,
        signalToPauseRequestedMs: requested ? requested.t - signalAt : NaN,
        lastPausedToSessionPausedMs: sessionPaused ? sessionPaused.t - lastPaused : NaN,
        sessionPausedToResumeLineMs: sessionPaused ? resumeAt - sessionPaused.t : NaN,
        resumeLineToExitMs: exit.at - resumeAt,
        exitCode: exit.code,
        pausedTrials: paused.length,
      });

      // The resume command is the last line of a pause (DESIGN §7); its path is relative to tune's cwd.
      const m = /--resume-session (\S+)$/.exec(tune.resumeLine() ?? '');
      if (!m) throw new Error(`no session path in the resume line ${JSON.stringify(tune.resumeLine())}`);
      const fromLine = resolve(dir, m[1].replace(/^'|'$/g, ''));
      if (fromLine !== sessionDir) notes.push(`resume line names ${fromLine}, but the session is ${sessionDir}`);
      if (cycle === PAUSE_CYCLES - 1) break;

      // Resume: from the spawn to all 4 trials running again and reporting.
      tail.poll();
      const seqResume = tail.events[tail.events.length - 1].seq;
      tune = startTune(['--resume-session', fromLine], dir);
      let resumedSeq = -1;
      let resumedT = NaN;
      await waitUntil('session_resumed', () => {
        tail.poll();
        const ev = tail.events.find((e) => e.seq > seqResume && e.type === 'session_resumed');
        if (ev) { resumedSeq = ev.seq; resumedT = ev.t; }
        return ev !== undefined;
      });
      const { started, firstReport } = await waitRunning(tail, 4, resumedSeq);
      resume.push({
        cycle: cycle + 1,
        toSessionResumedMs: resumedT - tune.spawnedAt,
        toAllStartedMs: Math.max(...started.values()) - tune.spawnedAt,
        toAllFirstReportMs: Math.max(...firstReport.values()) - tune.spawnedAt,
        trialStartToFirstReportMs: [...started.keys()].sort().map((id) => (firstReport.get(id) as number) - (started.get(id) as number)),
        pausedTrialsBefore: pause[pause.length - 1].pausedTrials,
      });
    }

    // Context for the wait: how often each trial reaches a boundary in steady state (4 trials, 2 cores).
    const intervals: number[] = [];
    const all = readJournal(join(sessionDir, 'events.jsonl'));
    let lastReport = new Map<string, number>();
    let steady = false;
    for (const ev of all) {
      if (ev.type === 'session_resumed' || ev.type === 'session_started') { lastReport = new Map(); steady = false; }
      if (ev.type === 'pause_requested') steady = false;
      if (ev.type === 'report' && ev.id) {
        const prev = lastReport.get(ev.id);
        if (prev !== undefined && steady) intervals.push(ev.t - prev);
        lastReport.set(ev.id, ev.t);
        if (lastReport.size === 4) steady = true;
      }
    }
    return { pause, resume, freshStart, boundaryIntervalMs: stat(intervals), notes };
  } finally {
    await stopAll();
    removeTempDir(dir);
  }
}

// ----------------------------------------------------------------------------- 3: per-trial start overhead

/** A trivial command trial written against the TypeScript client: it reports at once, every boundary. */
const TRIVIAL_TRIAL = `import { TrialRuntime } from ${JSON.stringify(pathToFileURL(RUNTIME_JS).href)};
const rt = new TrialRuntime();
let it = 0;
while (it < rt.maxIters) {
  it = Math.min(it + rt.evalInterval, rt.maxIters);
  const d = await rt.report(it, { val_loss: 1 / it });
  if (d === 'stop' || it >= rt.maxIters) rt.done(it);
  if (d === 'pause' || rt.pauseRequested()) rt.paused(it);
}
rt.done(it);
`;

async function trialStartSession(kind: 'mlp' | 'js-client'): Promise<{ startToFirstMessageMs: number[]; notes: string[] }> {
  const dir = makeTempDir(`tune-bench-start-${kind}-`);
  const notes: string[] = [];
  try {
    const name = `bench-start-${kind}`;
    const trial = kind === 'mlp'
      ? { builtin: MLP_BUILTIN, params: { hidden: 4, layers: 1, batch_size: 1 } }
      : { command: [process.execPath, './trial.mjs'] };
    if (kind === 'js-client') writeFileSync(join(dir, 'trial.mjs'), TRIVIAL_TRIAL);
    // One trial at a time, so each start is measured alone on the machine.
    const s = spec(name, { trial, search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.1 } }, num_trials: START_TRIALS, concurrency: 1, max_iters: 2, eval_interval: 1 });
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(s, null, 2));
    const tune = startTune(['spec.json'], dir);
    const exit = await tune.exited;
    if (exit.code !== 0) throw new Error(`${kind} start session exited with ${exit.code ?? exit.signal}\n${tune.stderr()}`);
    const events = readJournal(join(await sessionDirOf(join(dir, 'sessions'), name), 'events.jsonl'));
    const started = new Map<string, number>();
    const out: number[] = [];
    for (const ev of events) {
      if (!ev.id) continue;
      if (ev.type === 'trial_started') started.set(ev.id, ev.t);
      else if (started.has(ev.id) && ['report', 'checkpoint', 'paused', 'done'].includes(ev.type)) {
        out.push(ev.t - (started.get(ev.id) as number));
        started.delete(ev.id);
      }
    }
    if (out.length !== START_TRIALS) notes.push(`${kind}: ${out.length} of ${START_TRIALS} trials sent a first message`);
    return { startToFirstMessageMs: out, notes };
  } finally {
    await stopAll();
    removeTempDir(dir);
  }
}

/** Plain Node start-up: spawn `node -e "0"` and time spawn → exit, here, one at a time. */
async function nodeBaselineExit(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  running.add(child);
  await new Promise<void>((r) => child.on('close', () => r()));
  running.delete(child);
  return performance.now() - t0;
}

/**
 * The same start-up seen the way tune sees a trial: from the moment spawn() returns (where tune writes
 * trial_started) to the first line on file descriptor 3 of a `node -e` that writes one line and exits.
 */
async function nodeBaselineFd3(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'require("fs").writeSync(3, "{}\\n")'], { stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  const t0 = performance.now();
  running.add(child);
  const fd3 = child.stdio[3] as NodeJS.ReadableStream;
  const first = new Promise<number>((r) => fd3.once('data', () => r(performance.now() - t0)));
  await new Promise<void>((r) => child.on('close', () => r()));
  running.delete(child);
  return first;
}

async function trialStart(): Promise<Record<string, unknown>> {
  const baseExit: number[] = [];
  const baseFd3: number[] = [];
  const baselineBatch = async () => {
    for (let i = 0; i < BASELINE_BATCH; i++) {
      baseExit.push(await nodeBaselineExit());
      baseFd3.push(await nodeBaselineFd3());
    }
  };
  // Baselines interleaved with the tune sessions, so both see the same machine state.
  await nodeBaselineExit(); // warm the file cache for node itself; not counted
  await baselineBatch();
  const mlp = await trialStartSession('mlp');
  await baselineBatch();
  const js = await trialStartSession('js-client');
  await baselineBatch();
  await baselineBatch();
  const bExit = stat(baseExit);
  const bFd3 = stat(baseFd3);
  const m = stat(mlp.startToFirstMessageMs);
  const j = stat(js.startToFirstMessageMs);
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    baselineNodeSpawnToExitMs: { ...bExit, samples: baseExit.map((x) => Math.round(x * 10) / 10) },
    baselineNodeSpawnedToFd3LineMs: { ...bFd3, samples: baseFd3.map((x) => Math.round(x * 10) / 10) },
    mlpWorker: { ...m, samples: mlp.startToFirstMessageMs, ratioToNodeSpawnToExit: ratio(m.median, bExit.median), ratioToNodeFd3Line: ratio(m.median, bFd3.median) },
    jsClientTrial: { ...j, samples: js.startToFirstMessageMs, ratioToNodeSpawnToExit: ratio(j.median, bExit.median), ratioToNodeFd3Line: ratio(j.median, bFd3.median) },
    notes: [...mlp.notes, ...js.notes],
  };
}

// ------------------------------------------------------------------------------- 4: peak memory, 16 trials

const MEMORY_SPEC = spec('bench-memory', {
  trial: { builtin: MLP_BUILTIN, params: { hidden: 16, layers: 1, batch_size: 32 } },
  search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.1 } },
  num_trials: 16,
  concurrency: 16,
  max_iters: 300,
  eval_interval: 30,
});

async function memory(): Promise<Record<string, unknown>> {
  const POLL_MS = 5;
  const tunePeaks: number[] = [];
  const baselinePeaks: number[] = [];
  const runs: Record<string, unknown>[] = [];
  for (let run = 0; run < MEMORY_RUNS; run++) {
    const dir = makeTempDir('tune-bench-mem-');
    try {
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(MEMORY_SPEC, null, 2));
      const tune = startTune(['spec.json'], dir);
      const w = watchPeak(tune.pid, POLL_MS);
      const exit = await tune.exited;
      const { peakKib, reads } = w.stop();
      if (exit.code !== 0) throw new Error(`memory run exited with ${exit.code ?? exit.signal}\n${tune.stderr()}`);
      const events = readJournal(join(await sessionDirOf(join(dir, 'sessions'), MEMORY_SPEC.name as string), 'events.jsonl'));
      // How many trials were alive at once (started and not yet ended), to show the 16 really overlapped.
      let live = 0;
      let maxLive = 0;
      for (const ev of events) {
        if (ev.type === 'trial_started') maxLive = Math.max(maxLive, ++live);
        if (['trial_completed', 'trial_stopped', 'trial_failed', 'trial_paused', 'trial_interrupted'].includes(ev.type)) live--;
      }
      if (peakKib !== null) tunePeaks.push(peakKib);
      runs.push({ run, peakKib, reads, durationMs: exit.at - tune.spawnedAt, maxTrialsAlive: maxLive, completed: events.filter((e) => e.type === 'trial_completed').length });
    } finally {
      await stopAll();
      removeTempDir(dir);
    }
    // Baseline: a bare node process that lives long enough to be read the same way.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 400)'], { stdio: 'ignore' });
    running.add(child);
    const w = watchPeak(child.pid as number, POLL_MS);
    await new Promise<void>((r) => child.on('close', () => r()));
    running.delete(child);
    const b = w.stop();
    if (b.peakKib !== null) baselinePeaks.push(b.peakKib);
  }
  const mib = (k: number) => Math.round((k / 1024) * 10) / 10;
  return {
    pollEveryMs: POLL_MS,
    tunePeakMiB: stat(tunePeaks.map(mib)),
    bareNodePeakMiB: stat(baselinePeaks.map(mib)),
    runs,
  };
}

// ------------------------------------------------ 5: tune's own CPU with and without the live UI, 32 trials

/**
 * 32 small trials at once, each reporting every few ms, so that what tune does is mostly handle reports.
 * checkpoint_every is out of reach: the messages are reports, not checkpoint notices. 32 trial processes
 * on a machine of a few cores (2 here) are oversubscribed on purpose: tune competes with its own trials
 * for CPU, so a costlier view also slows the search down (fewer reports per second).
 */
const CPU_TRIALS = 32;
const CPU_SPEC = spec('bench-cpu', {
  trial: { builtin: MLP_BUILTIN, params: { hidden: 8, layers: 1, batch_size: 8 }, checkpoint_every: 1_000_000 },
  search_space: { lr: { type: 'loguniform', low: 0.01, high: 0.1 } },
  num_trials: CPU_TRIALS,
  concurrency: CPU_TRIALS,
  max_iters: QUICK ? 1200 : 2600, // ~9 s piped, ~13 s with the UI, on 2 quiet cores
  eval_interval: 4,
});
const CPU_POLL_MS = 20;
const PANE = { cols: 120, rows: 40 };

interface ProcReading {
  /** Date.now() of the reading, to line it up with journal times. */
  at: number;
  /** /proc/uptime, s (10 ms resolution), to compare with the process start time. */
  upS: number;
  utime: number;
  stime: number;
  /** Of its children that it has reaped (a tune's trials). */
  childTicks: number;
  startTicks: number;
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime, stime and start time (clock ticks) of a live process; null once it is gone or a zombie. */
function readProc(pid: number): ProcReading | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const upS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    if (f[0] === 'Z' || f[0] === 'X') return null;
    return { at: Date.now(), upS, utime: Number(f[11]), stime: Number(f[12]), childTicks: Number(f[13]) + Number(f[14]), startTicks: Number(f[19]) };
  } catch {
    return null;
  }
}

/** Polls a process's CPU times until it is gone; the last reading is its use up to just before it exited. */
async function watchCpu(pid: number): Promise<ProcReading[]> {
  const readings: ProcReading[] = [];
  const start = Date.now();
  for (;;) {
    const r = readProc(pid);
    if (!r) return readings;
    readings.push(r);
    if (Date.now() - start > HANG_GUARD_MS) throw new Error(`bench gave up waiting for tune (pid ${pid}) to exit after ${HANG_GUARD_MS / 1000} s`);
    await sleep(CPU_POLL_MS);
  }
}

interface CpuWindow { seconds: number; cpuPctOfCore: number; reportsPerS: number; cpuUsPerReport: number }

interface CpuSample {
  mode: 'ui' | 'plain';
  repeat: number;
  exitCode: number | null;
  /** Process start (kernel) -> last reading before exit, s. */
  wallS: number;
  utimeS: number;
  stimeS: number;
  /** (utime + stime) / wall, as a percentage of one core. */
  cpuPctOfCore: number;
  reports: number;
  reportsPerS: number;
  cpuUsPerReport: number;
  /** From the moment all the trials have reported to the first trial's end: start-up and tail left out. */
  steady: CpuWindow | null;
  completed: number;
  maxTrialsAlive: number;
  readings: number;
  ui?: { frames: number; framesPerS: number; outputKiBPerS: number; tmuxServerCpuPctOfCore: number | null };
}

function cpuSample(mode: 'ui' | 'plain', repeat: number, readings: ProcReading[], journal: string, exitCode: number | null, hz: number): CpuSample {
  if (readings.length < 2) throw new Error(`${mode} run ${repeat}: tune was read ${readings.length} times before it exited`);
  const last = readings[readings.length - 1];
  const wallS = last.upS - last.startTicks / hz;
  const cpuS = (last.utime + last.stime) / hz;
  const events = readJournal(journal);
  const reports = events.filter((e) => e.type === 'report');
  let live = 0;
  let maxLive = 0;
  for (const ev of events) {
    if (ev.type === 'trial_started') maxLive = Math.max(maxLive, ++live);
    if (['trial_completed', 'trial_stopped', 'trial_failed', 'trial_paused', 'trial_interrupted'].includes(ev.type)) live--;
  }
  // The steady window: every trial running and reporting, none finished yet.
  const firstReport = new Map<string, number>();
  for (const ev of reports) if (ev.id && !firstReport.has(ev.id)) firstReport.set(ev.id, ev.t);
  const firstEnd = events.find((e) => ['trial_completed', 'trial_stopped', 'trial_failed'].includes(e.type));
  let steady: CpuWindow | null = null;
  if (firstReport.size === CPU_TRIALS && firstEnd) {
    const from = Math.max(...firstReport.values());
    const r0 = readings.find((r) => r.at >= from);
    const r1 = [...readings].reverse().find((r) => r.at <= firstEnd.t);
    if (r0 && r1 && r1.at - r0.at >= 1000) {
      const s = (r1.at - r0.at) / 1000;
      const ticks = r1.utime + r1.stime - r0.utime - r0.stime;
      const n = reports.filter((e) => e.t > r0.at && e.t <= r1.at).length;
      steady = { seconds: round(s, 2), cpuPctOfCore: round((ticks / hz / s) * 100, 1), reportsPerS: Math.round(n / s), cpuUsPerReport: n ? Math.round(((ticks / hz) * 1e6) / n) : NaN };
    }
  }
  return {
    mode,
    repeat,
    exitCode,
    wallS: round(wallS, 2),
    utimeS: last.utime / hz,
    stimeS: last.stime / hz,
    cpuPctOfCore: round((cpuS / wallS) * 100, 1),
    reports: reports.length,
    reportsPerS: Math.round(reports.length / wallS),
    cpuUsPerReport: Math.round((cpuS * 1e6) / reports.length),
    steady,
    completed: events.filter((e) => e.type === 'trial_completed').length,
    maxTrialsAlive: maxLive,
    readings: readings.length,
  };
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

/** Without the UI: stdout is a pipe to this process, so tune uses the plain reporter. */
async function cpuRunPlain(repeat: number, hz: number): Promise<CpuSample> {
  const dir = makeTempDir('tune-bench-cpu-plain-');
  try {
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(CPU_SPEC, null, 2));
    const tune = startTune(['spec.json'], dir);
    const readings = await watchCpu(tune.pid);
    const exit = await tune.exited;
    if (exit.code !== 0) throw new Error(`CPU run (plain) exited with ${exit.code ?? exit.signal}\n${tune.stderr()}`);
    const journal = join(await sessionDirOf(join(dir, 'sessions'), CPU_SPEC.name as string), 'events.jsonl');
    return cpuSample('plain', repeat, readings, journal, exit.code, hz);
  } finally {
    await stopAll();
    removeTempDir(dir);
  }
}

/** The pid of the child of `parent` whose command line contains `needle`, once it exists; null if `over`. */
async function childWith(parent: number, needle: string, over: () => boolean): Promise<number | null> {
  let found: number | null = null;
  await waitUntil(`the process running ${needle}`, () => {
    if (over()) return true;
    let kids: string[] = [];
    try { kids = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean); } catch { /* not yet */ }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(needle))) found = Number(k);
      } catch { /* gone */ }
    }
    return found !== null;
  }, 2);
  return found;
}

/**
 * With the UI: tune runs in a detached tmux session on a socket of its own, so its stdin and stdout are a
 * real pseudo-terminal. A shell in the pane starts it and writes its exit status to a file (tmux 3.3 did not
 * always notice its pane's process end, so #{pane_dead_status} proved unreliable). Everything the pane is
 * sent is copied to a file, to count frames and bytes.
 */
async function cpuRunUi(repeat: number, hz: number): Promise<CpuSample> {
  const dir = makeTempDir('tune-bench-cpu-ui-');
  const socket = `tune-bench-${process.pid}-${repeat}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const raw = join(dir, 'pane.out');
  const statusFile = join(dir, 'exit-status');
  const specFile = join(dir, 'spec.json');
  const q = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;
  const screen = () => {
    try { return tmux('capture-pane', '-p', '-t', 'bench'); } catch { return '(the pane is gone)'; }
  };
  try {
    writeFileSync(specFile, JSON.stringify(CPU_SPEC, null, 2));
    // The UI as a user sees it: colours on (the plain run's NO_COLOR is for parsing its output), and
    // NODE_ENV unset whatever this shell has (it picks React's development or production build).
    const env = { ...process.env };
    delete env.NO_COLOR;
    delete env.NODE_ENV;
    delete env.TMUX;
    // A person's terminal: with CI set, tune (like Ink) shows the plain reporter instead of the live view.
    delete env.CI;
    delete env.CONTINUOUS_INTEGRATION;
    // Where tmux puts a -L socket; replaced by what tmux reports once it runs.
    const guess = join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
    tmuxServers.set(socket, { tune: null, path: guess });
    const out = execFileSync('tmux', [
      '-L', socket, '-f', '/dev/null',
      'new-session', '-d', '-P', '-F', '#{pane_pid}', '-s', 'bench', '-x', String(PANE.cols), '-y', String(PANE.rows), '-c', dir,
      // The shell then stays, so that the pane keeps what tune wrote last (kill-server ends it).
      `${q(TUNE_BIN)} ${q(specFile)}; echo $? > ${q(statusFile)}; exec sleep 600`,
      ';', 'pipe-pane', '-t', 'bench', `cat >> ${q(raw)}`,
    ], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const shell = Number(out.trim().split('\n')[0]);
    if (!Number.isInteger(shell) || shell <= 0) throw new Error(`tmux did not give the pane's pid: ${JSON.stringify(out)}`);
    const [serverPid, socketPath] = tmux('display-message', '-p', '-t', 'bench', '#{pid} #{socket_path}').split(' ');
    tmuxServers.set(socket, { tune: null, path: socketPath });
    const pid = await childWith(shell, specFile, () => existsSync(statusFile));
    if (pid === null) throw new Error(`tune in tmux ended before it could be watched, with status ${readFileSync(statusFile, 'utf8').trim()}; the screen was:\n${screen()}`);
    tmuxServers.set(socket, { tune: pid, path: socketPath });
    const readings = await watchCpu(pid);
    await waitUntil('the exit status of tune in tmux', () => existsSync(statusFile) && readFileSync(statusFile, 'utf8').endsWith('\n'));
    const code = Number(readFileSync(statusFile, 'utf8').trim());
    const server = readProc(Number(serverPid));
    const last = readings[readings.length - 1];
    // tmux, not this bench, reaps tune: count its and its trials' CPU with this bench's for the share figures.
    adoptedTicks += (last ? last.utime + last.stime + last.childTicks : 0) + (server ? server.utime + server.stime : 0);
    if (code !== 0) throw new Error(`CPU run (UI) exited with ${code}; the screen was:\n${screen()}`);
    await sleep(100); // let pipe-pane's cat write what it still holds
    const journal = join(await sessionDirOf(join(dir, 'sessions'), CPU_SPEC.name as string), 'events.jsonl');
    const sample = cpuSample('ui', repeat, readings, journal, code, hz);
    // Each frame Ink writes ends with the keys line; a frame that did not change is not written.
    const text = existsSync(raw) ? readFileSync(raw, 'latin1') : '';
    const frames = text.split('p pause all').length - 1;
    sample.ui = {
      frames,
      framesPerS: round(frames / sample.wallS, 1),
      outputKiBPerS: round(text.length / 1024 / sample.wallS, 1),
      tmuxServerCpuPctOfCore: server ? round(((server.utime + server.stime) / hz / sample.wallS) * 100, 1) : null,
    };
    return sample;
  } finally {
    await stopAll();
    removeTempDir(dir);
  }
}

async function cpuCost(): Promise<Record<string, unknown>> {
  const hz = clockTicksPerSecond();
  const tmuxV = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  const uiSkipped = tmuxV.status === 0 ? null : `tmux is not installed or does not start (${tmuxV.error?.message ?? tmuxV.stderr?.trim() ?? `status ${tmuxV.status}`}): the UI runs were skipped`;
  const samples: CpuSample[] = [];
  for (let repeat = 0; repeat < CPU_REPEATS; repeat++) {
    // Interleaved, UI then plain, so that both see the same drift in the machine's load.
    if (!uiSkipped) samples.push(await cpuRunUi(repeat, hz));
    samples.push(await cpuRunPlain(repeat, hz));
  }
  const summarize = (mode: 'ui' | 'plain') => {
    const xs = samples.filter((s) => s.mode === mode);
    if (xs.length === 0) return null;
    const st = xs.map((s) => s.steady).filter((w): w is CpuWindow => w !== null);
    return {
      cpuPctOfCore: stat(xs.map((s) => s.cpuPctOfCore)),
      reportsPerS: stat(xs.map((s) => s.reportsPerS)),
      cpuUsPerReport: stat(xs.map((s) => s.cpuUsPerReport)),
      wallS: stat(xs.map((s) => s.wallS)),
      steady: st.length ? { cpuPctOfCore: stat(st.map((w) => w.cpuPctOfCore)), reportsPerS: stat(st.map((w) => w.reportsPerS)), cpuUsPerReport: stat(st.map((w) => w.cpuUsPerReport)), seconds: stat(st.map((w) => w.seconds)) } : null,
      ...(mode === 'ui' ? {
        framesPerS: stat(xs.map((s) => s.ui?.framesPerS ?? NaN)),
        outputKiBPerS: stat(xs.map((s) => s.ui?.outputKiBPerS ?? NaN)),
        tmuxServerCpuPctOfCore: stat(xs.map((s) => s.ui?.tmuxServerCpuPctOfCore ?? NaN)),
      } : {}),
    };
  };
  const ui = summarize('ui');
  const plain = summarize('plain');
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : round(a / b, 2));
  const notes: string[] = [];
  if (uiSkipped) notes.push(uiSkipped);
  for (const s of samples) {
    if (s.completed !== CPU_TRIALS) notes.push(`CPU ${s.mode} run ${s.repeat}: ${s.completed} of ${CPU_TRIALS} trials completed`);
    if (s.maxTrialsAlive < CPU_TRIALS) notes.push(`CPU ${s.mode} run ${s.repeat}: at most ${s.maxTrialsAlive} trials were alive at once`);
    if (!s.steady) notes.push(`CPU ${s.mode} run ${s.repeat}: no steady window of 1 s or more with all trials reporting`);
  }
  return {
    clockTicksPerSecond: hz,
    pollEveryMs: CPU_POLL_MS,
    pane: PANE,
    uiSkipped,
    plain,
    ui,
    uiToPlain: ui && plain ? {
      cpuPerWall: ratio(ui.cpuPctOfCore.median, plain.cpuPctOfCore.median),
      cpuPerReport: ratio(ui.cpuUsPerReport.median, plain.cpuUsPerReport.median),
      reportsPerS: ratio(ui.reportsPerS.median, plain.reportsPerS.median),
      steadyCpuPerWall: ratio(ui.steady?.cpuPctOfCore.median, plain.steady?.cpuPctOfCore.median),
      steadyCpuPerReport: ratio(ui.steady?.cpuUsPerReport.median, plain.steady?.cpuUsPerReport.median),
    } : null,
    samples,
    notes,
  };
}

// ----------------------------------------------------------------------------------------------- report

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

function table(rows: [string, string, string, string][]): string {
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r, k) => {
    const line = `${pad(r[0], w[0])}  ${lpad(r[1], w[1])}  ${lpad(r[2], w[2])}  ${r[3]}`;
    return k === 0 ? `${line}\n${'-'.repeat(w[0] + w[1] + w[2] + 6 + w[3])}` : line;
  }).join('\n');
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

type Row = [string, string, string, string];

function cpuRows(cc: Record<string, unknown>, f: (v: number) => string, row: (label: string, s: Stat, note?: string) => Row): Row[] {
  interface Side { cpuPctOfCore: Stat; reportsPerS: Stat; cpuUsPerReport: Stat; wallS: Stat; steady: { cpuPctOfCore: Stat; reportsPerS: Stat; cpuUsPerReport: Stat } | null; framesPerS?: Stat; outputKiBPerS?: Stat; tmuxServerCpuPctOfCore?: Stat }
  const c = cc as { plain: Side | null; ui: Side | null; uiSkipped: string | null; uiToPlain: Record<string, number | null> | null };
  const x = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `x${v.toFixed(2)}`);
  const rows: Row[] = [];
  const side = (label: string, s: Side | null, extra = '') => {
    if (!s) return;
    rows.push(row(`tune CPU, ${CPU_TRIALS} trials on ${cpus().length} cores, ${label} (% of a core)`, s.cpuPctOfCore, `n=${s.cpuPctOfCore.n}, ${f(s.reportsPerS.median)} reports/s, ${f(s.cpuUsPerReport.median)} us/report, ${f(s.wallS.median)} s${extra}`));
    if (s.steady) rows.push(row('  steady: all trials reporting, none done', s.steady.cpuPctOfCore, `${f(s.steady.reportsPerS.median)} reports/s, ${f(s.steady.cpuUsPerReport.median)} us/report`));
  };
  side('piped', c.plain);
  if (c.ui) side(`UI in ${PANE.cols}x${PANE.rows} tmux`, c.ui, `, ${f(c.ui.framesPerS?.median ?? NaN)} frames/s`);
  else rows.push([`tune CPU, ${CPU_TRIALS} trials, live UI`, '-', '-', c.uiSkipped ?? 'skipped']);
  if (c.uiToPlain) {
    const r = c.uiToPlain;
    rows.push(['  UI / plain, CPU per second (medians)', x(r.cpuPerWall), '-', `per report ${x(r.cpuPerReport)}; steady ${x(r.steadyCpuPerWall)}, per report ${x(r.steadyCpuPerReport)}; reports/s ${x(r.reportsPerS)}`]);
  }
  if (c.ui?.tmuxServerCpuPctOfCore) rows.push(row('  (tmux server drawing it, % of a core)', c.ui.tmuxServerCpuPctOfCore, `${f(c.ui.outputKiBPerS?.median ?? NaN)} KiB/s written to the terminal`));
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'bin.js'))) throw new Error('dist/ is missing: run npm run build first (npm run bench does)');
  const began = Date.now();
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

  const loadBefore = loadavg();
  const cpu: Record<string, CpuShare | null> = {};
  log(`pause/resume, 4 trials, ${PAUSE_CYCLES} pauses…`);
  const s1 = await accounted(pauseAndResume);
  const pr = s1.value;
  cpu.pauseResume = s1.cpu;
  log('per-trial start overhead…');
  const s2 = await accounted(trialStart);
  const ts = s2.value;
  cpu.trialStart = s2.cpu;
  log('peak memory, 16 trials…');
  const s3 = await accounted(memory);
  const mem = s3.value;
  cpu.memory = s3.cpu;
  log(`tune's CPU with and without the UI, ${CPU_TRIALS} trials, ${CPU_REPEATS} runs each…`);
  const s4 = await accounted(cpuCost);
  const cc = s4.value;
  cpu.uiCpu = s4.cpu;
  log('session store: recording a report at 1,000 trials, journal vs whole-state rewrite…');
  const store = measureSessionStore(1000, QUICK ? 500 : 2000);
  if (want('trainer')) log(`built-in trainer: steps/s against PyTorch and tfjs, and the full-budget figures${QUICK ? ' (quick)' : ''}…`);
  const trainer = want('trainer') ? await measureTrainerSpeed({ quick: QUICK, log }) : null;
  if (want('search')) log(`search strategies: regret on Branin and Hartmann-6 beside Optuna, iterations to a target under ASHA, Hyperband, BOHB${QUICK ? ' (quick)' : ''}…`);
  const search = want('search') ? await measureSearchQuality({ quick: QUICK, log }) : null;
  if (want('main')) log(`the main job, old (random, 8 trials) against new (TPE + ASHA) and BOHB, alternating${QUICK ? ' (quick: shortened, not comparable)' : ''}…`);
  const mainJob = want('main') ? await measureMainJob({ quick: QUICK, log }) : null;
  const loadAfter = loadavg();

  const pick = (k: keyof PauseSample) => pr.pause.map((p) => p[k] as number);
  const pauseSummary = {
    totalMs: stat(pick('totalMs')),
    waitForBoundaryMs: stat(pick('waitMs')),
    tuneOverheadMs: stat(pick('overheadMs')),
    breakdown: {
      signalToPauseRequestedMs: stat(pick('signalToPauseRequestedMs')),
      lastTrialPausedToSessionPausedMs: stat(pick('lastPausedToSessionPausedMs')),
      sessionPausedToResumeLineMs: stat(pick('sessionPausedToResumeLineMs')),
      resumeLineToExitMs: stat(pick('resumeLineToExitMs')),
    },
  };
  const resumeSummary = {
    toSessionResumedMs: stat(pr.resume.map((r) => r.toSessionResumedMs)),
    toAllStartedMs: stat(pr.resume.map((r) => r.toAllStartedMs)),
    toAllFirstReportMs: stat(pr.resume.map((r) => r.toAllFirstReportMs)),
    trialStartToFirstReportMs: stat(pr.resume.flatMap((r) => r.trialStartToFirstReportMs)),
  };

  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  const result = {
    schema: 1,
    date: new Date().toISOString(),
    quick: QUICK,
    durationMs: Date.now() - began,
    commit: git(['rev-parse', '--short', 'HEAD']),
    workingTreeDirty: dirty === null ? null : dirty !== '',
    machine: { cpuShareBySection: cpu, loadavgBefore: loadBefore.map((x) => Math.round(x * 100) / 100), loadavgAfter: loadAfter.map((x) => Math.round(x * 100) / 100), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, totalMemMiB: Math.round(totalmem() / 2 ** 20), node: process.version, platform: platform(), arch: arch(), kernel: release() },
    method: {
      clock: 'Date.now() (ms) for anything compared with journal event times; performance.now() for node -e baselines',
      quantiles: 'linear interpolation between closest ranks; p90 of n samples',
      pause: 'signal = just before kill(SIGINT); wait = last trial_paused.t - signal; overhead = resume line on stdout - last trial_paused.t',
      resume: 'from just before spawning tune --resume-session to the 4th trial_started after session_resumed, and to the last of the 4 first reports (those include loading the checkpoint and training one eval interval)',
      trialStart: 'trial_started.t -> t of the first event caused by the trial\'s first message, sessions with concurrency 1; tune writes trial_started after spawn() returns',
      memory: `VmHWM of /proc/<pid>/status polled every 5 ms until exit, max kept`,
      uiCpu: `tune's own utime+stime (/proc/<pid>/stat, not its trials') read every ${CPU_POLL_MS} ms, last reading before exit, / (that reading's /proc/uptime - the process start time): % of one core over the run; reports = report events in events.jsonl; UI = tune started by sh in a ${PANE.cols}x${PANE.rows} tmux pane (a pseudo-terminal; colours on, NODE_ENV unset), plain = stdout piped to the bench, stdin /dev/null; ${CPU_REPEATS} runs each, interleaved UI, plain, UI, plain; steady = from the last trial's first report to the first trial's end; frames = keys lines in what the pane was sent (tmux pipe-pane); ${CPU_TRIALS} trial processes share ${cpus().length} cores`,
    },
    specs: { pause: PAUSE_SPEC, memory: MEMORY_SPEC, uiCpu: CPU_SPEC },
    pause: { summary: pauseSummary, steadyBoundaryIntervalPerTrialMs: pr.boundaryIntervalMs, samples: pr.pause },
    resume: { summary: resumeSummary, samples: pr.resume, freshStartOfTheSameSpecOnce: pr.freshStart },
    trialStart: ts,
    memory: mem,
    uiCpu: cc,
    sessionStore: store,
    trainer,
    search,
    mainJob,
    notes: pr.notes.concat((ts.notes as string[]) ?? [], (cc.notes as string[]) ?? []),
  };

  const f = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(v >= 100 ? 0 : 1));
  const row = (label: string, s: Stat, note = ''): [string, string, string, string] => [label, f(s.median), f(s.p90), note];
  const t = ts as { baselineNodeSpawnToExitMs: Stat; baselineNodeSpawnedToFd3LineMs: Stat; mlpWorker: Stat & { ratioToNodeSpawnToExit: number; ratioToNodeFd3Line: number }; jsClientTrial: Stat & { ratioToNodeSpawnToExit: number; ratioToNodeFd3Line: number } };
  const m = mem as { tunePeakMiB: Stat; bareNodePeakMiB: Stat };
  const rows: [string, string, string, string][] = [
    ['measure', 'median', 'p90', 'notes'],
    row('pause, 4 trials: SIGINT -> resume line (ms)', pauseSummary.totalMs, `n=${pauseSummary.totalMs.n}`),
    row('  waiting for trials to reach a boundary', pauseSummary.waitForBoundaryMs, `boundary every ${f(pr.boundaryIntervalMs.median)} ms per trial`),
    row('  tune overhead (last trial_paused -> line)', pauseSummary.tuneOverheadMs),
    row('    last trial_paused -> session_paused', pauseSummary.breakdown.lastTrialPausedToSessionPausedMs, 'trial exit + close'),
    row('    session_paused -> resume line', pauseSummary.breakdown.sessionPausedToResumeLineMs, 'snapshot + print'),
    row('  (SIGINT -> pause_requested)', pauseSummary.breakdown.signalToPauseRequestedMs, 'inside the wait'),
    row('resume, 4 trials: spawn -> session_resumed (ms)', resumeSummary.toSessionResumedMs, `n=${resumeSummary.toSessionResumedMs.n}`),
    row('  spawn -> all 4 trial_started', resumeSummary.toAllStartedMs),
    row('  spawn -> all 4 first reports', resumeSummary.toAllFirstReportMs, 'incl. checkpoint load + 1 eval interval'),
    row('  per trial: trial_started -> first report', resumeSummary.trialStartToFirstReportMs, `n=${resumeSummary.trialStartToFirstReportMs.n}, 4 starting at once`),
    ['  (fresh start, same spec, once: all 4 reported)', f(pr.freshStart.toAllFirstReportMs), '-', `per trial ${pr.freshStart.trialStartToFirstReportMs.join(', ')} ms`],
    row('trial start -> first message, mlp worker (ms)', t.mlpWorker, `n=${t.mlpWorker.n}, x${t.mlpWorker.ratioToNodeSpawnToExit.toFixed(2)} node -e 0`),
    row('trial start -> first message, JS client (ms)', t.jsClientTrial, `n=${t.jsClientTrial.n}, x${t.jsClientTrial.ratioToNodeSpawnToExit.toFixed(2)} node -e 0`),
    row('  baseline: node -e "0" spawn -> exit', t.baselineNodeSpawnToExitMs, `n=${t.baselineNodeSpawnToExitMs.n}`),
    row('  baseline: node -e spawned -> fd 3 line', t.baselineNodeSpawnedToFd3LineMs, `mlp x${t.mlpWorker.ratioToNodeFd3Line.toFixed(2)}, JS x${t.jsClientTrial.ratioToNodeFd3Line.toFixed(2)}`),
    row('peak memory of tune, 16 trials (MiB VmHWM)', m.tunePeakMiB, `n=${m.tunePeakMiB.n}, max ${f(m.tunePeakMiB.max)}`),
    row('  baseline: bare node -e (MiB VmHWM)', m.bareNodePeakMiB, `n=${m.bareNodePeakMiB.n}`),
    ...cpuRows(cc, f, row),
    ['session store, 1,000 trials: one report (us)', f(store.journalUsPerReport), '-', `journal append; whole-state rewrite ${f(store.rewriteUsPerReport)} us (x${f(store.ratio)}); snapshot ${f(store.snapshotMs)} ms for ${Math.round(store.snapshotBytes / 1024)} KiB`],
  ];
  process.stdout.write(`\ntune bench${QUICK ? ' (--quick)' : ''}: ${result.machine.cpus} cpus (${result.machine.cpuModel}), node ${result.machine.node}, commit ${result.commit}${result.workingTreeDirty ? ' (dirty tree)' : ''}, ${Math.round(result.durationMs / 1000)} s\n\n`);
  process.stdout.write(table(rows) + '\n');
  const other = Object.entries(cpu).map(([k, v]) => `${k} ${v ? `${v.otherPct}%` : '?'}`).join(', ');
  process.stdout.write(`CPU used by other processes (share of the machine) while measuring: ${other}; load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}\n`);
  const worst = Math.max(...Object.values(cpu).map((v) => v?.otherPct ?? 0));
  if (worst > 10) result.notes.push(`other processes used up to ${worst}% of the machine while this ran (${other}); the figures include that contention`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  if (trainer) {
    writeFileSync(join(RESULTS_DIR, 'trainer-speed.json'), JSON.stringify(trainer, null, 2) + '\n');
    process.stdout.write(`\n${formatTrainerSpeed(trainer)}\n`);
  }
  if (search) process.stdout.write(`\n${formatSearchQuality(search)}\n`);
  if (mainJob) process.stdout.write(`\n${formatMainJob(mainJob)}\n`);
  if (want('data')) await benchDataLoad({ quick: QUICK, log });
  if (want('export')) await benchExportPeer();
  for (const n of result.notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\nwrote ${file}\n`);
}

process.on('SIGINT', () => {
  void stopAll().then(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
});

main().catch(async (err: unknown) => {
  await stopAll();
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
