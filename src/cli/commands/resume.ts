import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { restartPoint } from '../../session/trial-files.js';
import { sessionPaths, trialPaths } from '../../session/layout.js';
import { acquireLock, processAlive } from '../../session/lock.js';
import type { SessionState } from '../../session/state.js';
import { loadSessionState, SessionStore } from '../../session/store.js';
import { ENV } from '../../trial/protocol.js';
import type { CliContext } from '../context.js';
import { driveSession } from '../drive.js';
import { resultsTable } from '../results-view.js';
import { trialArgv } from '../trial-argv.js';
import { gridSize } from '../../search/space.js';
import { describeReach, isTrusted, remember } from '../../session/trust.js';
import type { LauncherType } from '../../spec/types.js';
import { chooseLauncher } from '../launcher-choice.js';
import { cancelSlurmLeftovers } from '../slurm-leftovers.js';

/**
 * Every checkpoint a resume will start from must be there, inside the session, and match the checksum
 * recorded when it was made; a damaged newest one falls back to the intact one before it. Returns those
 * fallbacks, to be journalled once the session is open.
 */
function verifyCheckpoints(state: SessionState, dir: string, reopens: { retryFailed: boolean; longer: boolean }): { id: string; reason: string }[] {
  const problems: string[] = [];
  const fallbacks: { id: string; reason: string }[] = [];
  const resumes = ['pending', 'paused', 'running', 'waiting', ...(reopens.retryFailed ? ['failed'] : []), ...(reopens.longer ? ['completed'] : [])];
  for (const t of state.trials) {
    if (!resumes.includes(t.status)) continue;
    const r = restartPoint(dir, t);
    if (r.kind === 'fallback') fallbacks.push({ id: t.id, reason: r.reason });
    if (r.kind === 'broken') problems.push(`${r.reason}; restore it from a backup, or the trial cannot resume`);
  }
  if (problems.length) throw new BadInputError(problems);
  return fallbacks;
}

/**
 * tune never makes a symbolic link inside a session, so one there was made by someone: followed, it would
 * let a session from elsewhere make tune append to, write or delete files outside it (DESIGN §5.7).
 */
function refuseLinks(dir: string): void {
  const problems: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) problems.push(`${p}: is a symbolic link (to ${readlinkSync(p)}); tune makes none in a session, so it was added by hand — remove it to resume`);
      else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  if (problems.length) throw new BadInputError(problems.slice(0, 10));
}

/** A trial process of a crashed tune may still be running; it must not write beside its successor. */
function killStray(pid: number | null, trialDir: string): boolean {
  if (!pid || !processAlive(pid)) return false;
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (!environ.includes(`${ENV.trialDir}=${trialDir}`)) return false; // the pid was reused by someone else
  } catch {
    return false;
  }
  try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  return true;
}

/**
 * Why `--max-iters n` cannot apply: no trial may already be past it, evaluations must still fall inside it,
 * and a multi-fidelity scheduler's rungs were laid out for the old budget (its max_t).
 */
function maxItersProblem(state: SessionState, dir: string, n: number): string | null {
  if (n < 1) return `--max-iters is ${n}, but must be at least 1`;
  const furthest = state.trials.reduce((m, t) => Math.max(m, t.iteration), 0);
  if (n < furthest) return `--max-iters is ${n}, but a trial of ${dir} is already at iteration ${furthest}; give at least ${furthest}`;
  if (n < state.spec.eval_interval) return `--max-iters is ${n}, below the session's eval_interval (${state.spec.eval_interval}); a trial would never be evaluated`;
  if (n !== state.spec.max_iters && state.spec.scheduler.type !== 'fifo') {
    return `--max-iters cannot change a session under the ${state.spec.scheduler.type} scheduler: its rungs were laid out for max_t ${state.spec.max_iters}; start a new search with the larger budget`;
  }
  return null;
}

/** Why `--num-trials n` cannot apply to this session, or null (LESSONS: resume with a bigger budget). */
function budgetProblem(state: SessionState, dir: string, n: number): string | null {
  if (n < 1) return `--num-trials is ${n}, but must be at least 1`;
  if (n < state.trials.length) return `--num-trials is ${n}, but ${dir} already has ${state.trials.length} trials; give at least ${state.trials.length}`;
  if (state.spec.searcher.type === 'grid') {
    const size = gridSize(state.spec.search_space);
    if (n > size) return `--num-trials is ${n}, but the session's grid has only ${size} points`;
  }
  return null;
}

export interface ResumeOptions {
  dir: string;
  numTrials: number | null;
  maxIters?: number | null;
  concurrency?: number | null;
  trust?: boolean;
  retryFailed?: boolean;
  launcher?: LauncherType | null;
  takeOverLock?: boolean;
}

