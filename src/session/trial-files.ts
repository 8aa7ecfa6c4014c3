import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, createReadStream, existsSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, rmSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { saveSchedule, writeCompletedFlags } from '../schedule/schedule-file.js';
import { trialScheduleFile } from '../schedule/trial-schedule.js';
import type { Metrics } from '../search/types.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';
import type { Config } from '../search/space.js';
import { sessionPaths, trialPaths } from './layout.js';
import type { CheckpointRecord, TrialRecord } from './state.js';
import { faultOf, type EnvironmentFault } from './fault.js';

/**
 * The files of a session beside its state and journal: each trial's folder (config, metrics, schedule copy,
 * logs) and the pause signal. The orchestrator asks for them by meaning; only this layer knows the layout.
 */
export class TrialFiles {
  private readonly metricsIteration = new Map<string, number>();

  /**
   * `onFault` hears of every write the disk refused: those are the environment's faults, never a trial's,
   * so they do not throw into the run (DESIGN §5.8).
   */
  constructor(readonly sessionDir: string, private readonly scheduleWriteBack: string | null, private readonly onFault: (f: EnvironmentFault) => void = () => {}) {}

  /** Runs one of tune's own writes; a refusal is reported as a fault. Returns whether it was done. */
  private guard(path: string, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.onFault(faultOf(err, path));
      return false;
    }
  }

  paths(id: string) {
    return trialPaths(this.sessionDir, id);
  }

  /**
   * The trial's folder and its config.json (written once: a restarted trial reads the same file). False
   * when the disk refused them: the trial cannot start, and the fault has been reported.
   */
  prepare(t: TrialRecord, params: Config): boolean {
    const tp = this.paths(t.id);
    return this.guard(tp.dir, () => {
      if (!existsSync(tp.checkpoints)) {
        mkdirSync(tp.checkpoints, { recursive: true });
        // New folders survive a power loss only once their parents are flushed.
        for (const d of [tp.dir, dirname(tp.dir)]) fsyncDir(d);
      }
      mkdirSync(this.tmpDir, { recursive: true });
      if (!existsSync(tp.config)) writeFileAtomic(tp.config, JSON.stringify({ ...params, ...t.config }, null, 2) + '\n');
      this.metricsIteration.set(t.id, lastMetricsIteration(tp.metrics));
    });
  }

  /** Where a trial restarts from, as an absolute path, or '' to start fresh. */
  checkpointPath(t: TrialRecord): string {
    return t.checkpoint ? join(this.paths(t.id).dir, t.checkpoint.path) : '';
  }

  /** One line per validation boundary: a trial restarted from an older checkpoint replaces what it repeats. */
  appendMetrics(id: string, iteration: number, metrics: Metrics): void {
    const file = this.paths(id).metrics;
    this.guard(file, () => {
      if (iteration <= (this.metricsIteration.get(id) ?? 0)) truncateMetrics(file, iteration);
      appendFileSync(file, JSON.stringify({ iteration, ...metrics }) + '\n');
      this.metricsIteration.set(id, iteration);
    });
  }

  /** The trial's own schedule file, rewritten atomically so people can watch it (and `tune train`'s original). */
  writeSchedule(t: TrialRecord): void {
    const schedule = t.schedule;
    if (!schedule) return;
    const file = trialScheduleFile(this.paths(t.id).dir, schedule);
    this.guard(file, () => saveSchedule(file, schedule, schedule.state.completed));
    const back = this.scheduleWriteBack;
    if (back) this.guard(back, () => writeCompletedFlags(back, schedule.state.completed));
  }

  /**
   * Keeps the checkpoint `c` (recorded, so whole and inside the trial's folder) as the one of the trial's
   * best report: a hard link in its best/ folder, which the trial's pruning of its own checkpoints never
   * touches, or a copy where the filesystem has no links. Null when the disk refused (reported as a fault).
   */
  keepBest(t: TrialRecord, c: CheckpointRecord): CheckpointRecord | null {
    const tp = this.paths(t.id);
    const source = join(tp.dir, c.path);
    // A trial that saves its own checkpoints in best/ keeps them itself: never replace a file by itself.
    if (within(tp.best, source)) return null;
    const name = basename(c.path);
    const kept = join(tp.best, name);
    const done = this.guard(kept, () => {
      mkdirSync(tp.best, { recursive: true });
      rmSync(kept, { force: true });
      try {
        linkSync(source, kept);
      } catch {
        copyFileSync(source, kept);
      }
    });
    return done ? { iteration: c.iteration, path: relative(tp.dir, kept), sha256: c.sha256, bytes: c.bytes } : null;
  }

  /** Removes what best/ held but `kept` (once the journal names `kept`, or none, they are no one's). */
  dropOtherBest(t: TrialRecord, kept: CheckpointRecord | null): void {
    const dir = this.paths(t.id).best;
    const keep = kept ? basename(kept.path) : null;
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) if (n !== keep) rmSync(join(dir, n), { force: true, recursive: true });
  }

  /**
   * A checkpoint a trial announced, hashed for the journal; a path inside the trial folder is kept relative
   * so the session can move. A string is the reason it is not a checkpoint.
   */
  async checkpointRecord(t: TrialRecord, path: string, iteration: number): Promise<Omit<CheckpointRecord, 'schedule'> | string> {
    const dir = this.paths(t.id).dir;
    const abs = isAbsolute(path) ? path : join(dir, path);
    if (!existsSync(abs) || !statSync(abs).isFile()) return `checkpoint ${path} is not a file`;
    // Kept inside the trial's folder (links resolved), so the session is whole when copied or moved, and a
    // resume never reads outside it.
    if (!within(realpathSync(dir), realpathSync(abs))) return `checkpoint ${path} is outside the trial's folder ${dir}; save checkpoints inside TUNE_TRIAL_DIR`;
    const { sha256, bytes } = await hashFile(abs);
    return { iteration, path: relative(dir, abs), sha256, bytes };
  }

  /**
   * The last line of a trial's stderr that says something: not a stack frame, nor the "Node.js v20…" that
   * Node prints after an uncaught error.
   */
  stderrTail(id: string, since = 0): string {
    const lines = this.stderrEnd(id, since).split('\n').map((l) => l.trim());
    // An error's own line when there is one (Node's "Error: …", Python's "OSError: …"), else the last line
    // that is not a stack frame, a field of a printed error object ({ … }), or Node's "Node.js v20…".
    let said: string | null = null;
    let inObject = false;
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i];
      if (/^[\w.]*(Error|Exception)(\s*\[\w+\])?: /.test(l)) return l.slice(0, 300);
      if (l === '}') inObject = true;
      else if (inObject && l.endsWith('{')) inObject = false;
      else if (said === null && !inObject && l !== '' && !/^at |^Node\.js v\d|^\^+$/.test(l)) said = l;
    }
    return (said ?? '').slice(0, 300);
  }

  /**
   * The last few KB of a trial's stderr past byte `since` (where this run of it began: the log is appended
   * across restarts), read from the end of the file: where a crash explains itself.
   */
  stderrEnd(id: string, since = 0, bytes = 4096): string {
    let fd: number | undefined;
    try {
      fd = openSync(this.paths(id).stderr, 'r');
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, Math.min(bytes, size - since)));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } catch {
      return '';
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** How long a trial's stderr log is now: a new run of it writes from here. */
  stderrSize(id: string): number {
    try {
      return statSync(this.paths(id).stderr).size;
    } catch {
      return 0;
    }
  }

  /**
   * Whether the session's disk refuses a small write right now (full, read-only): asked when a trial dies,
   * so a trial killed by the disk is not blamed for it. The reason, or null when the disk takes writes.
   */
  diskProblem(): string | null {
    try {
      const fs = statfsSync(this.sessionDir);
      const free = fs.bavail * fs.bsize;
      if (free < 1024 * 1024) return `only ${Math.floor(free / 1024)} KiB free on the session's disk`;
    } catch { /* no statfs here: the probe below decides */ }
    const probe = join(this.sessionDir, `.probe.${process.pid}`);
    try {
      writeFileSync(probe, Buffer.alloc(64 * 1024));
      return null;
    } catch (err) {
      return faultOf(err, null).reason;
    } finally {
      try { unlinkSync(probe); } catch { /* never made */ }
    }
  }

  get tmpDir(): string {
    return sessionPaths(this.sessionDir).tmp;
  }

  /**
   * Between runs no trial is alive: whatever they left in their TMPDIR goes, and so do the temporary files
   * of atomic writes (tune's and the trials' own, named `.NAME.PID.HEX.tmp`) and disk probes that a crash
   * left behind. The caller holds the lock. Returns how many files went.
   */
  sweepLeftovers(): number {
    rmSync(this.tmpDir, { recursive: true, force: true });
    let removed = 0;
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && LEFTOVER.test(e.name)) {
          rmSync(p, { force: true });
          removed++;
        }
      }
    };
    walk(this.sessionDir);
    return removed;
  }

  get pauseSignal(): string {
    return sessionPaths(this.sessionDir).pauseSignal;
  }

  /** The file every trial checks at its validation boundaries (DESIGN §4). */
  raisePauseSignal(reason: string): void {
    this.guard(this.pauseSignal, () => writeFileAtomic(this.pauseSignal, `${JSON.stringify({ reason, requested: new Date().toISOString(), pid: process.pid })}\n`));
  }

  clearPauseSignal(): void {
    try { unlinkSync(this.pauseSignal); } catch { /* not there */ }
  }
}

