import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { sessionPaths } from '../../session/layout.js';
import { processAlive } from '../../session/lock.js';
import { loadSessionState } from '../../session/store.js';
import type { SessionStatus } from '../../session/state.js';
import type { CliContext } from '../context.js';
import { resultsDocument, resultsTable } from '../results-view.js';

/** A session marked running whose driver is gone was interrupted: to a script it is paused (resumable). */
function effectiveStatus(dir: string, status: SessionStatus): SessionStatus {
  if (status !== 'running') return status;
  try {
    const info = JSON.parse(readFileSync(sessionPaths(dir).lock, 'utf8')) as { pid: number };
    return processAlive(info.pid) ? 'running' : 'paused';
  } catch {
    return 'paused';
  }
}

export function resultsCommand(opts: { dir: string; json: boolean }, ctx: CliContext): number {
  const dir = resolve(ctx.cwd, opts.dir);
  const state = loadSessionState(dir);
  const status = effectiveStatus(dir, state.status);
  if (opts.json) {
    ctx.out(JSON.stringify(resultsDocument(state, status), null, 2));
  } else {
    ctx.out(`session ${state.id} (${state.experiment}): ${status}`);
    ctx.out(resultsTable(state));
  }
  return 0;
}
