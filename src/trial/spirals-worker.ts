/**
 * The built-in trial: a tanh MLP on generated spirals, speaking the trial protocol through TrialRuntime.
 * Hyperparameters (all optional): lr, momentum, l2 (alias weight_decay), batch_size, grad_accum,
 * warmup_iters, hidden, layers. Scheduled operations change lr, batch_size, grad_accum, weight decay,
 * warmup and the eval interval, and widen_mlp grows the hidden layers without changing the function.
 */
import { join, isAbsolute } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Rng } from '../search/rng.js';
import { applyToParam, operationSpec } from '../schedule/operations.js';
import { accumulateGradients, evaluate, initMlp, sgdUpdate, widenMlp, zeroGradients, zeroOptimizer } from './mlp.js';
import { loadMlpCheckpoint, saveMlpCheckpoint, type MlpTrainingState } from './mlp-checkpoint.js';
import type { OperationMessage } from './protocol.js';
import { TrialRuntime } from './runtime.js';
import { trainAndValidation } from './spiral-data.js';
import { readSpiralsHyper, SPIRALS_ALIAS, type SpiralsHyper } from './spirals-hyper.js';

type Hyper = SpiralsHyper;
const PARAM_ALIAS = SPIRALS_ALIAS;

async function main(): Promise<void> {
  const rt = new TrialRuntime();
  const { train, val } = trainAndValidation();
  const ckptDir = join(rt.trialDir, 'checkpoints');
  mkdirSync(ckptDir, { recursive: true });

  let s: MlpTrainingState;
  let rng: Rng;
  if (rt.checkpoint) {
    s = loadMlpCheckpoint(isAbsolute(rt.checkpoint) ? rt.checkpoint : join(rt.trialDir, rt.checkpoint));
    rng = new Rng(s.rng);
  } else {
    const h = readSpiralsHyper(rt.config, rt.evalInterval);
    rng = new Rng(rt.seed);
    const sizes = [2, ...Array.from({ length: h.layers }, () => h.hidden), train.classes];
    const model = initMlp(sizes, () => rng.normal());
    const perm = Uint32Array.from({ length: train.n }, (_, i) => i);
    rng.shuffle(perm);
    s = { iteration: 0, boundaries: 0, hyper: h, model, optimizer: zeroOptimizer(model), rng: rng.getState(), perm, cursor: 0 };
  }
  const h = s.hyper as Hyper;

  rt.onOperation((op: OperationMessage) => {
    const spec = operationSpec(op.name);
    if (spec?.kind === 'model') {
      if (op.name !== 'widen_mlp') throw new Error(`the mlp worker cannot apply ${op.name}: its layers are not residual, so a new one would change the function; use widen_mlp`);
      widenMlp(s.model, s.optimizer, op.value, () => rng.normal());
      h.hidden += op.value;
      process.stdout.write(`operation at iteration ${s.iteration}: ${op.name} ${op.value} -> hidden ${h.hidden}\n`);
      return;
    }
    if (!spec?.param) throw new Error(`unknown operation ${op.name}`);
    const key = (PARAM_ALIAS[spec.param] ?? spec.param) as keyof Hyper;
    if (!(key in h)) throw new Error(`the mlp worker has no ${spec.param} for ${op.name}`);
    h[key] = applyToParam(spec, h[key], op.value);
    process.stdout.write(`operation at iteration ${s.iteration}: ${op.name} ${op.value} -> ${spec.param} ${h[key]}\n`);
  });
  const validate = () => {
    const v = evaluate(s.model, val);
    return { val_loss: v.loss, val_acc: v.accuracy };
  };
  let trainLoss = 0;
  /** What the last report said; a final checkpoint keeps it (see below). */
  let reported: Record<string, number> = {};
  rt.onReevaluate(() => (reported = { ...validate(), train_loss: trainLoss }));
  const save = (final: boolean): string => {
    s.rng = rng.getState();
    s.final = final ? reported : null;
    return saveMlpCheckpoint(ckptDir, s);
  };

  const batch = () => {
    const idx = new Uint32Array(h.batch_size);
    for (let b = 0; b < idx.length; b++) {
      if (s.cursor === s.perm.length) {
        rng.shuffle(s.perm);
        s.cursor = 0;
      }
      idx[b] = s.perm[s.cursor++];
    }
    return idx;
  };

  if (s.final) {
    // The trial ended here (a stop, or max_iters), and tune went down after journalling the final checkpoint
    // but before the `done`: report that boundary again, as it was. tune answers as it did, and the trial
    // ends where it ended, as stopped or completed (exact resume), instead of training past a stop.
    reported = s.final;
    await rt.boundary(s.iteration, reported, s.boundaries, save);
  }
  while (s.iteration < rt.maxIters) {
    const steps = Math.min(h.eval_interval, rt.maxIters - s.iteration);
    trainLoss = 0;
    for (let k = 0; k < steps; k++) {
      const g = zeroGradients(s.model);
      let loss = 0;
      for (let a = 0; a < h.grad_accum; a++) loss += accumulateGradients(s.model, train, batch(), g, 1 / h.grad_accum);
      const warm = h.warmup_iters > 0 ? Math.min(1, (s.iteration + k + 1) / h.warmup_iters) : 1;
      sgdUpdate(s.model, s.optimizer, g, h.lr * warm, h.momentum, h.l2);
      trainLoss += loss / h.grad_accum;
    }
    s.iteration += steps;
    s.boundaries += 1;
    trainLoss /= steps;
    const v = validate();
    process.stdout.write(`iteration ${s.iteration}: val_loss=${v.val_loss} val_acc=${v.val_acc}\n`);
    reported = { ...v, train_loss: trainLoss };
    await rt.boundary(s.iteration, reported, s.boundaries, save);
  }
  rt.done(s.iteration);
}

main().catch((err: unknown) => {
  process.stderr.write(`mlp worker: ${(err as Error).message}\n`);
  process.exit(2);
});
