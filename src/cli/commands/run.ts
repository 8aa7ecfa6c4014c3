import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createScheduler, createSearcher } from '../../search/index.js';
import { loadDefaultSpec, loadSpecFile } from '../../spec/load-spec.js';
import { newSessionName, sessionPaths } from '../../session/layout.js';
import { acquireLock } from '../../session/lock.js';
import { SESSION_SCHEMA, type SessionState } from '../../session/state.js';
import { SessionStore } from '../../session/store.js';
import type { Json } from '../../util/json.js';
import type { CliContext } from '../context.js';
import { driveSession } from '../drive.js';
import { trialArgv } from '../trial-argv.js';
import { loadSpecSchedules } from '../../schedule/trial-schedule.js';

export async function runCommand(opts: { spec: string | null; sessionsRoot: string | null }, ctx: CliContext): Promise<number> {
  const loaded = opts.spec ? loadSpecFile(opts.spec, ctx.cwd) : loadDefaultSpec(ctx.cwd);
  const { spec, source } = loaded;
  const label = opts.spec ?? '<built-in default spec>';
  const argv = trialArgv(spec, source.baseDir, label, ctx.env);
  const schedules = loadSpecSchedules(spec, source.baseDir, label);
  const root = opts.sessionsRoot ? resolve(ctx.cwd, opts.sessionsRoot) : resolve(source.baseDir, spec.sessions_root);
  const name = newSessionName(new Date());
  const dir = join(root, spec.name, name);

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
    searcher: { type: spec.searcher, state: searcher.getState(), finished: false },
    scheduler: { type: spec.scheduler, state: scheduler.getState() },
    schedules,
    trials: [],
    seq: 0,
  };
  mkdirSync(root, { recursive: true });
  mkdirSync(join(root, spec.name), { recursive: true });
  mkdirSync(dir);
  const lock = acquireLock(sessionPaths(dir).lock, dir);
  const store = SessionStore.create(dir, state);
  store.append({ type: 'session_started', pid: process.pid });
  ctx.out(`tune: experiment ${spec.name}, ${spec.num_trials} trials (${spec.searcher} search, ${spec.concurrency} at a time), ${spec.metric} ${spec.mode}`);
  ctx.out(`session: ${dir}`);
  return driveSession(store, lock, argv, ctx);
}
