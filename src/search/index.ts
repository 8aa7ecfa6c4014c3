import type { Spec } from '../spec/types.js';
import { deriveSeed } from './rng.js';
import { FifoScheduler } from './fifo-scheduler.js';
import { GridSearcher } from './grid-searcher.js';
import { RandomSearcher } from './random-searcher.js';
import type { Scheduler, Searcher } from './types.js';

/** Streams of randomness, each derived from the session seed so that none depends on another's use. */
export const SEED_STREAM = { searcher: 1, trial: 2 } as const;

export function createSearcher(spec: Spec): Searcher {
  switch (spec.searcher) {
    case 'random':
      return new RandomSearcher(spec.search_space, spec.num_trials, deriveSeed(spec.seed, SEED_STREAM.searcher));
    case 'grid':
      return new GridSearcher(spec.search_space, spec.num_trials);
  }
}

export function createScheduler(spec: Spec): Scheduler {
  switch (spec.scheduler) {
    case 'fifo':
      return new FifoScheduler();
  }
}

export function trialSeed(sessionSeed: number, trialIndex: number): number {
  return deriveSeed(sessionSeed, SEED_STREAM.trial, trialIndex);
}
