/**
 * The main job when `tune` runs with no spec: the built-in MLP on generated spirals, a random search over
 * its learning rate, width, depth and momentum, each trial following the schedules/mlp-grow.json scaling
 * schedule (widen the network, then decay the learning rate). It finishes in seconds on two cores.
 */
import { fileURLToPath } from 'node:url';

/** The example schedules ship with tune; the default spec finds them wherever tune is installed. */
const SCHEDULES = fileURLToPath(new URL('../../schedules/', import.meta.url));

export const DEFAULT_SPEC = {
  name: 'spirals-mlp',
  trial: { builtin: 'mlp', params: { batch_size: 32 }, schedule: `${SCHEDULES}mlp-grow.json` },
  search_space: {
    lr: { type: 'loguniform', low: 0.003, high: 0.3 },
    hidden: { type: 'choice', values: [16, 32, 64] },
    layers: { type: 'int', low: 1, high: 2 },
    momentum: { type: 'uniform', low: 0.5, high: 0.95 },
  },
  searcher: 'random',
  metric: 'val_loss',
  mode: 'min',
  num_trials: 8,
  max_iters: 2000,
  eval_interval: 100,
  concurrency: 2,
  seed: 0,
};
