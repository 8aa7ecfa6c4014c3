import { relative, resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { effectiveStatus, findSessions, isSessionDir, listSessions, type SessionEntry } from '../../session/listing.js';
import { loadSessionState } from '../../session/store.js';
import { formatNumber, plural, table } from '../../ui/format.js';
import type { CliContext } from '../context.js';
import { resultsDocument, resultsTable } from '../results-view.js';

/** How to name a folder to the user: relative to where they are when it is inside, else absolute. */
function shown(cwd: string, dir: string): string {
  const rel = relative(cwd, dir);
  return rel && !rel.startsWith('..') && !rel.startsWith('/') ? rel : dir;
}

function listing(entries: readonly SessionEntry[], cwd: string): string[] {
  const rows = entries.map((e) => [
    e.name, e.experiment, e.status, e.status === 'unreadable' ? '-' : `${e.done}/${e.numTrials}`,
    e.best ? `${e.metric} ${formatNumber(e.best.value)} (${e.best.trial})` : '-',
  ]);
  const lines = [table(['session', 'experiment', 'status', 'done', 'best'], rows, [false, false, false, true, false])];
  for (const e of entries) if (e.problem) lines.push(`${e.name}: ${e.problem}`);
  const last = entries[entries.length - 1];
  lines.push('', `To see one: tune results ${shown(cwd, last.dir)}   (add --json for a script)`);
  return lines;
}

export function resultsCommand(opts: { dir: string; json: boolean }, ctx: CliContext): number {
  const dir = resolve(ctx.cwd, opts.dir);
  if (!isSessionDir(dir)) {
    const found = findSessions(dir);
    if (found.length === 0) return resultsOfOne(dir, opts.json, ctx); // says what is wrong with the folder
    const entries = listSessions(found);
    if (opts.json) {
      ctx.out(JSON.stringify({ sessions: entries.map((e) => ({ dir: e.dir, session: e.name, experiment: e.experiment, status: e.status, trials: e.trials, num_trials: e.numTrials, done: e.done, best: e.best ? { trial: e.best.trial, value: e.best.value } : null, metric: e.metric || null })) }, null, 2));
      return 0;
    }
    ctx.out(`${shown(ctx.cwd, dir)} holds ${plural(entries.length, 'session')}, oldest first:`);
    for (const l of listing(entries, ctx.cwd)) ctx.out(l);
    return 0;
  }
  return resultsOfOne(dir, opts.json, ctx);
}

function resultsOfOne(dir: string, json: boolean, ctx: CliContext): number {
  let state;
  try {
    state = loadSessionState(dir);
  } catch (err) {
    // Not a session and none inside: say so in words that fit `tune results`, not resume's.
    if (err instanceof BadInputError && !isSessionDir(dir) && /session\.json is missing/.test(err.message)) {
      throw new BadInputError(`${dir}: no tune session here, and no session folders inside; give a session folder (sessions/<experiment>/session_…) or a folder that holds them`);
    }
    throw err;
  }
  const status = effectiveStatus(dir, state.status);
  if (json) {
    ctx.out(JSON.stringify(resultsDocument(state, status, dir), null, 2));
  } else {
    ctx.out(`session ${state.id} (${state.experiment}): ${status}`);
    ctx.out(resultsTable(state, { sessionDir: dir }));
  }
  return 0;
}
