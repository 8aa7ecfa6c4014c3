import { strategyLabel } from '../spec/strategy.js';
import { dump } from 'js-yaml';
import { bestTrial, type SessionState } from './state.js';

/** session.summary.yaml: the session for people to read; never read back by tune. */
export function renderSummary(state: SessionState): string {
  const best = bestTrial(state);
  const doc = {
    session: state.id,
    experiment: state.experiment,
    status: state.status,
    ...(state.status === 'paused' && state.pauseReason ? { paused_because: state.pauseReason } : {}),
    created: state.createdAt,
    spec_file: state.specFile ?? '(built-in default)',
    strategy: { searcher: state.spec.searcher.type, scheduler: state.spec.scheduler.type, label: strategyLabel(state.spec.searcher, state.spec.scheduler), metric: state.spec.metric, mode: state.spec.mode },
    budget: { num_trials: state.spec.num_trials, max_iters: state.spec.max_iters, eval_interval: state.spec.eval_interval, concurrency: state.spec.concurrency },
    best: best ? { trial: best.id, [state.spec.metric]: best.best?.value, iteration: best.best?.iteration, config: best.config } : null,
  };
  // One flow mapping per trial (JSON is YAML): readable as a table, and a thousand of them render in a
  // millisecond where a block dump of the same takes a hundred.
  const trials = state.trials.map((t) => `  - ${JSON.stringify({ id: t.id, status: t.status, iteration: t.iteration, config: t.config, last: t.last, ...(t.error ? { error: t.error } : {}) })}`);
  return `# Written by tune for people to read; tune itself resumes from session.json.\n${dump(doc, { lineWidth: 120 })}trials:${trials.length ? '\n' + trials.join('\n') : ' []'}\n`;
}
