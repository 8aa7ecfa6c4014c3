import type { Spec } from '../spec/types.js';
import { AshaScheduler } from './asha-scheduler.js';
import { BohbSearcher } from './bohb/index.js';
import { FifoScheduler } from './fifo-scheduler.js';
import { GridSearcher } from './grid-searcher.js';
import { HyperbandScheduler } from './hyperband-scheduler.js';
import { RandomSearcher } from './random-searcher.js';
import { deriveSeed } from './rng.js';
import { hyperbandBudgets } from './rungs.js';
import { TpeSearcher } from './tpe/index.js';
import type { Loss, Scheduler, Searcher } from './types.js';

/** Streams of randomness, each derived from the session seed so that none depends on another's use. */
export const SEED_STREAM = { searcher: 1, trial: 2 } as const;

export function createSearcher(spec: Spec): Searcher {
  const s = spec.searcher;
  const seed = deriveSeed(spec.seed, SEED_STREAM.searcher);
  switch (s.type) {
    case 'random':
      return new RandomSearcher(spec.search_space, spec.num_trials, seed);
    case 'grid':
      return new GridSearcher(spec.search_space, spec.num_trials);
    case 'tpe':
      return new TpeSearcher(spec.search_space, spec.num_trials, seed, s);
    case 'bohb': {
      // Validation guarantees BOHB runs under Hyperband: its models live on Hyperband's rung budgets.
      const rungs = spec.scheduler.type === 'hyperband' ? spec.scheduler : { grace_period: spec.eval_interval, reduction_factor: 3, max_t: spec.max_iters };
      return new BohbSearcher(spec.search_space, spec.num_trials, seed, hyperbandBudgets(rungs, spec.eval_interval), s);
    }
  }
}

export function createScheduler(spec: Spec): Scheduler {
  const s = spec.scheduler;
  switch (s.type) {
    case 'fifo':
      return new FifoScheduler();
    case 'asha':
      return new AshaScheduler(s, spec.eval_interval);
    case 'hyperband':
      return new HyperbandScheduler(s, spec.eval_interval);
  }
}

/** The spec's metric as a loss to minimise (DESIGN: every strategy minimises); null when absent or diverged. */
export function lossOf(spec: Spec, value: number | null | undefined): Loss {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return spec.mode === 'min' ? value : -value;
}

export function trialSeed(sessionSeed: number, trialIndex: number): number {
  return deriveSeed(sessionSeed, SEED_STREAM.trial, trialIndex);
}