export async function resumeCommand(opts: ResumeOptions, ctx: CliContext): Promise<number> {
  const dir = resolve(ctx.cwd, opts.dir);
  const before = loadSessionState(dir);
  const grow = opts.numTrials !== null && opts.numTrials !== before.spec.num_trials;
  const maxIters = opts.maxIters ?? null;
  const concurrency = opts.concurrency ?? null;
  const problems = [
    opts.numTrials !== null ? budgetProblem(before, dir, opts.numTrials) : null,
    maxIters !== null ? maxItersProblem(before, dir, maxIters) : null,
    concurrency !== null && concurrency < 1 ? `--concurrency is ${concurrency}, but must be at least 1` : null,
  ].filter((p): p is string => p !== null);
  if (problems.length) throw new BadInputError(problems);
  const longer = maxIters !== null && maxIters > before.spec.max_iters;
  const retry = opts.retryFailed === true && before.trials.some((t) => t.status === 'failed');
  if ((before.status === 'completed' || before.status === 'failed') && !retry && !longer && !(grow && (opts.numTrials as number) > before.trials.length)) {
    ctx.out(`Session ${before.id} is already ${before.status}; nothing to resume.`);
    ctx.out(resultsTable(before, { sessionDir: dir }));
    return 0;
  }
  const label = before.specFile ?? '<built-in default spec>';
  // A session from someone else (copied, shared, attached to a bug report) runs no code until this user
  // says so (DESIGN §5.7); the check comes before anything is looked up, locked or written.
  refuseLinks(dir);
  const reach = { spec: before.spec, baseDir: before.baseDir, writeBack: before.scheduleWriteBack ?? null };
  if (!isTrusted(dir, reach, ctx.env)) {
    if (!opts.trust) {
      throw new BadInputError(`${dir}: this session ${describeReach(reach)}, and you did not create it here; read what it does, then resume with --trust to allow it`);
    }
    remember(dir, reach, ctx.env);
  }
  const argv = trialArgv(before.spec, before.baseDir, label, ctx.env);
  const { type: launcherType, launcher } = chooseLauncher(opts.launcher ?? null, before.launcher, before.spec, before.id, ctx.env);
  const lock = acquireLock(sessionPaths(dir).lock, dir, { takeOverForeign: opts.takeOverLock === true });
  let store: SessionStore;
  let fallbacks: { id: string; reason: string }[] = [];
  try {
    const state = loadSessionState(dir); // again, under the lock
    fallbacks = verifyCheckpoints(state, dir, { retryFailed: opts.retryFailed === true, longer });
    store = SessionStore.open(dir, state);
  } catch (err) {
    lock.release();
    throw err;
  }
  const notes: string[] = [];
  if (lock.tookOver) notes.push(`took over ${lock.tookOver}`);
  for (const f of fallbacks) {
    store.append({ type: 'checkpoint_fallback', id: f.id, reason: f.reason });
    notes.push(f.reason);
  }
  notes.push(...cancelSlurmLeftovers(store.state, ctx.env));
  for (const t of store.state.trials) {
    if (t.status !== 'running') continue;
    // A Slurm trial's pid is its srun client's: killing that would SIGKILL the job; scancel ended it above.
    if (t.handle?.launcher !== 'slurm' && killStray(t.pid, trialPaths(dir, t.id).dir)) notes.push(`stopped trial ${t.id}'s leftover process ${t.pid}`);
    store.append({ type: 'trial_interrupted', id: t.id });
  }
  store.files.clearPauseSignal();
  const swept = store.files.sweepLeftovers();
  if (swept > 0) notes.push(`removed ${swept} temporary file${swept === 1 ? '' : 's'} a crash left behind`);
  // Recorded in the session's history (tune results shows it); without these flags resume stays exact.
  const change: { num_trials?: number; max_iters?: number; concurrency?: number } = {};
  if (grow) change.num_trials = opts.numTrials as number;
  if (maxIters !== null && maxIters !== store.state.spec.max_iters) change.max_iters = maxIters;
  if (concurrency !== null && concurrency !== store.state.spec.concurrency) change.concurrency = concurrency;
  for (const [k, v] of Object.entries(change)) notes.push(`${k} ${store.state.spec[k as keyof typeof change]} -> ${v}`);
  if (Object.keys(change).length) store.append({ type: 'budget_changed', ...change });
  store.append({ type: 'session_resumed', pid: process.pid, launcher: launcherType, ...(notes.length ? { note: notes.join('; ') } : {}) });
  const s = store.state;
  const toContinue = s.trials.filter((t) => t.status === 'paused' || t.status === 'pending' || t.status === 'waiting');
  const n = (k: number) => `${k} trial${k === 1 ? '' : 's'}`;
  ctx.out(`tune: resuming ${s.experiment} (${s.id}): ${n(toContinue.length)} to continue, ${s.spec.num_trials - s.trials.length} not started`);
  for (const n of notes) ctx.out(`note: ${n}`);
  return driveSession(store, lock, argv, ctx, { retryFailed: opts.retryFailed === true, maxItersRaised: longer, launcher });
}
