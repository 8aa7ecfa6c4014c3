/**
 * The symbolic graph: values with a dtype and a static shape, each produced by one operator from earlier
 * values. Nothing here knows what an operator computes (ops.ts checks shapes, grad-rules.ts differentiates,
 * emit.ts writes ONNX); the graph only records who feeds whom, so autodiff and emission can walk it.
 */
import { fmtShape, numel } from './shape.js';

export type DType = 'float32' | 'float64' | 'int64' | 'bool';
export type FloatDType = 'float32' | 'float64';
export type Shape = readonly number[];

/** The buffer that holds a tensor of each dtype, the same one ONNX Runtime takes and returns. */
export interface ArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}
export type TensorData = ArrayOf[DType];

export function isFloat(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

type NoAttrs = Readonly<Record<string, never>>;

/** Attributes of each differentiable operator, fully resolved at build time (no negative axes, no -1 dims). */
export interface DiffOpAttrs {
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Neg: NoAttrs;
  Relu: NoAttrs;
  Tanh: NoAttrs;
  Sigmoid: NoAttrs;
  /** GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  Gelu: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sqrt: NoAttrs;
  Pow: { readonly exponent: number };
  MatMul: NoAttrs;
  Gemm: { readonly transA: boolean; readonly transB: boolean; readonly alpha: number; readonly beta: number };
  Softmax: { readonly axis: number };
  LogSoftmax: { readonly axis: number };
  /** Per row of [N, C] logits and int64 labels [N]: -log softmax(row)[label], shape [N]. */
  SoftmaxCrossEntropy: NoAttrs;
  LayerNormalization: { readonly axis: number; readonly epsilon: number };
  Gather: NoAttrs;
  Reshape: { readonly shape: Shape };
  Transpose: { readonly perm: readonly number[] };
  Expand: { readonly shape: Shape };
  ReduceSum: { readonly axes: readonly number[]; readonly keepdims: boolean };
  ReduceMean: { readonly axes: readonly number[]; readonly keepdims: boolean };
  Where: NoAttrs;
  Cast: { readonly to: DType };
  Identity: NoAttrs;
}

/**
 * Operators that have no gradient rule: comparisons (bool out), and helpers that only backward passes use.
 * A gradient that reaches one of these is an error the engine reports.
 */
export interface AuxOpAttrs {
  Greater: NoAttrs;
  Equal: NoAttrs;
  ScatterNDAdd: NoAttrs;
  ScatterElementsAdd: { readonly axis: number };
  /** Joins tensors along one axis; used to flatten gradients into one vector, so it needs no rule. */
  Concat: { readonly axis: number };
  /**
   * The mean or the inverse standard deviation that a LayerNormalization node (the one input) computed on
   * its way: its second and third ONNX outputs, float32 whatever the input's dtype. Only its gradient
   * rule reads them.
   */
  LayerNormStat: { readonly stat: 'mean' | 'invStdDev' };
  /** x² or the gate sigmoid(z) that a Gelu node (the one input) computed on its way; only its gradient rule reads them. */
  GeluPart: { readonly part: 'square' | 'gate' };
}

interface LeafAttrs {
  Input: { readonly name: string };
  Initializer: { readonly name: string; readonly data: TensorData };
}

type AllAttrs = DiffOpAttrs & AuxOpAttrs & LeafAttrs;
/** An operator that has a gradient rule. */
export type OpType = keyof DiffOpAttrs;
export type AuxOpType = keyof AuxOpAttrs;
export type Kind = keyof AllAttrs;

/** One value of the graph together with the operator (or leaf) that produces it. */
export interface Node<K extends Kind = Kind> {
  readonly id: number;
  readonly graph: Graph;
  readonly op: K;
  readonly inputs: readonly Value[];
  readonly attrs: AllAttrs[K];
  readonly dtype: DType;
  readonly shape: Shape;
}

/** Any value; narrowing on `op` narrows `attrs`. */
export type Value = { [K in Kind]: Node<K> }[Kind];

/** Build-time mistakes in a graph: bad shapes, dtypes, names. They name the operator and the shapes. */
export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

const ARRAY_OF: { readonly [D in DType]: new (n: number) => ArrayOf[D] } = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export function allocate<D extends DType>(dtype: D, n: number): ArrayOf[D] {
  return new ARRAY_OF[dtype](n);
}

export function dataMatches(dtype: DType, data: TensorData): boolean {
  return data instanceof ARRAY_OF[dtype];
}

export interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

export class Graph {
  private nextId = 0;
  private readonly names = new Set<string>();
  /** Scalars are cached so `mul(x, 0.5)` in a loop adds one initializer, not one per call. */
  private readonly scalars = new Map<string, Value>();
  readonly inputs: Node<'Input'>[] = [];
  readonly outputs: GraphOutput[] = [];

  /** A value fed at run time (parameters, data, labels, hyperparameters). */
  input(name: string, dtype: DType, shape: Shape): Node<'Input'> {
    this.claim(name);
    checkShape('input ' + name, shape);
    const v = this.leaf('Input', { name }, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  /** A named value baked into the model. `data` is copied so later edits do not leak into the graph. */
  initializer<D extends DType>(name: string, dtype: D, shape: Shape, data: ArrayOf[D]): Node<'Initializer'> {
    this.claim(name);
    checkShape('initializer ' + name, shape);
    if (!dataMatches(dtype, data)) throw new GraphError(`initializer ${name}: data is not a ${dtype} array`);
    if (data.length !== numel(shape)) {
      throw new GraphError(`initializer ${name}: ${data.length} elements given, shape ${fmtShape(shape)} needs ${numel(shape)}`);
    }
    return this.leaf('Initializer', { name, data: data.slice() }, dtype, shape);
  }

  /** An anonymous baked-in tensor (masks, index ranges). */
  constant<D extends DType>(dtype: D, shape: Shape, data: ArrayOf[D]): Node<'Initializer'> {
    return this.initializer(`#const${this.nextId}`, dtype, shape, data);
  }

  /** A rank-0 constant, shared by every use of the same (dtype, value). */
  scalar(value: number, dtype: DType): Value {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`;
    let v = this.scalars.get(key);
    if (!v) {
      const data = allocate(dtype, 1);
      if (data instanceof BigInt64Array) {
        if (!Number.isInteger(value)) throw new GraphError(`scalar ${value} is not an integer, so not an int64`);
        data[0] = BigInt(value);
      } else {
        data[0] = value;
      }
      v = this.initializer(`#scalar${this.nextId}`, dtype, [], data);
      this.scalars.set(key, v);
    }
    return v;
  }

  /** Name a value as a model output. One value may be output under several names. */
  output(name: string, value: Value): void {
    if (value.graph !== this) throw new GraphError(`output ${name}: the value belongs to another graph`);
    if (this.outputs.some((o) => o.name === name)) throw new GraphError(`output ${name} is already defined`);
    if (this.names.has(name)) throw new GraphError(`output ${name}: the name is taken by an input or initializer`);
    this.outputs.push({ name, value });
  }

  /** Used by ops.ts once it has checked the inputs and inferred the result; not for model code. */
  node<K extends OpType | AuxOpType>(op: K, inputs: readonly Value[], attrs: AllAttrs[K], dtype: DType, shape: Shape): Node<K> {
    for (const x of inputs) {
      if (x.graph !== this) throw new GraphError(`${op}: an input belongs to another graph`);
    }
    return { id: this.nextId++, graph: this, op, inputs, attrs, dtype, shape };
  }

  private leaf<K extends 'Input' | 'Initializer'>(op: K, attrs: AllAttrs[K], dtype: DType, shape: Shape): Node<K> {
    return { id: this.nextId++, graph: this, op, inputs: [], attrs, dtype, shape: [...shape] };
  }

  private claim(name: string): void {
    if (name === '' || this.names.has(name)) throw new GraphError(`the name "${name}" is empty or already used`);
    if (this.outputs.some((o) => o.name === name)) throw new GraphError(`the name "${name}" is already an output`);
    this.names.add(name);
  }
}

function checkShape(what: string, shape: Shape): void {
  if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new GraphError(`${what}: shape ${fmtShape(shape)} must hold positive integers (static shapes only)`);
  }
}
