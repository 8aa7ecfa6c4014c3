import { createScheduler, createSearcher } from '../search/index.js';
import type { SessionLock } from '../session/lock.js';
import { resumeCommand } from '../session/resume-command.js';
import type { SessionStore } from '../session/store.js';
import { EXIT } from '../errors.js';
import { describeFault } from '../session/fault.js';
import { LocalLauncher, type Launcher } from '../orchestrator/launcher.js';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { LiveView } from '../ui/live-view.js';
import type { MountedUi } from '../ui/mount.js';
import { listenForKeys } from '../ui/plain-keys.js';
import { PlainReporter } from '../ui/plain-reporter.js';
import type { ViewCommands } from '../ui/snapshot.js';
import type { CliContext } from './context.js';
import { resultsTable } from './results-view.js';
import { runOnPauseHook } from './on-pause-hook.js';
import { applyRequest } from './control.js';
import { pendingRequests, removeRequest } from '../session/requests.js';

/**
 * Runs a session that is open and locked until it completes or pauses, then prints how it ended. The
 * last line of a pause is the command that resumes it (DESIGN §7). The view is the Ink UI on a terminal,
 * the plain reporter otherwise; both only read the session's state and send commands.
 */
export async function driveSession(store: SessionStore, lock: SessionLock, trialArgv: string[], ctx: CliContext, opts: { retryFailed?: boolean; maxItersRaised?: boolean; launcher?: Launcher } = {}): Promise<number> {
  const state = store.state;
  const searcher = createSearcher(state.spec);
  const scheduler = createScheduler(state.spec);
  try {
    searcher.setState(state.searcher.state);
    scheduler.setState(state.scheduler.state);
  } catch (err) {
    store.close();
    lock.release();
    throw err;
  }
  const orchestrator = new Orchestrator({ store, searcher, scheduler, launcher: opts.launcher ?? new LocalLauncher(), trialArgv, trialCwd: state.baseDir, specLabel: state.specFile ?? 'the built-in default spec' });
  const plural = (ids: string[]) => `trial${ids.length === 1 ? '' : 's'} ${ids.join(', ')} from ${ids.length === 1 ? 'its' : 'their'}`;
  if (opts.retryFailed) {
    const retried = orchestrator.reopen('retry');
    ctx.out(retried.length ? `note: retrying failed ${plural(retried)} last checkpoint` : 'note: --retry-failed: no trial has failed');
  }
  if (opts.maxItersRaised) {
    const reopened = orchestrator.reopen('max_iters');
    if (reopened.length) ctx.out(`note: continuing completed ${plural(reopened)} final checkpoint to iteration ${state.spec.max_iters}`);
  }
  // Ink draws no live frame when it believes it runs in CI (CI or CONTINUOUS_INTEGRATION set, as its
  // is-in-ci decides): there the plain reporter shows progress instead of a screen that stays empty.
  const inCi = ['CI', 'CONTINUOUS_INTEGRATION'].some((k) => k in ctx.env && ctx.env[k] !== '0' && ctx.env[k] !== 'false');
  const useUi = ctx.stdoutIsTTY && ctx.stdinIsTTY && !inCi;
  const say = useUi ? () => {} : ctx.err;

  let interrupts = 0;
  let quitBy: string | null = null;
  let view: LiveView | null = null;
  const quit = (by: string) => {
    quitBy = by;
    orchestrator.quit();
    view?.refresh();
  };
  const pause = (by: string) => {
    orchestrator.requestPause(by);
    view?.refresh();
  };
  // Ctrl+C, SIGINT and SIGTERM: the first pauses gracefully, the second quits at once.
  const interrupt = (by: string) => {
    interrupts++;
    if (interrupts === 1) {
      say(`${by}: pausing at the next validation boundary (${by === 'SIGTERM' ? 'SIGTERM' : 'Ctrl+C'} again quits at once)`);
      pause(by);
    } else {
      say(`${by}: quitting now; trials resume from their last checkpoints`);
      quit(by);
    }
  };
  let finishing = false;
  // A signal that lands while the session is being closed must not kill the process half-way: the
  // handlers stay until the process exits, and ignore what comes after the run has ended.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!finishing) interrupt(signal);
  };
  if (ctx.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  let ui: MountedUi | null = null;
  let reporter: PlainReporter | null = null;
  let stopKeys: (() => void) | null = null;
  if (useUi) {
    view = new LiveView(store, { isPausing: () => orchestrator.isPausing, isQuitting: () => quitBy !== null, isHeld: (id) => orchestrator.isHeld(id) });
    const v = view;
    const commands: ViewCommands = {
      pause: () => pause('p'),
      interrupt: () => interrupt('Ctrl+C'),
      quit: () => quit('q'),
      toggleTrialPause: (id) => {
        if (orchestrator.isHeld(id)) orchestrator.releaseTrial(id);
        else orchestrator.pauseTrial(id);
        v.refresh();
      },
    };
    // Ink and React load only when they are shown: a piped run starts in a third of the time. React picks
    // its build when it loads; unless told otherwise it takes the development build, which the bench found
    // costs a third of the UI's CPU. Trials inherit tune's environment, so NODE_ENV is put back after.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = nodeEnv ?? 'production';
    const { mountUi } = await import('../ui/mount.js');
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    ui = mountUi(view, commands);
  } else {
    reporter = new PlainReporter(store, ctx.out);
    if (ctx.stdinIsTTY) stopKeys = listenForKeys(process.stdin, { pause: () => pause('p'), quit: () => quit('q'), interrupt: () => interrupt('Ctrl+C') });
  }

  // Requests from a second terminal (tune pause / continue / stop DIR …): read once, carried out,
  // acknowledged in the journal, then removed.
  const takeRequests = () => {
    for (const { file, request, problem } of pendingRequests(store.dir)) {
      const outcome = request ? applyRequest(orchestrator, request) : `ignored: ${problem}`;
      store.append({ type: 'request_handled', file, verb: request?.verb ?? '?', trials: request?.trials ?? [], outcome });
      removeRequest(store.dir, file);
      view?.refresh();
    }
  };
  const requestPoll = setInterval(takeRequests, 200);
  requestPoll.unref();
  setImmediate(takeRequests); // once the run has begun: a pause request then ends it as any pause does
  let outcome: Awaited<ReturnType<Orchestrator['run']>> | undefined;
  /**
   * The spec's on_pause hook, once the paused session is written and while tune still holds its lock (so
   * the hook sees the session as it will be resumed, and nothing else writes beside its log).
   */
  const hook = async () => {
    const argv = store.state.spec.on_pause;
    if (outcome !== 'paused' || !argv) return;
    const reason = orchestrator.haltReason ?? orchestrator.pauseReason ?? (quitBy ? `${quitBy}: quit` : 'paused');
    const problem = await runOnPauseHook({ argv, baseDir: store.state.baseDir, sessionDir: store.dir, resumeCommand: resumeCommand(ctx.cwd, store.dir, ctx.scriptPath, ctx.env.PATH), reason, env: ctx.env });
    if (problem) ctx.err(`tune: ${problem}`);
  };
  // Node ends a process whose event loop has nothing left even while the run's promise is pending (exit 13,
  // silently). That would be a bug of tune's: say what the run was waiting for, instead of nothing.
  const stalled = () => ctx.err(`tune: internal error: the run stalled with nothing left to wait for (${orchestrator.describeWait()})`);
  process.on('beforeExit', stalled);
  try {
    outcome = await orchestrator.run();
  } finally {
    process.off('beforeExit', stalled);
    finishing = true;
    // Each step runs whatever the one before did: the terminal is restored and the lock released always.
    clearInterval(requestPoll);
    const steps: (() => unknown)[] = [() => view?.stop(), () => ui?.close(), () => stopKeys?.(), () => reporter?.stop(), () => store.close(), () => hook(), () => lock.release()];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        ctx.err(`tune: while closing the session: ${(err as Error).message}`);
      }
    }
  }

  // Stopped for a reason that is no trial's failure (the disk, a trial that cannot run), or the disk refused
  // a write while closing: one line says what, the session stays resumable, and the exit code is 1 (DESIGN §7).
  // One empty line between the run's output and the ending. Ink, unmounting, already leaves one where its
  // frame was; a second made a gap of two in the terminal.
  const gap = () => {
    if (!useUi) ctx.out('');
  };
  const trouble = orchestrator.haltReason ?? (store.fault ? describeFault(store.fault) : null);
  if (trouble) ctx.err(`tune: ${trouble}`);
  if (outcome === 'paused') {
    const s = store.state;
    const paused = s.trials.filter((t) => t.status === 'paused').length;
    const waiting = s.trials.filter((t) => t.status === 'waiting').length;
    const pending = s.trials.filter((t) => t.status === 'pending').length;
    const done = s.trials.filter((t) => t.status === 'completed' || t.status === 'stopped').length;
    gap();
    const trials = (n: number) => `${n} trial${n === 1 ? '' : 's'}`;
    // Said when the spec paused it (pause_after, pause_when); a key or signal the user sent needs no telling.
    const why = !quitBy && !trouble && orchestrator.pauseReason && /^pause_/.test(orchestrator.pauseReason) ? ` by ${orchestrator.pauseReason}` : '';
    ctx.out(`${quitBy ? 'Quit' : trouble ? 'Halted' : 'Paused'}${why}: ${trials(done)} done, ${paused} paused, ${waiting ? `${waiting} waiting at a rung, ` : ''}${pending} pending, ${s.spec.num_trials - s.trials.length} not started. Session saved in ${store.dir}`);
    ctx.out('To resume exactly where it stopped, run:');
    ctx.out(resumeCommand(ctx.cwd, store.dir, ctx.scriptPath, ctx.env.PATH));
    return trouble ? EXIT.internal : EXIT.paused;
  }
  gap();
  ctx.out(resultsTable(store.state, { sessionDir: store.dir }));
  ctx.out('');
  ctx.out(`Session ${outcome} in ${store.dir}`);
  return outcome === 'completed' && !trouble ? EXIT.completed : EXIT.internal;
}
