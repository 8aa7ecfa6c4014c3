import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/**
 * The longest protocol line tune reads, in bytes (without its newline). The longest legitimate message is a
 * report with many metrics or a checkpoint with a long path: a few kilobytes at most, so 1 MiB leaves
 * room to spare while a trial that writes to fd 3 without newlines (binary data, a runaway print) costs
 * tune at most this much memory instead of everything it writes.
 */
export const MAX_PROTOCOL_LINE_BYTES = 1024 * 1024;

/**
 * What a line over the limit is delivered as, in place of the line: it is not JSON, so the orchestrator
 * treats it like any malformed line (a protocol error: it kills the trial, which fails with this text).
 * It must stay within the first 120 characters that a parse error quotes.
 */
export const OVERLONG_LINE = `line longer than the protocol's limit of ${MAX_PROTOCOL_LINE_BYTES / 1024 / 1024} MiB (${MAX_PROTOCOL_LINE_BYTES} bytes); tune did not read the rest`;

export interface LaunchRequest {
  trialId: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
}

export interface TrialExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all. */
  spawnError: string | null;
}

/** A running trial as the orchestrator sees it: protocol lines in, decisions out, an exit. */
export interface TrialProcess {
  readonly pid: number;
  /** Each protocol line, without its line end; one over MAX_PROTOCOL_LINE_BYTES arrives as OVERLONG_LINE. */
  onLine(listener: (line: string) => void): void;
  send(line: string): void;
  /** Ends the trial and everything it started, at once. */
  kill(): void;
  readonly exited: Promise<TrialExit>;
}

/** How trial processes are started: local spawn today, a cluster engine later (DESIGN §4). */
export interface Launcher {
  launch(req: LaunchRequest): TrialProcess;
}

/**
 * Starts each trial as a local child in its own process group, so a Ctrl+C typed at the terminal reaches
 * tune alone (tune then pauses the trials cleanly) and `kill` can end the trial's own children too.
 * stdout and stderr go straight to the trial's log files; file descriptor 3 carries the protocol.
 */
export class LocalLauncher implements Launcher {
  launch(req: LaunchRequest): TrialProcess {
    const out = openSync(req.stdoutPath, 'a');
    const err = openSync(req.stderrPath, 'a');
    let child;
    try {
      child = spawn(req.argv[0], req.argv.slice(1), {
        cwd: req.cwd,
        env: req.env,
        stdio: ['pipe', out, err, 'pipe'],
        detached: true,
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const listeners: ((line: string) => void)[] = [];
    const deliver = (line: string) => {
      for (const l of listeners) l(line);
    };
    const reader = new ProtocolLineReader(deliver, () => deliver(OVERLONG_LINE));
    const proto = child.stdio[3] as Readable;
    proto.on('data', (chunk: Buffer) => reader.push(chunk));
    const stdin = child.stdin as Writable;
    stdin.on('error', () => {
      // The trial exited before reading its decision; its exit is handled on 'close'.
    });
    let spawnError: string | null = null;
    const exited = new Promise<TrialExit>((resolve) => {
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = `cannot start ${JSON.stringify(req.argv[0])}: ${e.code ?? e.message}`;
        resolve({ code: null, signal: null, spawnError });
      });
      // 'close' waits for the protocol pipe to drain, so no message is lost after an exit.
      child.on('close', (code, signal) => resolve({ code, signal, spawnError }));
    });
    const pid = child.pid ?? -1;
    return {
      pid,
      onLine: (l) => listeners.push(l),
      send: (line) => {
        if (!stdin.destroyed && stdin.writable) stdin.write(line + '\n');
      },
      kill: () => {
        if (pid <= 0) return;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      },
      exited,
    };
  }
}

/**
 * Splits the bytes of the protocol pipe into lines, in time linear in what was written: each chunk is
 * scanned once for newlines, the pieces of a line are kept as they came and joined once when it ends.
 * It splits bytes, not text: a newline byte never occurs inside a multi-byte UTF-8 character, and a line
 * is decoded only when whole, so a character cut across two writes reads correctly. Lines end at "\n"
 * only; a "\r" before it is dropped, and blank lines are skipped. A line that grows past `limit` bytes is
 * reported once through `onTooLong`, and its bytes are dropped up to its newline, so a trial that never
 * writes one costs no memory however much it writes.
 */
export class ProtocolLineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
    private readonly limit = MAX_PROTOCOL_LINE_BYTES,
  ) {}

  /** Bytes of the unfinished line kept so far: never more than the limit. */
  get held(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.add(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
  }

  private add(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    // A "\r" that ends the line is no part of it; counted here, it cannot push a line at the limit over.
    const counted = this.size + piece.length - (piece[piece.length - 1] === 0x0d ? 1 : 0);
    if (counted > this.limit) {
      this.parts = [];
      this.size = 0;
      this.discarding = true;
      this.onTooLong();
      return;
    }
    this.parts.push(piece);
    this.size += piece.length;
  }

  private endLine(): void {
    const parts = this.parts;
    const size = this.size;
    this.parts = [];
    this.size = 0;
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const line = bytes.toString('utf8');
    if (line.trim() !== '') this.onLine(line);
  }
}
