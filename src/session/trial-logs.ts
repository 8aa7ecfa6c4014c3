import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { trialPaths } from './layout.js';

export interface LogTail {
  /** The log's size when read: the caller skips a read when it has not changed. */
  readonly size: number;
  readonly lines: readonly string[];
}

/**
 * The last `lines` lines of a trial's stdout.log, read from the end of the file: at most `maxBytes`
 * (a log grows without bound; a tail needs only its end). Returns `previous` unchanged when the file has
 * the size it had then, and no lines when there is no log yet.
 */
export function readLogTail(sessionDir: string, trialId: string, lines: number, previous: LogTail | null = null, maxBytes = 16 * 1024): LogTail {
  let fd: number;
  try {
    fd = openSync(trialPaths(sessionDir, trialId).stdout, 'r');
  } catch {
    return { size: 0, lines: [] };
  }
  try {
    const size = fstatSync(fd).size;
    if (previous && previous.size === size) return previous;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    let text = buf.subarray(0, got).toString('utf8');
    // Cut at the first newline when the read began mid-file: that line (or character) is incomplete.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return { size, lines: all.slice(-lines) };
  } finally {
    closeSync(fd);
  }
}
