import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ENV, type Carrier, type TrialHandle } from '../trial/protocol.js';
import { MAX_PROTOCOL_LINE_BYTES, OVERLONG_LINE, ProtocolLineReader } from './protocol-line-reader.js';

export { MAX_PROTOCOL_LINE_BYTES, OVERLONG_LINE, ProtocolLineReader };

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
  /** What the launcher had to do out of the ordinary to end the trial, for the journal (a Slurm controller down). */
  note?: string;
}

/** A running trial as the orchestrator sees it: protocol lines in, decisions out, an exit. */
export interface TrialProcess {
  /** The local process tune talks to: the trial itself, or the cluster engine's client (srun). */
  readonly pid: number;
  /** How the trial is known outside tune, as far as known at launch (DESIGN §4). */
  readonly handle: TrialHandle;
  /** Called when the handle becomes fully known later (a Slurm job has started on a node). */
  onHandle(listener: (handle: TrialHandle) => void): void;
  /** Each protocol line, without its line end; one over MAX_PROTOCOL_LINE_BYTES arrives as OVERLONG_LINE. */
  onLine(listener: (line: string) => void): void;
  send(line: string): void;
  /** Ends the trial and everything it started, the way its launcher ends things (at once, or SIGTERM first). */
  kill(): void;
  readonly exited: Promise<TrialExit>;
}

/** How trial processes are started: local spawn, or one job of a cluster engine each (DESIGN §4). */
export interface Launcher {
  launch(req: LaunchRequest): TrialProcess;
}

/** Fans protocol lines out to whoever listens, in order. */
export class LineFanout {
  private readonly listeners: ((line: string) => void)[] = [];
  readonly add = (l: (line: string) => void): void => {
    this.listeners.push(l);
  };
  readonly deliver = (line: string): void => {
    for (const l of this.listeners) l(line);
  };
}

/** Writes decisions to a trial's stdin; once the trial is gone, they are dropped (its exit tells the rest). */
export function decisionWriter(stdin: Writable): (line: string) => void {
  stdin.on('error', () => {
    // The trial exited before reading its decision; its exit is handled on 'close'.
  });
  return (line) => {
    if (!stdin.destroyed && stdin.writable) stdin.write(line + '\n');
  };
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
        env: { ...req.env, [ENV.carrier]: 'fd3' satisfies Carrier },
        stdio: ['pipe', out, err, 'pipe'],
        detached: true,
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const lines = new LineFanout();
    const reader = new ProtocolLineReader(lines.deliver, () => lines.deliver(OVERLONG_LINE));
    const proto = child.stdio[3] as Readable;
    proto.on('data', (chunk: Buffer) => reader.push(chunk));
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
      handle: { launcher: 'local', pid },
      onHandle: () => {}, // known at once
      onLine: lines.add,
      send: decisionWriter(child.stdin as Writable),
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
