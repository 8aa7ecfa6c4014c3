/**
 * The built-in trainer a worker drives: create or restore, train some optimizer steps, evaluate, apply
 * schedule operations (hyperparameters and growth), save. Every random number comes from one Rng (init,
 * data order, augmentation, growth), saved with everything else, so a restored trainer continues bit for
 * bit. Evaluation uses no randomness.
 */
import { Rng } from '../search/rng.js';
import { operationSpec } from '../schedule/operations.js';
import type { Json } from '../util/json.js';
import { loadCheckpoint, parseCheckpoint, saveCheckpoint, type TensorData } from './checkpoint.js';
import { DataOrder } from './data-order.js';
import { GraphCache } from './graph-cache.js';
import { applyHyperOperation, DEFAULT_HYPER, resolveHyper, stepLr, type Hyperparameters } from './hyper.js';
import { accumulateMetrics, emptySums } from './metrics.js';
import { gpt, type GptSizes } from './models/gpt.js';
import { mlp, type MlpSizes } from './models/mlp.js';
import type { BatchFeeds, ModelDef, ParamSpec } from './models/types.js';
import type { Feed } from './onnx/index.js';
import { ParamStore } from './fused/store.js';
import { optimizerScalars, STATE_SLOTS } from './optimizer.js';
import { growParams, growState, initParams, numel, zeroState, type Tensors } from './params.js';
import { buildEvalGraph, buildStepGraph, gradSlot, LOGITS, LOSS, slot } from './step-graph.js';
import { decodeState, encodeState, savedTransposed, transpose2d, type TrainerState } from './trainer-state.js';
import { mnistTask } from './tasks/mnist.js';
import { namesTask } from './tasks/names.js';
import type { Task } from './tasks/types.js';

export type ModelKind = 'mlp' | 'gpt';
export type ModelSizes = MlpSizes | GptSizes;

export type TrainerConfig = { readonly hyper?: Partial<Hyperparameters>; readonly seed: number } & (
  | { readonly kind: 'mlp'; readonly sizes?: Partial<MlpSizes> }
  | { readonly kind: 'gpt'; readonly sizes?: Partial<GptSizes> }
);

export interface Evaluation {
  readonly val_loss: number;
  /** Classification only (mlp). */
  readonly val_acc?: number;
}

export interface Operation {
  readonly name: string;
  readonly value: number;
}

const DEFAULT_BLOCK = 16;

function taskFor(kind: ModelKind, sizes: Partial<ModelSizes>): Task<ModelSizes> {
  // A Task<MlpSizes> is used only with the sizes it made itself; the union type just lets one class hold either.
  if (kind === 'mlp') return mnistTask() as Task<ModelSizes>;
  return namesTask((sizes as Partial<GptSizes>).block ?? DEFAULT_BLOCK) as Task<ModelSizes>;
}

/**
 * One kind of a checkpoint's per-parameter tensors ('p' parameters, 'm' / 'v' optimizer state), checked
 * against the model's parameter list: every one there, float32, of its shape's size.
 */
/** The tensors of one slot ('p', or an optimizer's), in the current layout whatever the file's version. */
function checkpointTensors(path: string, tensors: Record<string, TensorData>, specs: readonly ParamSpec[], kind: string, from: { version: number; kind: ModelKind }): Tensors {
  return new Map(specs.map((spec) => {
    const t = tensors[slot(kind, spec.name)];
    const n = numel(spec.shape);
    if (!(t instanceof Float32Array) || t.length !== n) throw new Error(`${path}: tensor ${slot(kind, spec.name)} is missing or not ${n} float32 values`);
    // Saved [in, out], now [out, in]: the saved matrix has the current shape's dimensions swapped.
    return [spec.name, savedTransposed(from.version, from.kind, spec.shape) ? transpose2d(t, spec.shape[1], spec.shape[0]) : t];
  }));
}

/** What a trainer checkpoint holds of its model: enough to run it, without data or optimizer. */
export interface TrainedModel {
  readonly kind: ModelKind;
  readonly sizes: ModelSizes;
  readonly iteration: number;
  /** Parameters by name, in the model's order. */
  readonly params: ReadonlyMap<string, Float32Array>;
}

