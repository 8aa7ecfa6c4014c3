import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

/** The example schedules ship with tune; the default spec finds them wherever tune is installed. */
const SCHEDULES = join(packageRoot(import.meta.url), 'schedules');

/**
 * The main job when `tune` runs with no spec: a multi-fidelity search over a residual MLP on the 10,000
 * MNIST digits the `mnist` package ships (learning rate, width, depth, weight decay), trained by the
 * built-in ONNX trainer, each trial following schedules/mnist-mlp.yaml (widen the network, then decay the
 * learning rate). TPE proposes 16 configurations (8 at random first), ASHA lets the promising ones go on and
 * makes the rest wait at a rung (600 and 1,800 iterations). The rungs sit after the schedule has widened the
 * network: with rungs at 200 and 600 (24 trials) the early rankings predicted the final one poorly and the
 * best loss did not beat 8 random full-budget trials. Over 5 seeds (`node --import tsx bench/main-job.ts
 * --seeds 5`) this one reached their best loss in 4 of them (median 0.0673 against 0.0671), with twice the
 * configurations.
 */
export const DEFAULT_SPEC = {
  name: 'mnist-mlp',
  trial: { builtin: 'mnist-mlp', params: { batch_size: 64, optimizer: 'adamw' }, schedule: join(SCHEDULES, 'mnist-mlp.yaml') },
  search_space: {
    lr: { type: 'loguniform', low: 5e-4, high: 5e-3 },
    hidden: { type: 'choice', values: [128, 256] },
    depth: { type: 'int', low: 1, high: 2 },
    weight_decay: { type: 'loguniform', low: 1e-3, high: 1e-1 },
  },
  searcher: { type: 'tpe', n_startup_trials: 8, multivariate: true },
  scheduler: { type: 'asha', grace_period: 600, reduction_factor: 3 },
  metric: 'val_loss',
  mode: 'min',
  num_trials: 16,
  max_iters: 2400,
  eval_interval: 100,
  concurrency: 2,
  seed: 0,
};
