import { fileURLToPath } from 'node:url';

/** The example schedules ship with tune; the default spec finds them wherever tune is installed. */
const SCHEDULES = fileURLToPath(new URL('../../schedules/', import.meta.url));

/**
 * The main job when `tune` runs with no spec: a random search over a residual MLP on the 10,000 MNIST
 * digits the `mnist` package ships (learning rate, width, depth, weight decay), trained by the built-in
 * ONNX trainer, each trial following schedules/mnist-mlp.yaml (widen the network, then decay the learning
 * rate). It finishes in a few minutes on two cores; the best trials pass 97% validation accuracy.
 */
export const DEFAULT_SPEC = {
  name: 'mnist-mlp',
  trial: { builtin: 'mnist-mlp', params: { batch_size: 64, optimizer: 'adamw' }, schedule: `${SCHEDULES}mnist-mlp.yaml` },
  search_space: {
    lr: { type: 'loguniform', low: 5e-4, high: 5e-3 },
    hidden: { type: 'choice', values: [128, 256] },
    depth: { type: 'int', low: 1, high: 2 },
    weight_decay: { type: 'loguniform', low: 1e-3, high: 1e-1 },
  },
  searcher: 'random',
  metric: 'val_loss',
  mode: 'min',
  num_trials: 8,
  max_iters: 2400,
  eval_interval: 100,
  concurrency: 2,
  seed: 0,
};