/**
 * The model of the trainer checkpoint in `bytes` (read from `path`), checked as restore checks it. Loads no
 * data set: the sizes the data decides (input width, classes, vocabulary, context) are in the checkpoint.
 */
export function readTrainedModel(path: string, bytes: Buffer): TrainedModel {
  const { state, tensors } = parseCheckpoint(path, bytes);
  const s = decodeState(path, state);
  const model = (s.kind === 'mlp' ? mlp : gpt) as ModelDef<ModelSizes>;
  const sizes = model.sizes(s.sizes as Partial<ModelSizes>);
  return { kind: s.kind, sizes, iteration: s.iteration, params: checkpointTensors(path, tensors, model.params(sizes), 'p', s) };
}

/** PyTorch's clip_grad_norm_ factor for a gradient of norm `norm`: min(1, threshold / (norm + 1e-6)). */
function clipFactor(norm: number, threshold: number): number {
  return norm > threshold ? threshold / (norm + 1e-6) : 1;
}

export class Trainer {
  private specs: ParamSpec[];
  /** Parameters, optimizer state and the step's gradient sum, updated in place (fused/store.ts). */
  private store: ParamStore;
  /** By feed name: each parameter (`p/NAME`, a view into the store) and the current batch. */
  private readonly feeds: Record<string, Feed> = {};
  /**
   * By step-graph output (`g/NAME`): where ONNX Runtime writes each gradient in the store, for the first
   * micro-batch of a step and for later ones.
   */
  private gradientsInto: { first: Record<string, Feed>; later: Record<string, Feed> } = { first: {}, later: {} };
  private readonly graphs = new GraphCache();
  private readonly batchBuffers = new Map<number, BatchFeeds>();

  private constructor(
    readonly kind: ModelKind,
    private readonly task: Task<ModelSizes>,
    private currentSizes: ModelSizes,
    private currentHyper: Hyperparameters,
    private readonly rng: Rng,
    private readonly order: DataOrder,
    private step: number,
    params: Tensors,
    state: ReadonlyMap<string, Tensors>,
  ) {
    this.specs = task.model.params(currentSizes);
    this.store = this.storeTensors(params, state);
  }

  /** A fresh trainer: parameters drawn from `seed`, then the first epoch's order from the same stream. */
  static create(config: TrainerConfig): Trainer {
    const task = taskFor(config.kind, config.sizes ?? {});
    const sizes = task.model.sizes(task.fixSizes(config.sizes ?? {}));
    const hyper = resolveHyper(DEFAULT_HYPER[config.kind], config.hyper ?? {});
    const rng = new Rng(config.seed);
    const specs = task.model.params(sizes);
    const params = initParams(specs, rng);
    const order = DataOrder.fresh(task.trainSize, rng);
    const state = new Map(STATE_SLOTS[hyper.optimizer].map((k) => [k, zeroState(specs)]));
    return new Trainer(config.kind, task, sizes, hyper, rng, order, 0, params, state);
  }

  /** The trainer saved at `path`, and the caller's JSON saved with it. */
  static restore(path: string): { trainer: Trainer; extra: Json } {
    const { state, tensors } = loadCheckpoint(path);
    const s = decodeState(path, state);
    const task = taskFor(s.kind, s.sizes);
    const sizes = task.model.sizes(task.fixSizes(s.sizes));
    const hyper = resolveHyper(DEFAULT_HYPER[s.kind], s.hyper);
    const specs = task.model.params(sizes);
    const perm = tensors['data/perm'];
    if (!(perm instanceof Int32Array) || perm.length !== task.trainSize) throw new Error(`${path}: the data order is missing or has the wrong length`);
    const order = new DataOrder(new Uint32Array(perm.buffer, perm.byteOffset, perm.length), s.cursor, s.epoch);
    const opt = new Map(STATE_SLOTS[hyper.optimizer].map((k) => [k, checkpointTensors(path, tensors, specs, k, s)]));
    const trainer = new Trainer(s.kind, task, sizes, hyper, new Rng(s.rng), order, s.iteration, checkpointTensors(path, tensors, specs, 'p', s), opt);
    return { trainer, extra: s.extra };
  }

