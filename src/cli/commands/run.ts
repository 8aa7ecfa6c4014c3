import { join, resolve } from 'node:path';
import { createScheduler, createSearcher } from '../../search/index.js';
import { describeSingleRun } from '../../spec/describe-trial.js';
import { strategyLabel } from '../../spec/strategy.js';
import { remember } from '../../session/trust.js';
import { loadSpecSchedules } from '../../schedule/trial-schedule.js';
import { loadDefaultSpec, loadSpecFile, type LoadedSpec } from '../../spec/load-spec.js';
import { makeSessionDir, newSessionName, sessionPaths } from '../../session/layout.js';
import { acquireLock } from '../../session/lock.js';
import { SESSION_SCHEMA, type SessionState } from '../../session/state.js';
import { SessionStore } from '../../session/store.js';
import type { Json } from '../../util/json.js';
import type { CliContext } from '../context.js';
import { driveSession } from '../drive.js';
import { trialArgv } from '../trial-argv.js';
import { chooseLauncher } from '../launcher-choice.js';
import { slurmJobName } from '../../orchestrator/slurm-launcher.js';
import type { LauncherType } from '../../spec/types.js';

export interface StartOptions {
  sessionsRoot: string | null;
  /** tune train: the schedule file to write completed flags back to. */
  scheduleWriteBack?: string | null;
  /** Runs once everything is checked, just before the session is created (tune train's backup). */
  beforeCreate?: () => void;
  /** tune train: one configuration, so the start line says what it trains instead of how it searches. */
  singleRun?: boolean;
  /** --launcher: where the trials run, whatever the spec says. */
  launcher?: LauncherType | null;
}

/** Creates, locks and drives a new session for a checked spec. Every check happens before any write. */
export async function startSession(loaded: LoadedSpec, label: string, opts: StartOptions, ctx: CliContext): Promise<number> {
  const { spec, source } = loaded;
  const argv = trialArgv(spec, source.baseDir, label, ctx.env);
  const schedules = loadSpecSchedules(spec, source.baseDir, label);
  const root = opts.sessionsRoot ? resolve(ctx.cwd, opts.sessionsRoot) : resolve(source.baseDir, spec.sessions_root);
  const name = newSessionName(new Date());
  const dir = join(root, spec.name, name);
  const { type: launcherType, launcher } = chooseLauncher(opts.launcher ?? null, undefined, spec, name, ctx.env);

  const searcher = createSearcher(spec);
  const scheduler = createScheduler(spec);
  const state: SessionState = {
    schema: SESSION_SCHEMA,
    id: name,
    experiment: spec.name,
    createdAt: new Date().toISOString(),
    status: 'running',
    spec,
    specRaw: loaded.raw as Json,
    specFile: source.file,
    specHash: loaded.hash,
    baseDir: source.baseDir,
    searcher: { type: spec.searcher.type, state: searcher.getState(), finished: false },
    scheduler: { type: spec.scheduler.type, state: scheduler.getState() },
    scheduleWriteBack: opts.scheduleWriteBack ?? null,
    schedules,
    trials: [],
    seq: 0,
  };
  opts.beforeCreate?.();
  makeSessionDir(dir);
  const lock = acquireLock(sessionPaths(dir).lock, dir);
  remember(dir, { spec, baseDir: source.baseDir, writeBack: opts.scheduleWriteBack ?? null }, ctx.env);
  const store = SessionStore.create(dir, state);
  store.append({ type: 'session_started', pid: process.pid, launcher: launcherType });
  if (opts.singleRun) {
    ctx.out(`tune: ${describeSingleRun(spec)}`);
    if (opts.scheduleWriteBack) ctx.out(`schedule: ${opts.scheduleWriteBack} (completed operations are written back to it)`);
  } else {
    ctx.out(`tune: experiment ${spec.name}, ${spec.num_trials} trial${spec.num_trials === 1 ? '' : 's'}, ${spec.concurrency} at a time, ${spec.metric} ${spec.mode}`);
    ctx.out(`strategy: ${strategyLabel(spec.searcher, spec.scheduler)}`);
  }
  ctx.out(`session: ${dir}`);
  if (launcherType === 'slurm') ctx.out(`trials run as Slurm jobs named ${slurmJobName(name, '<trial>')}`);
  return driveSession(store, lock, argv, ctx, { launcher });
}

export async function runCommand(opts: { spec: string | null; sessionsRoot: string | null; launcher?: LauncherType | null }, ctx: CliContext): Promise<number> {
  const loaded = opts.spec ? loadSpecFile(opts.spec, ctx.cwd) : loadDefaultSpec(ctx.cwd);
  return startSession(loaded, opts.spec ?? '<built-in default spec>', { sessionsRoot: opts.sessionsRoot, launcher: opts.launcher ?? null }, ctx);
}
