import { closeSync, fstatSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SessionLockedError } from '../errors.js';

/*
 * The session lock (DESIGN §5.3 "One driver"): the file `lock` in the session directory holds the record
 * of the one process that drives the session. The protocol, and why at most one process holds it:
 *
 * 1. Complete or absent. A contender writes its record (pid, host, start time, since, a random token)
 *    to its own temporary file `lock.<token>.tmp`, fsyncs it, and only then makes it appear as `lock`
 *    with link(2), which fails with EEXIST if `lock` exists. A reader therefore sees either no lock or a
 *    whole record, never an empty or half-written one. The only other way `lock` changes is the
 *    rename(2) of step 2, which replaces one complete file with another in one step.
 *
 * 2. Taking over from a dead owner. `lock` holds a record S whose process is gone. Deleting S and then
 *    creating a new lock is racy (a slower contender that also saw S dead would delete the new one), so
 *    the right to replace S is itself taken with an exclusive create: the contender links its record to
 *    `lock.takeover-<id of S>`, where the id is a hash of S's bytes and inode (S holds a random token, so
 *    no later lock has the same id). Exactly one contender can create that claim. The claimant then
 *    checks that `lock` still holds S (nobody else may change it while S is there and claimed: its owner
 *    is dead and every other contender needs the same claim), renames a copy of its record over `lock`,
 *    and removes the claim. A contender that finds the claim taken by a live process backs off and
 *    looks again: it then sees the new live owner and is refused as usual. One that gets the claim only
 *    after the takeover finished sees that `lock` no longer holds S and gives up its claim.
 *    A claimant that died between claiming and removing the claim leaves a claim held by a dead
 *    process: that claim is taken over by the same rule, one level down (`….takeover-<id>.takeover-<id>`).
 *
 * 3. Release removes `lock` only while it holds this process's token. Between that check and the unlink
 *    nobody else may replace it: a live owner's lock is never taken over.
 *
 * Staleness is judged from the record (process gone, or its pid reused by a later process); an owner on
 * another host cannot be checked and counts as alive. On a cluster the session lives on a shared
 * filesystem and may be driven from any login node: a lock left by a login node that is gone is taken
 * over only when the user says so (`--take-over-lock`), by the same protocol as a dead owner's.
 */

interface LockInfo {
  pid: number;
  host: string;
  /** The process's start time in clock ticks (Linux /proc), so a reused pid is not mistaken for ours. */
  started: string | null;
  since: string;
  /** Random, per acquisition; absent in locks written by older versions. */
  token?: string;
}

/** The fields of /proc/PID/stat after the command name (which may itself hold spaces and parentheses). */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null; // field 22: start time in clock ticks after boot
}

/**
 * Whether pid is a running process. A zombie (exited, not yet reaped by its parent, as when a supervisor
 * that killed tune has not waited for it) still answers signal 0 but owns nothing: it counts as gone.
 * Where /proc is missing, signal 0 alone decides.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = procStat(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}

/** Why the lock's owner is gone, or null while it lives. */
function staleReason(info: LockInfo): string | null {
  if (info.host !== hostname()) return null; // cannot check another machine: assume alive
  if (!processAlive(info.pid)) return `process ${info.pid} is gone`;
  const started = processStartTime(info.pid);
  if (info.started && started && started !== info.started) return `pid ${info.pid} now belongs to another process`;
  return null;
}

/** A lock (or claim) file as read once: its record, if it is one, and an id no other file shares. */
interface Seen {
  info: LockInfo | null;
  id: string;
}

function parseInfo(raw: string): LockInfo | null {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo> | null;
    return v && typeof v.pid === 'number' && typeof v.host === 'string' ? (v as LockInfo) : null;
  } catch {
    return null;
  }
}

/** Reads the file at path, or null when there is none. */
function look(path: string): Seen | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    const raw = readFileSync(fd, 'utf8');
    const id = createHash('sha256').update(`${st.dev}:${st.ino}:${raw}`).digest('hex').slice(0, 16);
    return { info: parseInfo(raw), id };
  } finally {
    closeSync(fd);
  }
}

