import { resolve } from 'node:path';
import { BadInputError } from '../../errors.js';
import { SessionFollower } from '../../session/follower.js';
import { effectiveStatus, isSessionDir } from '../../session/listing.js';
import { LiveView } from '../../ui/live-view.js';
import type { CliContext } from '../context.js';
import { resultsTable } from '../results-view.js';

/**
 * `tune view DIR`: the live view of a session, read-only: on a paused or completed one as it stands, on a
 * live one following it as it runs (its journal, polled). Nothing on disk changes: files are opened to
 * read, no lock is taken, and the keys that would change a run do nothing. q, Esc from the table, or
 * Ctrl+C leave. Without a terminal it prints the results table once.
 */
export async function viewCommand(opts: { dir: string }, ctx: CliContext): Promise<number> {
  const dir = resolve(ctx.cwd, opts.dir);
  if (!isSessionDir(dir)) throw new BadInputError(`${dir}: not a tune session (no session.json); tune ls lists the sessions under a folder`);
  const follower = new SessionFollower(dir);
  const live = effectiveStatus(dir, follower.state.status) === 'running';
  if (!(ctx.stdoutIsTTY && ctx.stdinIsTTY)) {
    ctx.out(resultsTable(follower.state, { sessionDir: dir }));
    return 0;
  }
  const pausing = () => live && follower.state.pauseReason != null;
  const view = new LiveView(follower, { isPausing: pausing, isQuitting: () => false, isHeld: (id) => follower.state.trials.find((t) => t.id === id)?.held === true }, true);
  if (live) follower.follow();
  let leave: () => void = () => {};
  const left = new Promise<void>((r) => (leave = r));
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = nodeEnv ?? 'production';
  const { mountUi } = await import('../../ui/mount.js');
  if (nodeEnv === undefined) delete process.env.NODE_ENV;
  const ui = mountUi(view, { pause: () => {}, interrupt: () => leave(), quit: () => leave(), toggleTrialPause: () => {} });
  const onSignal = () => leave();
  if (ctx.handleSignals) process.on('SIGINT', onSignal);
  await left;
  if (ctx.handleSignals) process.off('SIGINT', onSignal);
  follower.stop();
  view.stop();
  await ui.close();
  return 0;
}
