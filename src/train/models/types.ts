/**
 * What the trainer needs from a model: its parameter list for given sizes, how each parameter starts, the
 * data a batch feeds, and forward passes written on the graph. The trainer owns everything else (optimizer,
 * data order, growth bookkeeping), so a model file is only its architecture.
 */
import type { FloatDType, Graph, Value } from '../onnx/index.js';

/** How a parameter's values are drawn: normal(0, std), or constant. */
export type ParamInit = { readonly kind: 'normal'; readonly std: number } | { readonly kind: 'zeros' } | { readonly kind: 'ones' };

export interface ParamSpec {
  /** Unique and stable: the same sizes always give the same names in the same order. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
  /** Weight decay applies (matrices); biases and layer-norm parameters are left alone. */
  readonly decay: boolean;
  /**
   * An output projection: elements that growth adds start at zero (whatever `init` says), which is what
   * makes a stacked block the identity and a widened unit silent.
   */
  readonly outgoing: boolean;
}

/** The graph inputs one batch feeds, declared by the model; `x` is float for images, int64 for tokens. */
export type BatchInputs = Readonly<Record<string, Value>>;

/** The JS-side buffers for one batch, keyed like BatchInputs. */
export type BatchFeeds = Record<string, Float32Array | Float64Array | BigInt64Array>;

export interface ModelDef<S> {
  readonly kind: string;
  /** Fills in defaults and checks sizes, naming the bad one. */
  sizes(partial: Partial<S>): S;
  params(sizes: S): ParamSpec[];
  /** Declares the batch inputs on `g`; float ones take `dtype`. */
  batchInputs(g: Graph, sizes: S, batch: number, dtype: FloatDType): BatchInputs;
  /** The scalar training loss of a batch (a mean over examples or real positions). */
  loss(sizes: S, p: Readonly<Record<string, Value>>, batch: BatchInputs): Value;
  /** Logits, one row of classes per example ([B, classes]) or per position ([B*T, vocab]). */
  logits(sizes: S, p: Readonly<Record<string, Value>>, batch: BatchInputs): Value;
  /** Sizes after a growth operation; throws when the model cannot do it. */
  grow(sizes: S, op: 'stack_layers' | 'widen_mlp', n: number): S;
}