/** link(2): creates `to` only if it does not exist yet. */
function linkIfAbsent(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

/** Blocks the thread for ms: acquiring the lock is synchronous, and a takeover in progress takes microseconds. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** This process's record, written completely to its own temporary file. */
interface Own {
  token: string;
  tmp: string;
}

function writeOwnRecord(path: string): Own {
  const token = randomBytes(16).toString('hex');
  const info: LockInfo = { pid: process.pid, host: hostname(), started: processStartTime(process.pid), since: new Date().toISOString(), token };
  const tmp = `${path}.${token}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, JSON.stringify(info) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { token, tmp };
}

/**
 * Replaces `target`, seen holding the dead owner's `stale`, with our record (protocol step 2).
 * 'won': ours now; 'lost': target changed meanwhile, look again; 'busy': a live contender is taking over.
 */
function takeOver(target: string, stale: Seen, own: Own, depth: number): 'won' | 'lost' | 'busy' {
  if (depth > 4) return 'busy'; // a chain of crashed claimants this long: let the caller retry
  const claim = `${target}.takeover-${stale.id}`;
  let claimed = false;
  for (let i = 0; i < 8 && !claimed; i++) {
    if (linkIfAbsent(own.tmp, claim)) {
      claimed = true;
      break;
    }
    const holder = look(claim);
    if (holder === null) continue; // the claim was just given up: try again
    if (holder.info && staleReason(holder.info) === null) return 'busy';
    // Its claimant died (or the claim is unreadable, which ours never are): take over the claim itself.
    const r = takeOver(claim, holder, own, depth + 1);
    if (r === 'busy') return 'busy';
    claimed = r === 'won';
  }
  if (!claimed) return 'busy';
  try {
    const now = look(target);
    if (now === null || now.id !== stale.id) return 'lost'; // already replaced, or released
    const copy = `${own.tmp}.${depth}`;
    linkSync(own.tmp, copy);
    try {
      renameSync(copy, target);
    } catch (err) {
      removeQuietly(copy);
      throw err;
    }
    return 'won';
  } finally {
    removeQuietly(claim);
  }
}

export interface SessionLock {
  release(): void;
  /** Set when a stale lock of a crashed run (or, when asked, another host's lock) was taken over. */
  readonly tookOver: string | null;
}

export interface LockOptions {
  /** Take over a lock held by a tune on another host, which this one cannot check (`--take-over-lock`). */
  takeOverForeign?: boolean;
}

/** Takes the session's lock, or throws SessionLockedError naming the live owner (DESIGN §5.3). */
export function acquireLock(path: string, sessionDir: string, opts: LockOptions = {}): SessionLock {
  const own = writeOwnRecord(path);
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (linkIfAbsent(own.tmp, path)) return held(path, own.token, null);
      const seen = look(path);
      if (seen === null) continue; // released meanwhile
      const reason = seen.info ? staleReason(seen.info) : 'the lock file is unreadable';
      let taking = `a stale lock (${reason})`;
      if (seen.info && reason === null) {
        const { pid, host, since } = seen.info;
        if (host === hostname()) {
          throw new SessionLockedError(
            `${sessionDir} is being driven by tune process ${pid} on ${host} since ${since}; ` +
              `stop that one first (press p there, or send it SIGINT), or wait for it to finish`,
          );
        }
        if (!opts.takeOverForeign) {
          throw new SessionLockedError(
            `${sessionDir} is locked by tune process ${pid} on host ${host} since ${since}, and this is ${hostname()}, which cannot check it; ` +
              `if it still runs, stop it there (press p, or send it SIGINT); if ${host} is gone, resume with --take-over-lock`,
          );
        }
        taking = `the lock of tune process ${pid} on host ${host} (--take-over-lock)`;
      }
      const outcome = takeOver(path, seen, own, 0);
      if (outcome === 'won') return held(path, own.token, taking);
      if (outcome === 'busy') pause(5);
    }
  } finally {
    removeQuietly(own.tmp);
  }
  throw new SessionLockedError(`${sessionDir}: another tune process took the session's lock at the same moment; try again`);
}

function held(path: string, token: string, tookOver: string | null): SessionLock {
  let released = false;
  return {
    tookOver,
    release() {
      if (released) return;
      released = true;
      let now: Seen | null = null;
      try { now = look(path); } catch { /* unreadable: not ours to remove */ }
      if (now?.info?.token === token) removeQuietly(path);
    },
  };
}
