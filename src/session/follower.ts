import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { sessionPaths } from './layout.js';
import { applyEvent, type SessionEvent, type SessionState } from './state.js';
import { loadSessionState } from './store.js';

const POLL_MS = 250;

/**
 * A session read and followed without ever writing to it (tune view): its state as loaded, then every
 * whole line appended to its journal, folded in as the driving tune folds it, and told to listeners. It
 * opens files read-only and takes no lock, so a live tune goes on undisturbed.
 */
export class SessionFollower {
  readonly state: SessionState;
  private offset: number;
  private readonly listeners: ((ev: SessionEvent) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly dir: string) {
    this.state = loadSessionState(dir);
    this.offset = journalSize(dir);
  }

  onEvent(listener: (ev: SessionEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Starts following the journal; stop() ends it. */
  follow(): void {
    this.timer ??= setInterval(() => this.poll(), POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads what was appended since the last look; a torn last line waits for its end. */
  poll(): void {
    const file = sessionPaths(this.dir).events;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(10);
      if (end < 0) return;
      this.offset += end + 1;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (!line) continue;
        let ev: SessionEvent;
        try {
          ev = JSON.parse(line) as SessionEvent;
        } catch {
          continue; // a damaged line: the driver never wrote it this way; the view skips it
        }
        if (typeof ev.seq !== 'number' || ev.seq <= this.state.seq) continue;
        try {
          applyEvent(this.state, ev);
        } catch {
          continue;
        }
        for (const l of this.listeners) l(ev);
      }
    } finally {
      closeSync(fd);
    }
  }
}

function journalSize(dir: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(sessionPaths(dir).events, 'r');
    const size = fstatSync(fd).size;
    // Only whole lines were folded in by loading; a torn tail is read again once it is whole.
    const buf = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const nl = buf.lastIndexOf(10);
    return nl < 0 ? size - buf.length : size - buf.length + nl + 1;
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
