/** The built-in trainer's public surface, for workers and benches. */
export { Trainer, type TrainerConfig, type ModelKind, type ModelSizes, type Evaluation, type Operation } from './trainer.js';
export { DEFAULT_HYPER, type Hyperparameters } from './hyper.js';
export type { OptimizerKind } from './optimizer.js';
export type { MlpSizes } from './models/mlp.js';
export type { GptSizes } from './models/gpt.js';
