/**
 * The training graphs: forward, backward and (on the last micro-batch of an optimizer step) the update,
 * all in one graph so each micro-batch is one session run. Parameters and optimizer state go in as inputs
 * and come back as outputs, which the trainer feeds to the next run as they are.
 *
 * Gradient accumulation over k micro-batches uses up to four variants of the same graph:
 *   gradIn=false update=true   k = 1: the whole step
 *   gradIn=false update=false  first of k: outputs its gradient
 *   gradIn=true  update=false  middle: outputs the running gradient sum
 *   gradIn=true  update=true   last: (sum + its gradient) / k, clipped, then the update
 * The eval graph is the forward pass alone, giving logits.
 */
import { add, gradients, mul, Graph, type FloatDType, type Value } from './onnx/index.js';
import { clipByGlobalNorm } from './clip.js';
import type { ModelDef, ParamSpec } from './models/types.js';
import { applyOptimizer, optimizerScalarNames, STATE_SLOTS, type OptimizerKind } from './optimizer.js';
import { ScalarInput } from './scalars.js';

/** Feed and output names: `p/NAME` parameters, `m/NAME` `v/NAME` state, `g/NAME` gradient sums; a trailing `'` marks the new value. */
export const slot = (kind: string, name: string, next = false): string => `${kind}${next ? "'" : ''}/${name}`;
export const LOSS = 'loss';
export const LOGITS = 'logits';

export interface StepVariant {
  readonly batch: number;
  readonly optimizer: OptimizerKind;
  /** Clip by global norm (the threshold is a run-time scalar); left out of the graph when off. */
  readonly clip: boolean;
  /** Takes the gradient sum of earlier micro-batches. */
  readonly gradIn: boolean;
  /** Ends the optimizer step: averages, clips and updates. Otherwise outputs the gradient sum. */
  readonly update: boolean;
}

export interface BuiltGraph {
  readonly graph: Graph;
  /** The run-time scalars' layout (empty when the graph takes none). */
  readonly scalarNames: readonly string[];
}

function paramInputs(g: Graph, specs: readonly ParamSpec[], dtype: FloatDType): Record<string, Value> {
  return Object.fromEntries(specs.map((s) => [s.name, g.input(slot('p', s.name), dtype, s.shape)]));
}

export function buildStepGraph<S>(model: ModelDef<S>, sizes: S, v: StepVariant, dtype: FloatDType = 'float32'): BuiltGraph {
  const g = new Graph();
  const specs = model.params(sizes);
  const p = paramInputs(g, specs, dtype);
  const batch = model.batchInputs(g, sizes, v.batch, dtype);
  const loss = model.loss(sizes, p, batch);
  g.output(LOSS, loss);
  const grads = gradients(loss, specs.map((s) => p[s.name])).map((gr, i) => {
    if (!gr) throw new Error(`the ${model.kind} loss does not depend on ${specs[i].name}`);
    return v.gradIn ? add(g.input(slot('g', specs[i].name), dtype, specs[i].shape), gr) : gr;
  });
  if (!v.update) {
    specs.forEach((s, i) => g.output(slot('g', s.name, true), grads[i]));
    return { graph: g, scalarNames: [] };
  }

  const scalarNames = [...optimizerScalarNames(v.optimizer), ...(v.gradIn ? ['inv_k'] : []), ...(v.clip ? ['clip'] : [])];
  const scalars = new ScalarInput(g, scalarNames, dtype);
  // With k = 1 (no gradient input) the mean over micro-batches is the gradient itself: no multiply.
  let mean = v.gradIn ? grads.map((gr) => mul(gr, scalars.get('inv_k'))) : grads;
  if (v.clip) mean = clipByGlobalNorm(mean, scalars.get('clip'));
  const slots = STATE_SLOTS[v.optimizer];
  const updated = applyOptimizer(
    v.optimizer,
    specs.map((s, i) => ({
      param: p[s.name],
      grad: mean[i],
      state: slots.map((k) => g.input(slot(k, s.name), dtype, s.shape)),
      decay: s.decay,
    })),
    (name) => scalars.get(name),
  );
  specs.forEach((s, i) => {
    g.output(slot('p', s.name, true), updated[i].param);
    slots.forEach((k, j) => g.output(slot(k, s.name, true), updated[i].state[j]));
  });
  return { graph: g, scalarNames };
}

/** The forward pass on `batch` examples, output as logits. */
export function buildEvalGraph<S>(model: ModelDef<S>, sizes: S, batch: number, dtype: FloatDType = 'float32'): Graph {
  const g = new Graph();
  const p = paramInputs(g, model.params(sizes), dtype);
  g.output(LOGITS, model.logits(sizes, p, model.batchInputs(g, sizes, batch, dtype)));
  return g;
}
