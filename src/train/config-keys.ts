/**
 * Which keys of a built-in trial's config the ONNX trainer takes, and as what: the model's sizes, or the
 * trainer's hyperparameters. The worker (src/trial/trainer-worker.ts), the declarations the spec is checked
 * against (src/spec/builtins.ts) and the schedule plan all read these lists, so they cannot disagree.
 */
export const SIZE_KEYS = { mlp: ['hidden', 'depth'], gpt: ['embd', 'heads', 'layers', 'block', 'tied'] } as const;

/** Hyperparameters of both models (eval_interval comes from the spec instead). */
export const TRAINER_KEYS = ['lr', 'optimizer', 'batch_size', 'momentum', 'beta1', 'beta2', 'eps', 'weight_decay', 'grad_accum', 'warmup_iters', 'clip'] as const;

/** Hyperparameters of one model: `augment` shifts images, so only the image classifier takes it. */
export const HYPER_KEYS = { mlp: [...TRAINER_KEYS, 'augment'], gpt: TRAINER_KEYS } as const;
