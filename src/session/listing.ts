import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import { isCutShortSession, sessionPaths } from './layout.js';
import { processAlive, processStartTime } from './lock.js';
import { bestTrial, type SessionStatus } from './state.js';
import { loadSessionState } from './store.js';

/**
 * A session marked running whose driver is gone was interrupted: to a script it is paused (resumable).
 * The driver is judged from the lock's record, as the lock does: its process, unless the pid was reused.
 */
export function effectiveStatus(dir: string, status: SessionStatus): SessionStatus {
  if (status !== 'running') return status;
  try {
    const info = JSON.parse(readFileSync(sessionPaths(dir).lock, 'utf8')) as { pid: number; host?: string; started?: string | null };
    if (info.host !== undefined && info.host !== hostname()) return 'running';
    if (!processAlive(info.pid)) return 'paused';
    return info.started && processStartTime(info.pid) !== info.started ? 'paused' : 'running';
  } catch {
    return 'paused';
  }
}

export function isSessionDir(dir: string): boolean {
  return existsSync(sessionPaths(dir).state);
}

/** One session of a folder, as `tune results FOLDER` lists it. */
export interface SessionEntry {
  readonly dir: string;
  readonly name: string;
  readonly experiment: string;
  readonly status: SessionStatus | 'unreadable';
  readonly created: string;
  readonly trials: number;
  readonly numTrials: number;
  readonly done: number;
  readonly best: { readonly trial: string; readonly value: number } | null;
  readonly metric: string;
  /** Why it could not be read, for an unreadable one. */
  readonly problem: string | null;
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name)).sort();
  } catch {
    return [];
  }
}

function isSessionFolder(dir: string): boolean {
  return isSessionDir(dir) || isCutShortSession(dir);
}

/**
 * The sessions inside a folder that is not one: its session folders (sessions/<experiment>), or those of
 * its experiment folders (sessions/). Oldest first: session names sort by their UTC start time. One whose
 * creation was cut short is listed too, as unreadable with the reason, rather than left out unexplained.
 */
export function findSessions(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const direct = subfolders(dir).filter(isSessionFolder);
  if (direct.length) return direct;
  return subfolders(dir).flatMap((d) => subfolders(d).filter(isSessionFolder));
}

/** Reads each session (read-only) for the listing; a damaged one is listed with the reason, not fatal. */
export function listSessions(dirs: readonly string[]): SessionEntry[] {
  return dirs.map((dir) => {
    const name = dir.split(/[\\/]/).pop() as string;
    try {
      const s = loadSessionState(dir);
      const best = bestTrial(s);
      return {
        dir, name, experiment: s.experiment, status: effectiveStatus(dir, s.status), created: s.createdAt,
        trials: s.trials.length, numTrials: s.spec.num_trials,
        done: s.trials.filter((t) => t.status === 'completed' || t.status === 'stopped').length,
        best: best?.best ? { trial: best.id, value: best.best.value } : null, metric: s.spec.metric, problem: null,
      };
    } catch (err) {
      if (!(err instanceof BadInputError)) throw err;
      return { dir, name, experiment: '?', status: 'unreadable', created: '', trials: 0, numTrials: 0, done: 0, best: null, metric: '', problem: err.message };
    }
  });
}
