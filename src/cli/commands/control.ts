import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BadInputError, SessionLockedError } from '../../errors.js';
import { LocalLauncher } from '../../orchestrator/launcher.js';
import { Orchestrator } from '../../orchestrator/orchestrator.js';
import { createScheduler, createSearcher } from '../../search/index.js';
import { sessionPaths } from '../../session/layout.js';
import { acquireLock } from '../../session/lock.js';
import { writeRequest, type ControlRequest } from '../../session/requests.js';
import { loadSessionState, SessionStore } from '../../session/store.js';
import type { CliContext } from '../context.js';
import { applyRequest, requestProblems } from '../control.js';

const ACK_WAIT_MS = 5000;

/**
 * `tune pause|continue|stop DIR [TRIAL…]` from a second terminal. On a session a live tune drives, the
 * request goes into its requests/ folder and this waits (a few seconds at most) for the driver to
 * acknowledge it; on a session nobody drives, it is carried out here, under the session's lock.
 */
export async function controlCommand(opts: { dir: string } & ControlRequest, ctx: CliContext): Promise<number> {
  const dir = resolve(ctx.cwd, opts.dir);
  const request: ControlRequest = { verb: opts.verb, trials: opts.trials };
  const state = loadSessionState(dir);
  const problems = requestProblems(state, request);
  if (problems.length) throw new BadInputError(problems.map((p) => `${dir}: ${p}`));
  if (state.status === 'completed' || state.status === 'failed') throw new BadInputError(`${dir}: the session is ${state.status}; there is nothing to ${opts.verb}`);
  let lock;
  try {
    lock = acquireLock(sessionPaths(dir).lock, dir);
  } catch (err) {
    if (!(err instanceof SessionLockedError)) throw err;
    return askDriver(dir, request, ctx);
  }
  try {
    if (request.verb === 'pause' && request.trials.length === 0) {
      ctx.out(`${dir}: no tune drives this session, so it is already paused`);
      return 0;
    }
    const fresh = loadSessionState(dir); // again, under the lock
    const searcher = createSearcher(fresh.spec);
    const scheduler = createScheduler(fresh.spec);
    searcher.setState(fresh.searcher.state);
    scheduler.setState(fresh.scheduler.state);
    const store = SessionStore.open(dir, fresh);
    const o = new Orchestrator({ store, searcher, scheduler, launcher: new LocalLauncher(), trialArgv: [], trialCwd: fresh.baseDir, specLabel: fresh.specFile ?? 'the built-in default spec', offline: true });
    const outcome = applyRequest(o, request);
    store.append({ type: 'request_handled', file: '(direct)', verb: request.verb, trials: request.trials, outcome });
    store.close();
    ctx.out(`${dir}: ${outcome}`);
    return 0;
  } finally {
    lock.release();
  }
}

/** Leaves the request for the live driver and waits for its acknowledgement in the journal. */
async function askDriver(dir: string, request: ControlRequest, ctx: CliContext): Promise<number> {
  const file = writeRequest(dir, request);
  const end = Date.now() + ACK_WAIT_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const ack = acknowledgement(dir, file);
    if (ack !== null) {
      ctx.out(`${dir}: ${ack}`);
      return ack.startsWith('refused') ? 2 : 0;
    }
  }
  ctx.out(`${dir}: request written (${file}); the tune driving the session has not taken it yet and will when it can`);
  return 0;
}

function acknowledgement(dir: string, file: string): string | null {
  let text: string;
  try {
    text = readFileSync(sessionPaths(dir).events, 'utf8');
  } catch {
    return null;
  }
  const at = text.lastIndexOf(`"file":${JSON.stringify(file)}`);
  if (at < 0) return null;
  const line = text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at));
  try {
    return (JSON.parse(line) as { outcome: string }).outcome;
  } catch {
    return null;
  }
}
