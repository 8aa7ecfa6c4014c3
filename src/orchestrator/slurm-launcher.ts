import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { SlurmOptions } from '../spec/types.js';
import { ENV, PROTOCOL_LINE_PREFIX, type Carrier, type TrialHandle } from '../trial/protocol.js';
import { decisionWriter, LineFanout, OVERLONG_LINE, type LaunchRequest, type Launcher, type TrialExit, type TrialProcess } from './launcher.js';
import { StdoutCarrier } from './stdout-carrier.js';

/*
 * Each trial runs as one `srun` job: srun asks for an allocation, runs the trial as the job's one step and
 * forwards its stdin, stdout and stderr, so the protocol needs no file polling on the shared filesystem:
 * decisions go down srun's stdin, protocol lines come up its stdout (the stdout carrier, DESIGN §4), and
 * srun's exit is the trial's exit. sbatch would leave tune nothing but files to talk through.
 *
 * tune never signals srun itself: srun answers a signal by SIGKILLing the task, so the trial's own handler
 * (a last checkpoint, a clean exit) would never run. Quit, a hung trial and a halted session all go through
 * `scancel`, which sends SIGTERM first and SIGKILL only after the cluster's KillWait. Each job is named after
 * its session and trial, so a job that is still queued (no id known yet) and the leftover job of a crashed
 * tune can be found and cancelled by name.
 */

/** What the wrapper prints before it becomes the trial: the job and node, as the first carrier line. */
const PLACED_MARK = '#slurm ';
const WRAPPER = `printf '%s%s%s %s\\n' '${PROTOCOL_LINE_PREFIX}' '${PLACED_MARK}' "$SLURM_JOB_ID" "$SLURMD_NODENAME"; exec "$@"`;

/** How often a cancellation is repeated while the job lingers: it may not have reached the controller yet. */
const CANCEL_REPEAT_MS = 2000;

/** Variables that would make srun run the trial as a step of tune's own allocation instead of its own job. */
const ALLOCATION_VARS = ['SLURM_JOB_ID', 'SLURM_JOBID'];

type SlurmHandle = Extract<TrialHandle, { launcher: 'slurm' }>;

/** The name of a trial's Slurm jobs: unique to its session (by the session name's random part) and trial. */
export function slurmJobName(sessionId: string, trialId: string): string {
  const tag = /_([0-9a-f]{6})$/.exec(sessionId)?.[1] ?? sessionId.replace(/[^A-Za-z0-9]+/g, '');
  return `tune.${tag}.${trialId}`;
}

/** The srun command line for one trial: the spec's resources, then what the protocol needs (last, so it wins). */
export function srunArgv(o: SlurmOptions, jobName: string, cwd: string, trialArgv: string[]): string[] {
  const wanted: [string, string | number | null][] = [
    ['--partition', o.partition], ['--time', o.time], ['--gres', o.gres], ['--cpus-per-task', o.cpus_per_task],
    ['--mem', o.mem], ['--account', o.account],
  ];
  return [
    ...o.extra_args,
    ...wanted.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`),
    `--job-name=${jobName}`, '--nodes=1', '--ntasks=1', '--export=ALL', `--chdir=${cwd}`,
    '/bin/sh', '-c', WRAPPER, 'tune-trial', ...trialArgv,
  ];
}

/** The user whose jobs tune may cancel: this process's own (scancel -u takes a uid). */
function user(): string {
  return String(process.getuid?.() ?? '');
}

/**
 * Asks Slurm to cancel jobs (SIGTERM first, as Slurm does). `failed` hears why when scancel could not reach
 * the controller (or could not run): its message, or the spawn error.
 */
function scancel(args: string[], env: NodeJS.ProcessEnv, failed: (why: string) => void): void {
  const c = spawn('scancel', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  c.on('error', (e: NodeJS.ErrnoException) => failed(`scancel cannot run (${e.code ?? e.message})`));
  c.on('close', (code) => {
    const why = stderr.trim().split('\n').pop()?.replace(/^scancel: error: /, '') || `scancel exited with code ${code}`;
    // A job that has just ended cannot be cancelled either: that is no failure, it is gone.
    if (code !== 0 && !/invalid job id|already completing|already finished/i.test(why)) failed(why);
  });
}

/** After a failed scancel, how long srun has to end its job's tasks on SIGTERM before it is killed outright. */
const SRUN_TERM_MS = 2000;

export class SlurmLauncher implements Launcher {
  constructor(
    private readonly options: SlurmOptions,
    private readonly sessionId: string,
  ) {}

  launch(req: LaunchRequest): TrialProcess {
    const name = slurmJobName(this.sessionId, req.trialId);
    const env: Record<string, string> = { ...req.env, [ENV.carrier]: 'stdout' satisfies Carrier };
    for (const k of ALLOCATION_VARS) delete env[k];
    const err = openSync(req.stderrPath, 'a');
    let child;
    try {
      child = spawn('srun', srunArgv(this.options, name, req.cwd, req.argv), {
        cwd: req.cwd,
        env,
        stdio: ['pipe', 'pipe', err],
        // Its own process group: a Ctrl+C at the terminal must reach tune alone, never srun (see above).
        detached: true,
      });
    } finally {
      closeSync(err);
    }

    let handle: SlurmHandle = { launcher: 'slurm', job: null, node: null };
    const handleListeners: ((h: TrialHandle) => void)[] = [];
    const lines = new LineFanout();
    let firstLine = true;
    const onCarrierLine = (line: string) => {
      if (firstLine) {
        firstLine = false;
        if (line.startsWith(PLACED_MARK)) {
          const [job, node] = line.slice(PLACED_MARK.length).split(' ');
          handle = { launcher: 'slurm', job: job || null, node: node || null };
          for (const l of handleListeners) l(handle);
          return;
        }
      }
      lines.deliver(line);
    };

    const finishStdout = splitStdout(child.stdout as Readable, req.stdoutPath, onCarrierLine, () => lines.deliver(OVERLONG_LINE));

    let repeat: NodeJS.Timeout | null = null;
    let gone = false;
    /** Set once scancel failed during a kill: why, and so what the trial's exit tells the orchestrator. */
    let unanswered: string | null = null;
    const cancelFailed = (why: string) => {
      if (gone || !repeat || unanswered !== null) return;
      // The controller is down or unreachable, so scancel cannot end the job: a quit would otherwise wait
      // for the trial's next boundary (or for ever). srun itself ends the tasks it started, through their
      // node's daemon, which needs no controller; that cuts the trial's own SIGTERM handler short.
      unanswered = why;
      child.kill('SIGTERM');
      setTimeout(() => gone || child.kill('SIGKILL'), SRUN_TERM_MS).unref();
    };
    child.on('exit', () => {
      // Killed so, srun can leave its output pipe open behind it for many seconds more (seen: 18 s), and
      // the trial's exit is only handled once its output is complete: take what came, then close it.
      if (unanswered !== null) setTimeout(() => child.stdout?.destroy(), 200).unref();
    });
    const cancel = () => scancel(handle.job ? [handle.job] : [`--name=${name}`, `--user=${user()}`], env, cancelFailed);

    let spawnError: string | null = null;
    const exited = new Promise<TrialExit>((resolve) => {
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError = `cannot start srun: ${e.code ?? e.message}; is Slurm's client on the PATH?`;
        gone = true;
        void finishStdout().then(() => resolve({ code: null, signal: null, spawnError }));
      });
      child.on('close', (code, signal) => {
        gone = true;
        if (repeat) clearInterval(repeat);
        // srun itself was killed (not by tune): its job may live on without it.
        if (signal !== null) cancel();
        // stdout.log is complete before the exit is handled (a failure quotes it, a test reads it).
        const note = unanswered === null ? undefined :
          `Slurm did not cancel ${handle.job ? `job ${handle.job}` : `the job named ${name}`} (${unanswered}), so tune ended srun itself; should the job still show in squeue once the controller is back, resuming the session cancels it, or scancel ${handle.job ?? `--name=${name}`} does`;
        void finishStdout().then(() => resolve({ code, signal, spawnError, ...(note ? { note } : {}) }));
      });
    });
    return {
      pid: child.pid ?? -1,
      get handle() {
        return handle;
      },
      onHandle: (l) => handleListeners.push(l),
      onLine: lines.add,
      send: decisionWriter(child.stdin as Writable),
      kill: () => {
        if (gone || repeat) return;
        cancel();
        repeat = setInterval(cancel, CANCEL_REPEAT_MS);
        repeat.unref();
      },
      exited,
    };
  }
}

