/**
 * The training graph: forward pass, loss, and the gradient of every parameter, one session run per
 * micro-batch. The optimizer is not in the graph: its update runs in place on the trainer's parameter
 * store (fused/store.ts), so the graph's only large outputs are the gradients, never parameters or state.
 * The eval graph is the forward pass alone, giving logits.
 */
import { gradients, Graph, type FloatDType, type Value } from './onnx/index.js';
import type { ModelDef, ParamSpec } from './models/types.js';

/** Per-parameter names: `p/NAME` the graphs' parameter inputs; `p/NAME`, `m/NAME`, `v/NAME` checkpoint tensors. */
export const slot = (kind: string, name: string): string => `${kind}/${name}`;
/** The step graph's output holding the gradient of parameter NAME. */
export const gradSlot = (name: string): string => slot('g', name);
export const LOSS = 'loss';
export const LOGITS = 'logits';

function paramInputs(g: Graph, specs: readonly ParamSpec[], dtype: FloatDType): Record<string, Value> {
  return Object.fromEntries(specs.map((s) => [s.name, g.input(slot('p', s.name), dtype, s.shape)]));
}

/** Loss and `g/NAME` for every parameter, on `batch` examples. */
export function buildStepGraph<S>(model: ModelDef<S>, sizes: S, batch: number, dtype: FloatDType = 'float32'): Graph {
  const g = new Graph();
  const specs = model.params(sizes);
  const p = paramInputs(g, specs, dtype);
  const loss = model.loss(sizes, p, model.batchInputs(g, sizes, batch, dtype));
  g.output(LOSS, loss);
  gradients(loss, specs.map((s) => p[s.name])).forEach((gr, i) => {
    if (!gr) throw new Error(`the ${model.kind} loss does not depend on ${specs[i].name}`);
    g.output(gradSlot(specs[i].name), gr);
  });
  return g;
}

/** The forward pass on `batch` examples, output as logits. */
export function buildEvalGraph<S>(model: ModelDef<S>, sizes: S, batch: number, dtype: FloatDType = 'float32'): Graph {
  const g = new Graph();
  const p = paramInputs(g, model.params(sizes), dtype);
  g.output(LOGITS, model.logits(sizes, p, model.batchInputs(g, sizes, batch, dtype)));
  return g;
}