  /** Optimizer steps taken so far. */
  get iteration(): number {
    return this.step;
  }

  get epoch(): number {
    return this.order.epoch;
  }

  get sizes(): Readonly<ModelSizes> {
    return this.currentSizes;
  }

  get hyper(): Readonly<Hyperparameters> {
    return this.currentHyper;
  }

  /** The live parameter buffers by name (read them, do not write them). */
  parameters(): ReadonlyMap<string, Float32Array> {
    return this.collect('p');
  }

  /** Each parameter's shape, in the model's order. */
  parameterShapes(): ReadonlyMap<string, readonly number[]> {
    return new Map(this.specs.map((s) => [s.name, s.shape]));
  }

  /** The live optimizer state of one slot ('m' for SGD; 'm' and 'v' for AdamW). */
  optimizerState(kind: string): ReadonlyMap<string, Float32Array> {
    return this.collect(kind);
  }

  /** Runs `n` optimizer steps (each of grad_accum micro-batches); returns their mean training loss. */
  async trainSteps(n: number): Promise<number> {
    await this.graphs.releaseRetired();
    let total = 0;
    for (let i = 0; i < n; i++) total += await this.trainStep();
    return n > 0 ? total / n : NaN;
  }

  /**
   * One optimizer step: each of grad_accum micro-batches is one session run giving the loss and every
   * gradient, summed in the store; then the mean is clipped and the update runs in place, one fused pass
   * per parameter group.
   */
  private async trainStep(): Promise<number> {
    const h = this.currentHyper;
    const k = h.grad_accum;
    const t = this.step + 1;
    const runner = await this.graphs.get(`step ${h.batch_size}`, () => buildStepGraph(this.task.model, this.currentSizes, h.batch_size));
    const batch = this.batchFeeds(h.batch_size);
    Object.assign(this.feeds, batch);
    let loss = 0;
    for (let j = 0; j < k; j++) {
      this.task.fillTrain(this.order.next(h.batch_size, this.rng), batch, this.rng, h.augment);
      const out = await runner.run(this.feeds, j === 0 ? this.gradientsInto.first : this.gradientsInto.later);
      loss += out[LOSS][0] as number;
      if (j > 0) this.store.addScratch();
    }
    // The mean over micro-batches, then PyTorch's clip_grad_norm_ on it: both one factor on the sum.
    const invK = 1 / k;
    const scale = h.clip > 0 ? invK * clipFactor(Math.sqrt(this.store.gradientSquares()) * invK, h.clip) : invK;
    this.store.update(h.optimizer, optimizerScalars(h.optimizer, h, stepLr(h, t), t), scale);
    this.step = t;
    return loss / k;
  }

  /** Validation loss (and accuracy for the classifier) over the whole validation set; deterministic. */
  async evaluate(): Promise<Evaluation> {
    const sums = emptySums();
    await this.forEachValidationBatch((logits, weights, labels) => accumulateMetrics(sums, logits, logits.length / weights.length, labels, weights));
    const val_loss = sums.loss / sums.count;
    return this.task.reportsAccuracy ? { val_loss, val_acc: sums.correct / sums.count } : { val_loss };
  }

  /**
   * The logits `evaluate` scores, for every validation example in order: [examples, classes] for the
   * classifier, [examples * block, vocab] for the character model. What an exported model must reproduce.
   */
  async validationLogits(): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    let examples = 0;
    await this.forEachValidationBatch((logits, _weights, _labels, count) => {
      parts.push(logits.slice(0, (logits.length / this.task.evalBatch) * count));
      examples += count;
    });
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** Runs the forward pass over the validation set in eval batches (the last one padded). */
  private async forEachValidationBatch(use: (logits: Float32Array, weights: Float32Array, labels: BigInt64Array, count: number) => void): Promise<void> {
    await this.graphs.releaseRetired();
    const { model, evalBatch, valSize } = this.task;
    const runner = await this.graphs.get('eval', () => buildEvalGraph(model, this.currentSizes, evalBatch));
    // Own buffers: evaluation must not disturb the training batch or its size.
    const batch = this.task.allocate(this.currentSizes, evalBatch);
    const feeds: Record<string, Feed> = { ...this.feeds, ...batch };
    for (let start = 0; start < valSize; start += evalBatch) {
      const count = Math.min(evalBatch, valSize - start);
      const weights = this.task.fillVal(start, count, batch);
      use((await runner.run(feeds))[LOGITS] as Float32Array, weights, batch.y as BigInt64Array, count);
    }
  }

