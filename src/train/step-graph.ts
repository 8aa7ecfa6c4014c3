/**
 * The training graphs: forward, backward and (on the last micro-batch of an optimizer step) the update,
 * all in one graph so each micro-batch is one session run. Parameters and optimizer state go in as flat
 * vectors (one per parameter group, see paramGroups) and come back as outputs, which the trainer feeds to
 * the next run as they are; the forward pass takes each parameter as its own input, a view of the flat one.
 *
 * Gradient accumulation over k micro-batches uses up to four variants of the same graph:
 *   gradIn=false update=true   k = 1: the whole step
 *   gradIn=false update=false  first of k: outputs its gradient
 *   gradIn=true  update=false  middle: outputs the running gradient sum
 *   gradIn=true  update=true   last: (sum + its gradient) / k, clipped, then the update
 * The eval graph is the forward pass alone, giving logits.
 */
import { add, concat, gradients, mul, reshape, Graph, type FloatDType, type Value } from './onnx/index.js';
import { clipByGlobalNorm } from './clip.js';
import type { ModelDef, ParamSpec } from './models/types.js';
import { applyOptimizer, optimizerScalarNames, STATE_SLOTS, type OptimizerKind } from './optimizer.js';
import { numel } from './params.js';
import { ScalarInput } from './scalars.js';

/** Per-parameter names: `p/NAME` the forward pass's parameter inputs; `p/NAME`, `m/NAME`, `v/NAME` checkpoint tensors. */
export const slot = (kind: string, name: string, next = false): string => `${kind}${next ? "'" : ''}/${name}`;
/**
 * The step graph's flat vectors, one per parameter group (paramGroups): `p@decay` holds the small
 * weight-decayed parameters end to end, `p@plain` the other small ones, `p@=NAME` one big parameter;
 * `m@…`, `v@…`, `g@…` are laid out the same way. A trailing `'` marks the new value.
 */
export const flatSlot = (kind: string, group: string, next = false): string => `${kind}${next ? "'" : ''}@${group}`;
export const LOSS = 'loss';

export interface GroupMember {
  readonly spec: ParamSpec;
  /** Start of this parameter in its group's flat vector. */
  readonly offset: number;
  readonly size: number;
}

export interface ParamGroup {
  /** `decay` and `plain` for the shared vectors, `=NAME` for a parameter that is a group of its own. */
  readonly key: string;
  readonly decay: boolean;
  readonly members: readonly GroupMember[];
  readonly size: number;
}

/**
 * Parameters with at least this many elements are a group of their own: their update is a few nodes over
 * one big tensor already, and joining them into a shared vector would cost a copy (the Concat) per step.
 */
export const OWN_GROUP_SIZE = 1 << 16;

/**
 * Parameters in flat vectors, each updated as a whole: every big parameter (OWN_GROUP_SIZE) on its own,
 * then the small ones split by whether weight decay applies, each in spec order (empty groups left out).
 * The forward pass reads each parameter as its own input, fed a view of its group's vector.
 */
export function paramGroups(specs: readonly ParamSpec[]): ParamGroup[] {
  const out: ParamGroup[] = [];
  const small: ParamSpec[] = [];
  for (const spec of specs) {
    const n = numel(spec.shape);
    if (n < OWN_GROUP_SIZE) small.push(spec);
    else out.push({ key: `=${spec.name}`, decay: spec.decay, members: [{ spec, offset: 0, size: n }], size: n });
  }
  for (const decay of [true, false]) {
    const members: GroupMember[] = [];
    let size = 0;
    for (const spec of small) {
      if (spec.decay !== decay) continue;
      const n = numel(spec.shape);
      members.push({ spec, offset: size, size: n });
      size += n;
    }
    if (members.length) out.push({ key: decay ? 'decay' : 'plain', decay, members, size });
  }
  return out;
}

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
  const byName = new Map<string, Value>();
  gradients(loss, specs.map((s) => p[s.name])).forEach((gr, i) => {
    if (!gr) throw new Error(`the ${model.kind} loss does not depend on ${specs[i].name}`);
    byName.set(specs[i].name, gr);
  });
  // One flat gradient vector per group, laid out as the group's flat parameter vector.
  const groups = paramGroups(specs);
  const grads = groups.map((gr) => {
    const flat = concat(gr.members.map((m) => reshape(byName.get(m.spec.name)!, [m.size])), 0);
    return v.gradIn ? add(g.input(flatSlot('g', gr.key), dtype, [gr.size]), flat) : flat;
  });
  if (!v.update) {
    groups.forEach((gr, i) => g.output(flatSlot('g', gr.key, true), grads[i]));
    return { graph: g, scalarNames: [] };
  }

  const scalarNames = [...optimizerScalarNames(v.optimizer), ...(v.gradIn ? ['inv_k'] : []), ...(v.clip ? ['clip'] : [])];
  const scalars = new ScalarInput(g, scalarNames, dtype);
  // With k = 1 (no gradient input) the mean over micro-batches is the gradient itself: no multiply.
  let mean = v.gradIn ? grads.map((gr) => mul(gr, scalars.get('inv_k'))) : grads;
  if (v.clip) mean = clipByGlobalNorm(mean, scalars.get('clip'));
  const slots = STATE_SLOTS[v.optimizer];
  // The update runs on the flat vectors: a handful of nodes per group, however many parameters there are.
  const updated = applyOptimizer(
    v.optimizer,
    groups.map((gr, i) => ({
      param: g.input(flatSlot('p', gr.key), dtype, [gr.size]),
      grad: mean[i],
      state: slots.map((k) => g.input(flatSlot(k, gr.key), dtype, [gr.size])),
      decay: gr.decay,
    })),
    (name) => scalars.get(name),
  );
  groups.forEach((gr, i) => {
    g.output(flatSlot('p', gr.key, true), updated[i].param);
    slots.forEach((k, j) => g.output(flatSlot(k, gr.key, true), updated[i].state[j]));
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
