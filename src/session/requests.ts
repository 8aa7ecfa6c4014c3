/**
 * Requests from a second terminal to the tune that drives a session (tune pause / continue / stop): one
 * file each in the session's requests/ folder, written atomically, read once by the driver, acknowledged in
 * the journal, then removed. Files need no socket, work on a shared filesystem, and survive a crash of
 * either side (a request not yet acknowledged is read by the next driver).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isPlainObject } from '../util/json.js';

export type RequestVerb = 'pause' | 'continue' | 'stop';

export interface ControlRequest {
  verb: RequestVerb;
  /** Trial ids; empty for `pause` means the whole session. */
  trials: string[];
}

function requestsDir(sessionDir: string): string {
  return join(sessionDir, 'requests');
}

/** Writes one request; returns its file name (the journal acknowledges it by this name). */
export function writeRequest(sessionDir: string, r: ControlRequest): string {
  const dir = requestsDir(sessionDir);
  mkdirSync(dir, { recursive: true });
  // Named so that they sort in the order they were made.
  const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${randomBytes(3).toString('hex')}.json`;
  writeFileAtomic(join(dir, name), `${JSON.stringify({ ...r, at: new Date().toISOString() })}\n`);
  return name;
}

/**
 * The requests waiting, oldest first. A file that is not a request (hand-made, or from a newer tune) is
 * returned as a problem so the driver can acknowledge and drop it rather than read it forever.
 */
export function pendingRequests(sessionDir: string): { file: string; request: ControlRequest | null; problem: string | null }[] {
  let names: string[];
  try {
    names = readdirSync(requestsDir(sessionDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch {
    return [];
  }
  return names.map((file) => {
    try {
      const raw = JSON.parse(readFileSync(join(requestsDir(sessionDir), file), 'utf8')) as unknown;
      if (!isPlainObject(raw) || !['pause', 'continue', 'stop'].includes(raw.verb as string) || !Array.isArray(raw.trials) || !raw.trials.every((t) => typeof t === 'string')) {
        return { file, request: null, problem: 'not a request tune understands' };
      }
      return { file, request: { verb: raw.verb as RequestVerb, trials: raw.trials as string[] }, problem: null };
    } catch (err) {
      return { file, request: null, problem: (err as Error).message };
    }
  });
}

export function removeRequest(sessionDir: string, file: string): void {
  rmSync(join(requestsDir(sessionDir), file), { force: true });
}
