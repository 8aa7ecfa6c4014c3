import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** How long an on_pause hook may run before it is stopped. */
export const HOOK_TIME_LIMIT_S = 60;

export interface HookRun {
  argv: string[];
  /** The spec's folder: the hook runs there, and a program with a "/" is relative to it (DESIGN §7). */
  baseDir: string;
  sessionDir: string;
  resumeCommand: string;
  reason: string;
  env: NodeJS.ProcessEnv;
  timeLimitS?: number;
}

/**
 * Runs the spec's on_pause hook once the session is written: argv as given (a shell only if it names one),
 * with TUNE_SESSION_DIR, TUNE_RESUME_COMMAND and TUNE_PAUSE_REASON set, its output appended to on_pause.log
 * in the session. Never throws: returns null when the hook succeeded, else what went wrong, in one line.
 */
export function runOnPauseHook(h: HookRun): Promise<string | null> {
  const log = join(h.sessionDir, 'on_pause.log');
  const limit = h.timeLimitS ?? HOOK_TIME_LIMIT_S;
  let fd: number;
  try {
    fd = openSync(log, 'a');
    writeSync(fd, `# ${new Date().toISOString()} on_pause ${JSON.stringify(h.argv)} (${h.reason})\n`);
  } catch (err) {
    return Promise.resolve(`on_pause: cannot write ${log}: ${(err as Error).message}`);
  }
  const [program, ...args] = h.argv;
  const file = program.includes('/') ? resolve(h.baseDir, program) : program;
  return new Promise((done) => {
    let timedOut = false;
    const child = spawn(file, args, {
      cwd: h.baseDir,
      env: { ...h.env, TUNE_SESSION_DIR: h.sessionDir, TUNE_RESUME_COMMAND: h.resumeCommand, TUNE_PAUSE_REASON: h.reason },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* gone */ }
    }, limit * 1000);
    const finish = (problem: string | null) => {
      clearTimeout(timer);
      closeSync(fd);
      done(problem);
    };
    child.on('error', (err) => finish(`on_pause ${JSON.stringify(program)} could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (timedOut) finish(`on_pause ran longer than ${limit} s and was stopped; its output is in ${log}`);
      else if (code !== 0) finish(`on_pause exited with ${signal ?? `code ${code}`}; its output is in ${log}`);
      else finish(null);
    });
  });
}
