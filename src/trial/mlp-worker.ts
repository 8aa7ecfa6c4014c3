/**
 * The built-in trial: a tanh MLP on generated spirals, speaking the trial protocol through TrialRuntime.
 * Hyperparameters (all optional): lr, momentum, l2, batch_size, hidden, layers.
 */
import { join, isAbsolute } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Rng } from '../search/rng.js';
import { evaluate, initMlp, trainStep, zeroOptimizer } from './mlp.js';
import { loadMlpCheckpoint, saveMlpCheckpoint, type MlpTrainingState } from './mlp-checkpoint.js';
import { TrialRuntime, type ParamValue } from './runtime.js';
import { trainAndValidation } from './spiral-data.js';

const DEFAULTS = { lr: 0.1, momentum: 0.9, l2: 0, batch_size: 32, hidden: 32, layers: 1 };
type Hyper = typeof DEFAULTS;

function readHyper(config: Record<string, ParamValue>): Hyper {
  const h: Hyper = { ...DEFAULTS };
  for (const key of Object.keys(config)) {
    if (!(key in DEFAULTS)) continue; // extra keys belong to the user; the worker ignores them
    const v = config[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`config ${key} is ${JSON.stringify(v)}, but the mlp worker needs a number`);
    h[key as keyof Hyper] = v;
  }
  for (const k of ['batch_size', 'hidden', 'layers'] as const) {
    if (!Number.isInteger(h[k]) || h[k] < 1) throw new Error(`config ${k} is ${h[k]}, but must be a whole number >= 1`);
  }
  if (h.lr <= 0) throw new Error(`config lr is ${h.lr}, but must be > 0`);
  return h;
}

async function main(): Promise<void> {
  const rt = new TrialRuntime();
  const h = readHyper(rt.config);
  const { train, val } = trainAndValidation();
  const ckptDir = join(rt.trialDir, 'checkpoints');
  mkdirSync(ckptDir, { recursive: true });

  let s: MlpTrainingState;
  let rng: Rng;
  if (rt.checkpoint) {
    s = loadMlpCheckpoint(isAbsolute(rt.checkpoint) ? rt.checkpoint : join(rt.trialDir, rt.checkpoint));
    rng = new Rng(s.rng);
  } else {
    rng = new Rng(rt.seed);
    const sizes = [2, ...Array.from({ length: h.layers }, () => h.hidden), train.classes];
    const model = initMlp(sizes, () => rng.normal());
    const perm = Uint32Array.from({ length: train.n }, (_, i) => i);
    rng.shuffle(perm);
    s = { iteration: 0, model, optimizer: zeroOptimizer(model), rng: rng.getState(), perm, cursor: 0 };
  }

  const batch = new Uint32Array(h.batch_size);
  while (s.iteration < rt.maxIters) {
    const steps = Math.min(rt.evalInterval, rt.maxIters - s.iteration);
    let trainLoss = 0;
    for (let k = 0; k < steps; k++) {
      for (let b = 0; b < batch.length; b++) {
        if (s.cursor === s.perm.length) {
          rng.shuffle(s.perm);
          s.cursor = 0;
        }
        batch[b] = s.perm[s.cursor++];
      }
      trainLoss += trainStep(s.model, s.optimizer, train, batch, h.lr, h.momentum, h.l2);
    }
    s.iteration += steps;
    const v = evaluate(s.model, val);
    const metrics = { val_loss: v.loss, val_acc: v.accuracy, train_loss: trainLoss / steps };
    process.stdout.write(`iteration ${s.iteration}: val_loss=${v.loss} val_acc=${v.accuracy}\n`);
    const decision = await rt.report(s.iteration, metrics);
    if (decision === 'stop' || s.iteration >= rt.maxIters) rt.done(s.iteration);
    const pause = decision === 'pause' || rt.pauseRequested();
    const boundary = Math.ceil(s.iteration / rt.evalInterval);
    if (pause || boundary % rt.checkpointEvery === 0) {
      s.rng = rng.getState();
      rt.checkpointSaved(saveMlpCheckpoint(ckptDir, s), s.iteration);
    }
    if (pause) rt.paused(s.iteration);
  }
  rt.done(s.iteration);
}

main().catch((err: unknown) => {
  process.stderr.write(`mlp worker: ${(err as Error).message}\n`);
  process.exit(2);
});
