import { createHash } from 'node:crypto';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { saveSchedule, writeCompletedFlags } from '../schedule/schedule-file.js';
import { trialScheduleFile } from '../schedule/trial-schedule.js';
import type { Metrics } from '../search/types.js';
import { fsyncDir, writeFileAtomic } from '../util/atomic-write.js';
import type { Config } from '../search/space.js';
import { sessionPaths, trialPaths } from './layout.js';
import type { CheckpointRecord, TrialRecord } from './state.js';

/**
 * The files of a session beside its state and journal: each trial's folder (config, metrics, schedule copy,
 * logs) and the pause signal. The orchestrator asks for them by meaning; only this layer knows the layout.
 */
export class TrialFiles {
  private readonly metricsIteration = new Map<string, number>();

  constructor(readonly sessionDir: string, private readonly scheduleWriteBack: string | null) {}

  paths(id: string) {
    return trialPaths(this.sessionDir, id);
  }

  /** The trial's folder and its config.json (written once: a restarted trial reads the same file). */
  prepare(t: TrialRecord, params: Config): void {
    const tp = this.paths(t.id);
    if (!existsSync(tp.checkpoints)) {
      mkdirSync(tp.checkpoints, { recursive: true });
      // New folders survive a power loss only once their parents are flushed.
      for (const d of [tp.dir, dirname(tp.dir)]) fsyncDir(d);
    }
    mkdirSync(this.tmpDir, { recursive: true });
    if (!existsSync(tp.config)) writeFileAtomic(tp.config, JSON.stringify({ ...params, ...t.config }, null, 2) + '\n');
    this.metricsIteration.set(t.id, lastMetricsIteration(tp.metrics));
  }

  /** Where a trial restarts from, as an absolute path, or '' to start fresh. */
  checkpointPath(t: TrialRecord): string {
    return t.checkpoint ? join(this.paths(t.id).dir, t.checkpoint.path) : '';
  }

  /** One line per validation boundary: a trial restarted from an older checkpoint replaces what it repeats. */
  appendMetrics(id: string, iteration: number, metrics: Metrics): void {
    const file = this.paths(id).metrics;
    if (iteration <= (this.metricsIteration.get(id) ?? 0)) truncateMetrics(file, iteration);
    appendFileSync(file, JSON.stringify({ iteration, ...metrics }) + '\n');
    this.metricsIteration.set(id, iteration);
  }

  /** The trial's own schedule file, rewritten atomically so people can watch it (and `tune train`'s original). */
  writeSchedule(t: TrialRecord): void {
    if (!t.schedule) return;
    saveSchedule(trialScheduleFile(this.paths(t.id).dir, t.schedule), t.schedule, t.schedule.state.completed);
    if (this.scheduleWriteBack) writeCompletedFlags(this.scheduleWriteBack, t.schedule.state.completed);
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

  stderrTail(id: string): string {
    try {
      const text = readFileSync(this.paths(id).stderr, 'utf8').trimEnd();
      return text.slice(text.lastIndexOf('\n') + 1).slice(0, 300);
    } catch {
      return '';
    }
  }

  get tmpDir(): string {
    return sessionPaths(this.sessionDir).tmp;
  }

  /** Between runs no trial is alive: whatever they left in their TMPDIR goes. */
  sweepTmp(): void {
    rmSync(this.tmpDir, { recursive: true, force: true });
  }

  get pauseSignal(): string {
    return sessionPaths(this.sessionDir).pauseSignal;
  }

  /** The file every trial checks at its validation boundaries (DESIGN §4). */
  raisePauseSignal(reason: string): void {
    writeFileAtomic(this.pauseSignal, `${JSON.stringify({ reason, requested: new Date().toISOString(), pid: process.pid })}\n`);
  }

  clearPauseSignal(): void {
    try { unlinkSync(this.pauseSignal); } catch { /* not there */ }
  }
}

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
