/**
 * The built-in ONNX trials: `mnist-mlp` (a residual MLP on the MNIST digits) and `names-gpt` (a character
 * GPT on first names), driven by the Trainer and speaking the trial protocol through TrialRuntime.
 * Config keys are the model's sizes (mnist-mlp: hidden, depth; names-gpt: embd, heads, layers, block, tied)
 * and the trainer's hyperparameters (lr, optimizer, momentum, beta1, beta2, weight_decay, batch_size,
 * grad_accum, warmup_iters, clip, augment); other keys belong to the user and are ignored.
 */
import { mkdirSync } from 'node:fs';
import { checkpointName, pruneCheckpoints } from './checkpoint-files.js';
import { isAbsolute, join } from 'node:path';
import { Trainer, type Hyperparameters, type TrainerConfig } from '../train/index.js';
import type { Json } from '../util/json.js';
import { TrialRuntime, type ParamValue } from './runtime.js';

import { HYPER_KEYS, SIZE_KEYS } from '../train/config-keys.js';

function configFor(kind: 'mlp' | 'gpt', config: Record<string, ParamValue>, seed: number, evalInterval: number): TrainerConfig {
  const sizes: Record<string, ParamValue> = {};
  for (const k of SIZE_KEYS[kind]) if (k in config) sizes[k] = config[k];
  const hyper: Record<string, ParamValue> = { eval_interval: evalInterval };
  for (const k of HYPER_KEYS[kind]) if (k in config) hyper[k] = config[k];
  // Sizes and hyperparameters are checked by the trainer, which names the key, the value and the rule.
  return { kind, seed, sizes, hyper: hyper as Partial<Hyperparameters> } as TrainerConfig;
}

/** What the worker keeps in a checkpoint beside the trainer's state. */
interface WorkerExtra {
  /** Validation boundaries passed (the eval interval itself may change during training). */
  boundaries: number;
  /** Only in a final checkpoint: the metrics of the trial's last report. */
  final?: Record<string, number>;
}

async function main(): Promise<void> {
  const builtin = process.argv[2];
  const kind = builtin === 'mnist-mlp' ? 'mlp' : builtin === 'names-gpt' ? 'gpt' : null;
  if (!kind) throw new Error(`unknown built-in trial ${JSON.stringify(builtin)}; known: mnist-mlp, names-gpt`);
  const rt = new TrialRuntime();
  const ckptDir = join(rt.trialDir, 'checkpoints');
  mkdirSync(ckptDir, { recursive: true });

  let trainer: Trainer;
  let boundaries = 0;
  /** The metrics of a final checkpoint's last report: the trial ended there. */
  let endedWith: Record<string, number> | null = null;
  if (rt.checkpoint) {
    const restored = Trainer.restore(isAbsolute(rt.checkpoint) ? rt.checkpoint : join(rt.trialDir, rt.checkpoint));
    trainer = restored.trainer;
    const extra = restored.extra as WorkerExtra | null;
    boundaries = extra?.boundaries ?? 0;
    endedWith = extra?.final ?? null;
  } else {
    trainer = Trainer.create(configFor(kind, rt.config, rt.seed, rt.evalInterval));
  }

  let trainLoss = 0;
  /** What the last report said; a final checkpoint keeps it (see endedWith). */
  let reported: Record<string, number> = {};
  rt.onOperation((op) => {
    trainer.applyOperation(op);
    process.stdout.write(`operation at iteration ${trainer.iteration}: ${op.name} ${op.value}\n`);
  });
  rt.onReevaluate(async () => (reported = { ...(await trainer.evaluate()), train_loss: trainLoss }));
  const save = (final: boolean): string => {
    const name = checkpointName(trainer.iteration, '.ckpt');
    const extra: WorkerExtra = final ? { boundaries, final: reported } : { boundaries };
    trainer.save(join(ckptDir, name), extra as unknown as Json);
    pruneCheckpoints(ckptDir, name);
    return join('checkpoints', name);
  };

  if (endedWith) {
    // The trial ended here (a stop, or max_iters), and tune went down after journalling the final checkpoint
    // but before the `done`: report that boundary again, as it was. tune answers as it did, and the trial
    // ends where it ended, as stopped or completed (exact resume), instead of training past a stop.
    reported = endedWith;
    await rt.boundary(trainer.iteration, reported, boundaries, save);
  }
  while (trainer.iteration < rt.maxIters) {
    trainLoss = await trainer.trainSteps(Math.min(trainer.hyper.eval_interval, rt.maxIters - trainer.iteration));
    boundaries += 1;
    reported = { ...(await trainer.evaluate()), train_loss: trainLoss };
    process.stdout.write(`iteration ${trainer.iteration}: ${Object.entries(reported).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    await rt.boundary(trainer.iteration, reported, boundaries, save);
  }
  rt.done(trainer.iteration);
}

main().catch((err: unknown) => {
  process.stderr.write(`${process.argv[2] ?? 'trainer'} worker: ${(err as Error).message}\n`);
  process.exit(2);
});
