import { BadInputError } from '../errors.js';
import { createScheduler, createSearcher } from '../search/index.js';
import { validateSpec } from '../spec/validate.js';
import { isAbsolute } from 'node:path';
import { isPlainObject } from '../util/json.js';
import type { SessionState } from './state.js';

const SESSION_STATUSES = ['running', 'paused', 'completed', 'failed'];
const TRIAL_STATUSES = ['pending', 'running', 'paused', 'waiting', 'completed', 'stopped', 'failed'];
const DECISIONS = ['continue', 'pause', 'stop'];

/** A relative path that stays below its folder: no absolute path, no ".." step. */
export function insideRelative(path: string): boolean {
  return path !== '' && !isAbsolute(path) && !path.split(/[\\/]/).includes('..');
}

/**
 * Checks a loaded session deeply enough that resuming it cannot fail half-way: a hand-edited or damaged
 * session.json is refused before anything is written (DESIGN §5.4). Returns the problems, one line each.
 */
export function sessionProblems(raw: Record<string, unknown>, file: string): string[] {
  const problems: string[] = [];
  const say = (field: string, message: string) => problems.push(`${file}: ${field}: ${message}; the session was damaged or edited — restore session.json from a backup`);
  // Sessions written before schedules existed have none.
  if (raw.schedules === undefined) raw.schedules = {};
  if (!SESSION_STATUSES.includes(raw.status as string)) say('status', `is ${JSON.stringify(raw.status)}, but must be one of ${SESSION_STATUSES.join(', ')}`);
  try {
    // The stored spec is the validated one, defaults filled in: it must still pass the same checks.
    const spec = validateSpec(raw.spec, `${file} (spec)`, new Map(), 'session', undefined, { stored: true });
    raw.spec = spec;
  } catch (err) {
    for (const p of err instanceof BadInputError ? err.problems : [String(err)]) problems.push(`${p}; the session's spec was damaged or edited`);
    return problems;
  }
  const state = raw as unknown as SessionState;
  const searcher = raw.searcher as Record<string, unknown>;
  try {
    if (typeof searcher.finished !== 'boolean') throw new Error('finished must be true or false');
    createSearcher(state.spec).setState(state.searcher.state);
  } catch (err) {
    say('searcher.state', `cannot be restored (${(err as Error).message})`);
  }
  try {
    createScheduler(state.spec).setState(state.scheduler.state);
  } catch (err) {
    say('scheduler.state', `cannot be restored (${(err as Error).message})`);
  }
  (raw.trials as unknown[]).forEach((t, i) => {
    if (!isPlainObject(t)) return say(`trials.${i}`, 'must be an object');
    if (t.schedule === undefined) t.schedule = null;
    // Schema 1 had no delivery bookkeeping: everything it reported had reached its (stateless) strategies.
    if (t.delivered === undefined) t.delivered = t.iteration;
    if (t.verdict === undefined) t.verdict = null;
    if (t.place === undefined) t.place = null;
    if (t.streak === undefined) t.streak = 0;
    if (t.verdict !== null && !DECISIONS.includes(t.verdict as string)) say(`trials.${i}.verdict`, `is ${JSON.stringify(t.verdict)}, but must be null or one of ${DECISIONS.join(', ')}`);
    if (t.place !== null && typeof t.place !== 'string') say(`trials.${i}.place`, 'must be null or a string');
    const sch = t.schedule;
    if (sch !== null && (!isPlainObject(sch) || !Array.isArray(sch.ops) || !isPlainObject(sch.state) || !Array.isArray((sch.state as Record<string, unknown>).completed))) {
      say(`trials.${i}.schedule`, 'must be null or hold ops and a state with completed flags');
    } else if (sch !== null && (typeof sch.file !== 'string' || !insideRelative(sch.file) || sch.file.includes('/'))) {
      // tune rewrites this copy on every resume: a crafted name must not make it write outside the session.
      say(`trials.${i}.schedule.file`, `is ${JSON.stringify(sch.file)}, but must be a file name inside the trial's folder, like schedule.yaml`);
    }
    if (typeof t.id !== 'string' || !/^\d+$/.test(t.id)) say(`trials.${i}.id`, `is ${JSON.stringify(t.id)}, but must be a trial id like "0003"`);
    if (!TRIAL_STATUSES.includes(t.status as string)) say(`trials.${i}.status`, `is ${JSON.stringify(t.status)}, but must be one of ${TRIAL_STATUSES.join(', ')}`);
    if (!isPlainObject(t.config)) say(`trials.${i}.config`, 'must be an object');
    for (const k of ['index', 'seed', 'iteration', 'failures', 'streak', 'delivered']) {
      if (typeof t[k] !== 'number' || !Number.isInteger(t[k])) say(`trials.${i}.${k}`, `is ${JSON.stringify(t[k])}, but must be a whole number`);
    }
    if (t.previous !== undefined && t.previous !== null) {
      const pr = t.previous;
      if (!isPlainObject(pr) || typeof pr.path !== 'string' || typeof pr.sha256 !== 'string' || typeof pr.iteration !== 'number' || !insideRelative(pr.path)) {
        say(`trials.${i}.previous`, 'must be null or a checkpoint inside the trial\'s folder, with path, sha256 and iteration');
      }
    }
    const kept = t.bestCheckpoint;
    if (kept !== undefined && kept !== null) {
      if (!isPlainObject(kept) || typeof kept.path !== 'string' || typeof kept.sha256 !== 'string' || typeof kept.iteration !== 'number' || !insideRelative(kept.path)) {
        say(`trials.${i}.bestCheckpoint`, 'must be null or a checkpoint inside the trial\'s folder, with path, sha256 and iteration');
      }
    }
    const c = t.checkpoint;
    if (c !== null && c !== undefined) {
      if (!isPlainObject(c) || typeof c.path !== 'string' || typeof c.sha256 !== 'string' || typeof c.iteration !== 'number') {
        say(`trials.${i}.checkpoint`, 'must be null or have path, sha256 and iteration');
      } else if (!insideRelative(c.path)) {
        // A session from elsewhere must not make tune read (or hash) a file outside it (DESIGN §5.7).
        say(`trials.${i}.checkpoint.path`, `is ${JSON.stringify(c.path)}, but must be a path inside the trial's folder`);
      }
    }
  });
  return problems;
}
