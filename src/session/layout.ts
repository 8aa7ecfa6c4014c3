import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The files of a session directory (DESIGN §3). */
export function sessionPaths(dir: string) {
  return {
    dir,
    state: join(dir, 'session.json'),
    summary: join(dir, 'session.summary.yaml'),
    events: join(dir, 'events.jsonl'),
    pauseSignal: join(dir, 'pause.signal'),
    lock: join(dir, 'lock'),
    trials: join(dir, 'trials'),
    /** The trials' TMPDIR: what they (and ONNX Runtime's debug logs) leave behind stays in the session. */
    tmp: join(dir, 'tmp'),
  };
}

export function trialPaths(sessionDir: string, trialId: string) {
  const dir = join(sessionDir, 'trials', trialId);
  return {
    dir,
    config: join(dir, 'config.json'),
    metrics: join(dir, 'metrics.jsonl'),
    checkpoints: join(dir, 'checkpoints'),
    /** The checkpoint of the trial's best report, linked here by tune (see TrialRecord.bestCheckpoint). */
    best: join(dir, 'best'),
    stdout: join(dir, 'stdout.log'),
    stderr: join(dir, 'stderr.log'),
  };
}

/**
 * A session folder whose creation was cut short: tune makes and locks the folder, then writes session.json
 * before any trial starts, so a folder named as tune names sessions, locked, without it, is one where
 * nothing ran (a kill or crash in between).
 */
export function isCutShortSession(dir: string): boolean {
  const p = sessionPaths(dir);
  return /^session_\d{8}_\d{6}_[0-9a-f]{6}$/.test(basename(dir)) && existsSync(p.lock) && !existsSync(p.state);
}

/** `session_<YYYYMMDD_HHMMSS>_<6 hex>`, in UTC so names sort by time wherever they were made. */
export function newSessionName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `session_${stamp}_${randomBytes(3).toString('hex')}`;
}

export function trialIdOf(index: number): string {
  return String(index).padStart(4, '0');
}

/**
 * Makes a new session's folder and the missing folders above it, one at a time: a recursive mkdir reports a
 * read-only or full disk as ENOENT, which would name the wrong fault. Fails if `dir` exists.
 */
export function makeSessionDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dirname(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
  mkdirSync(dir);
}
