import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { SessionLockedError } from '../errors.js';

interface LockInfo {
  pid: number;
  host: string;
  /** The process's start time in clock ticks (Linux /proc), so a reused pid is not mistaken for ours. */
  started: string | null;
  since: string;
}

export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the lock's owner is gone, or null while it lives. */
function staleReason(info: LockInfo): string | null {
  if (info.host !== hostname()) return null; // cannot check another machine: assume alive
  if (!processAlive(info.pid)) return `process ${info.pid} is gone`;
  const started = processStartTime(info.pid);
  if (info.started && started && started !== info.started) return `pid ${info.pid} now belongs to another process`;
  return null;
}

export interface SessionLock {
  release(): void;
  /** Set when a stale lock of a crashed run was taken over. */
  readonly tookOver: string | null;
}

/** Takes the session's lock, or throws SessionLockedError naming the live owner (DESIGN §5.3). */
export function acquireLock(path: string, sessionDir: string): SessionLock {
  let tookOver: string | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let info: LockInfo | null = null;
      try {
        info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        info = null; // torn write of a crashed owner, or removed meanwhile
      }
      const reason = info ? staleReason(info) : 'the lock file is unreadable';
      if (info && reason === null) {
        throw new SessionLockedError(
          `${sessionDir} is being driven by tune process ${info.pid} on ${info.host} since ${info.since}; ` +
            `stop that one first (press p there, or send it SIGINT), or wait for it to finish`,
        );
      }
      tookOver = `a stale lock (${reason})`;
      try { unlinkSync(path); } catch { /* another process took it first; retry decides */ }
      continue;
    }
    const info: LockInfo = { pid: process.pid, host: hostname(), started: processStartTime(process.pid), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info) + '\n');
    closeSync(fd);
    let released = false;
    return {
      tookOver,
      release() {
        if (released) return;
        released = true;
        try { unlinkSync(path); } catch { /* already removed */ }
      },
    };
  }
  throw new SessionLockedError(`${sessionDir}: another tune process took the session's lock at the same moment; try again`);
}