/**
 * Sends a trial's stdout through the stdout carrier: protocol lines to `line`, everything else to its stdout.log
 * as it comes. When the disk is slower than the trial, srun's pipe waits (and through it the trial) rather
 * than tune's memory filling up. Returns what ends it, once the stream has ended.
 */
function splitStdout(stdout: Readable, logPath: string, line: (l: string) => void, tooLong: () => void): () => Promise<void> {
  const log = createWriteStream(logPath, { flags: 'a' });
  let broken = false;
  log.on('error', () => {
    // A full or failing disk: the output is lost, the trial goes on, and tune's own writes report the fault.
    broken = true;
    stdout.resume();
  });
  const carrier = new StdoutCarrier({
    line,
    tooLong,
    output: (bytes) => {
      if (broken) return;
      if (!log.write(bytes) && !stdout.isPaused()) {
        stdout.pause();
        log.once('drain', () => stdout.resume());
      }
    },
  });
  stdout.on('data', (chunk: Buffer) => carrier.push(chunk));
  let finished: Promise<void> | null = null;
  return () => {
    finished ??= new Promise<void>((resolve) => {
      carrier.end();
      if (broken) resolve();
      else log.end(() => resolve());
    });
    return finished;
  };
}

export interface LeftoverJob {
  job: string;
  name: string;
  state: string;
}

/** The jobs of this user with any of these names, still known to Slurm; null when squeue cannot be run. */
export function findJobs(names: string[], env: NodeJS.ProcessEnv): LeftoverJob[] | null {
  if (names.length === 0) return [];
  const r = spawnSync('squeue', ['--noheader', `--user=${user()}`, `--name=${names.join(',')}`, '--format=%i %j %T'], { env, encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [job, name, state] = l.trim().split(/\s+/);
    return { job, name, state };
  });
}

/**
 * Cancels the jobs a crashed tune left (resume does this before any trial starts again, so no old job
 * writes beside its successor) and waits until Slurm has ended them, up to `waitMs`. Returns what it found
 * and what is still there, or null when Slurm's commands cannot be run here.
 */
export function cancelLeftoverJobs(names: string[], env: NodeJS.ProcessEnv, waitMs = 120_000): { cancelled: LeftoverJob[]; lingering: LeftoverJob[] } | null {
  const found = findJobs(names, env);
  if (found === null) return null;
  if (found.length === 0) return { cancelled: [], lingering: [] };
  spawnSync('scancel', found.map((j) => j.job), { env, stdio: 'ignore' });
  let left: LeftoverJob[] = found;
  for (let waited = 0; waited < waitMs && left.length > 0; waited += 200) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    left = findJobs(names, env) ?? left;
  }
  return { cancelled: found, lingering: left };
}

/** Whether Slurm's client commands run here (they come as one package: srun stands for them all). */
export function slurmClientAvailable(env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync('srun', ['--version'], { env, stdio: 'ignore' });
  return !r.error && r.status === 0;
}
