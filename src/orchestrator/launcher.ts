import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

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
    let buffered = '';
    const proto = child.stdio[3] as Readable;
    proto.setEncoding('utf8');
    proto.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') for (const l of listeners) l(line);
      }
    });
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