  /**
   * Applies a schedule operation: change_* / set_* of a hyperparameter, or a growth operation
   * (stack_layers, widen_mlp) that keeps the function and rebuilds the graphs on next use. Synchronous, so
   * it fits a worker's operation hook. Throws, naming the problem, on anything it cannot do.
   */
  applyOperation(op: Operation): void {
    const spec = operationSpec(op.name);
    if (spec?.kind !== 'model') {
      this.currentHyper = applyHyperOperation(this.currentHyper, op.name, op.value);
      return;
    }
    if (!Number.isInteger(op.value) || op.value < 1) throw new Error(`operation ${op.name}: value ${op.value} must be a whole number >= 1`);
    if (op.name !== 'stack_layers' && op.name !== 'widen_mlp') throw new Error(`the ${this.kind} trainer cannot apply ${op.name}`);
    const sizes = this.task.model.sizes(this.task.model.grow(this.currentSizes, op.name, op.value));
    const specs = this.task.model.params(sizes);
    const params = growParams(this.collect('p'), this.specs, specs, this.rng);
    const state = new Map(STATE_SLOTS[this.currentHyper.optimizer].map((k) => [k, growState(this.collect(k), this.specs, specs)]));
    for (const key of Object.keys(this.feeds)) delete this.feeds[key];
    this.currentSizes = sizes;
    this.specs = specs;
    this.store = this.storeTensors(params, state);
    this.graphs.invalidate();
  }

  /** Writes everything needed to continue bit for bit, plus the caller's `extra` JSON, atomically. */
  save(path: string, extra: Json = null): void {
    const state: TrainerState = {
      kind: this.kind,
      sizes: this.currentSizes,
      hyper: this.currentHyper,
      iteration: this.step,
      rng: this.rng.getState(),
      cursor: this.order.cursor,
      epoch: this.order.epoch,
      extra,
    };
    const tensors: Record<string, Float32Array | Int32Array> = {};
    for (const kind of ['p', ...STATE_SLOTS[this.currentHyper.optimizer]]) {
      for (const [name, t] of this.collect(kind)) tensors[slot(kind, name)] = t;
    }
    const perm = this.order.perm;
    tensors['data/perm'] = new Int32Array(perm.buffer, perm.byteOffset, perm.length); // indices < 2^31
    saveCheckpoint(path, encodeState(state), tensors);
  }

  /** Frees the ONNX Runtime sessions. */
  async release(): Promise<void> {
    await this.graphs.releaseAll();
  }

  private batchFeeds(batch: number): BatchFeeds {
    let b = this.batchBuffers.get(batch);
    if (!b) {
      b = this.task.allocate(this.currentSizes, batch);
      this.batchBuffers.set(batch, b);
    }
    return b;
  }

  /** Per-name views into the store of one kind ('p', 'm' or 'v'), in spec order as checkpoints have them. */
  private collect(kind: string): Map<string, Float32Array> {
    const views = this.store.views(kind);
    return new Map(this.specs.map((s) => [s.name, views.get(s.name)!]));
  }

  /**
   * A fresh store holding these parameters and state, its parameter views fed to every graph. The views
   * stay valid for the store's life: its memory never grows.
   */
  private storeTensors(params: Tensors, state: ReadonlyMap<string, Tensors>): ParamStore {
    const store = new ParamStore(this.specs, STATE_SLOTS[this.currentHyper.optimizer]);
    for (const [kind, tensors] of [['p', params] as const, ...state]) {
      for (const [name, view] of store.views(kind)) view.set(tensors.get(name)!);
    }
    for (const [name, view] of store.views('p')) this.feeds[slot('p', name)] = view;
    const into = (first: boolean) => Object.fromEntries([...store.gradientViews(first)].map(([name, view]) => [gradSlot(name), view]));
    this.gradientsInto = { first: into(true), later: into(false) };
    this.batchBuffers.clear();
    return store;
  }
}