/** An atomic write's temporary file (src/util/atomic-write.ts) or a disk probe, left by a crash. */
const LEFTOVER = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$|^\.probe\.\d+$/;

function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (c) => { h.update(c); bytes += c.length; })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), bytes }));
  });
}

export function hashFileSync(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function lastMetricsIteration(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return (JSON.parse(lines[i]) as { iteration: number }).iteration;
    } catch { /* a torn last line */ }
  }
  return 0;
}

function truncateMetrics(file: string, fromIteration: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8').split('\n').filter((line) => {
    if (!line) return false;
    try {
      return (JSON.parse(line) as { iteration: number }).iteration < fromIteration;
    } catch {
      return false;
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

/** `path` is `dir` itself or below it (both already real paths). */
export function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Why a trial cannot start from this checkpoint, or null when it can: it must be there, inside the session
 * (no link out of it) and hold the bytes recorded when it was made.
 */
export function checkpointProblem(sessionDir: string, trialId: string, c: CheckpointRecord): string | null {
  const file = join(trialPaths(sessionDir, trialId).dir, c.path);
  if (!existsSync(file)) return `${file}: checkpoint of trial ${trialId} (iteration ${c.iteration}) is missing`;
  if (!within(realpathSync(sessionDir), realpathSync(file))) return `${file}: checkpoint of trial ${trialId} leads out of the session through a symbolic link`;
  const sha = hashFileSync(file);
  if (sha !== c.sha256) return `${file}: checkpoint of trial ${trialId} (iteration ${c.iteration}) is corrupt (sha256 ${sha.slice(0, 12)}…, recorded ${c.sha256.slice(0, 12)}…)`;
  return null;
}

/**
 * Where a trial restarts from: its newest checkpoint, or the one before it when the newest is damaged and
 * that one is intact ('fallback', with the reason), or nothing sound ('broken').
 */
export function restartPoint(sessionDir: string, t: TrialRecord): { kind: 'ok' } | { kind: 'fallback'; reason: string } | { kind: 'broken'; reason: string } {
  if (!t.checkpoint) return { kind: 'ok' };
  const newest = checkpointProblem(sessionDir, t.id, t.checkpoint);
  if (newest === null) return { kind: 'ok' };
  if (t.previous && checkpointProblem(sessionDir, t.id, t.previous) === null) {
    return { kind: 'fallback', reason: `${newest}; trial ${t.id} restarts from its previous checkpoint (iteration ${t.previous.iteration})` };
  }
  return { kind: 'broken', reason: newest };
}
