import { createScheduler, createSearcher } from '../search/index.js';
import type { SessionLock } from '../session/lock.js';
import { resumeCommand } from '../session/resume-command.js';
import type { SessionStore } from '../session/store.js';
import { EXIT } from '../errors.js';
import { LocalLauncher } from '../orchestrator/launcher.js';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { PlainReporter } from '../ui/plain-reporter.js';
import type { CliContext } from './context.js';
import { resultsTable } from './results-view.js';

/**
 * Runs a session that is open and locked until it completes or pauses, then prints how it ended. The
 * last line of a pause is the command that resumes it (DESIGN §7).
 */
export async function driveSession(store: SessionStore, lock: SessionLock, trialArgv: string[], ctx: CliContext): Promise<number> {
  const state = store.state;
  const searcher = createSearcher(state.spec);
  searcher.setState(state.searcher.state);
  const scheduler = createScheduler(state.spec);
  scheduler.setState(state.scheduler.state);
  const orchestrator = new Orchestrator({ store, searcher, scheduler, launcher: new LocalLauncher(), trialArgv, trialCwd: state.baseDir });
  const reporter = new PlainReporter(store, ctx.out);

  let interrupts = 0;
  let quitBy: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      ctx.err(`${signal}: pausing at the next validation boundary (${signal === 'SIGINT' ? 'Ctrl+C' : signal} again quits at once)`);
      orchestrator.requestPause(signal);
    } else {
      quitBy = signal;
      ctx.err(`${signal}: quitting now; trials resume from their last checkpoints`);
      orchestrator.quit();
    }
  };
  if (ctx.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let outcome;
  try {
    outcome = await orchestrator.run();
  } finally {
    if (ctx.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    reporter.stop();
    store.close();
    lock.release();
  }

  if (outcome === 'paused') {
    const s = store.state;
    const paused = s.trials.filter((t) => t.status === 'paused').length;
    const pending = s.trials.filter((t) => t.status === 'pending').length;
    const done = s.trials.filter((t) => t.status === 'completed' || t.status === 'stopped').length;
    ctx.out('');
    ctx.out(`${quitBy ? 'Quit' : 'Paused'}: ${done} trials done, ${paused} paused, ${pending} pending, ${s.spec.num_trials - s.trials.length} not started. Session saved in ${store.dir}`);
    ctx.out('To resume exactly where it stopped, run:');
    ctx.out(resumeCommand(ctx.cwd, store.dir, ctx.scriptPath, ctx.env.PATH));
    return EXIT.paused;
  }
  ctx.out('');
  ctx.out(resultsTable(store.state));
  ctx.out('');
  ctx.out(`Session ${outcome} in ${store.dir}`);
  return outcome === 'completed' ? EXIT.completed : EXIT.internal;
}
