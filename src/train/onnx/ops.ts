/**
 * The primitive operators: each checks its operands at build time (dtype, shape, axes) and infers the
 * result's static shape, so a model that builds is a model ONNX Runtime accepts. What each one computes is
 * ONNX's definition; its derivative sits in grad-rules.ts under the same name.
 */
import { GraphError, isFloat, type DType, type Graph, type Shape, type Value } from './graph.js';
import { broadcast, fmtShape, normAxis, numel } from './shape.js';

/** A tensor, or a plain number that becomes a scalar constant of the other operand's dtype. */
export type Operand = Value | number;

function fail(op: string, message: string): never {
  throw new GraphError(`${op}: ${message}`);
}

function desc(v: Value): string {
  return `${v.dtype}${fmtShape(v.shape)}`;
}

function requireFloat(op: string, x: Value, role = 'input'): void {
  if (!isFloat(x.dtype)) fail(op, `${role} must be float32 or float64, got ${desc(x)}`);
}

function sameDType(op: string, ...vs: Value[]): void {
  if (vs.some((v) => v.dtype !== vs[0].dtype)) fail(op, `dtypes differ: ${vs.map(desc).join(' and ')}`);
}

function lift(op: string, a: Operand, b: Operand): [Value, Value] {
  const ref = typeof a === 'number' ? b : a;
  if (typeof ref === 'number') fail(op, 'needs at least one tensor operand');
  const x = typeof a === 'number' ? ref.graph.scalar(a, ref.dtype) : a;
  const y = typeof b === 'number' ? ref.graph.scalar(b, ref.dtype) : b;
  return [x, y];
}

function broadcastAll(op: string, vs: readonly Value[]): number[] {
  let shape: number[] | null = [];
  for (const v of vs) {
    shape = broadcast(shape, v.shape);
    if (!shape) fail(op, `shapes ${vs.map((u) => fmtShape(u.shape)).join(', ')} do not broadcast`);
  }
  return shape;
}

function axisOf(op: string, x: Value, axis: number): number {
  const a = normAxis(axis, x.shape.length);
  if (a === null) fail(op, `axis ${axis} is out of range for ${desc(x)}`);
  return a;
}

// ---- elementwise, numpy broadcasting ----

function binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Operand, b: Operand): Value {
  const [x, y] = lift(op, a, b);
  sameDType(op, x, y);
  if (x.dtype === 'bool') fail(op, `no arithmetic on bool tensors (${desc(x)})`);
  return x.graph.node(op, [x, y], {}, x.dtype, broadcastAll(op, [x, y]));
}

export const add = (a: Operand, b: Operand): Value => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Value => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Value => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Value => binary('Div', a, b);

function unary(op: 'Neg' | 'Relu' | 'Tanh' | 'Sigmoid' | 'Exp' | 'Log' | 'Sqrt' | 'Identity', x: Value): Value {
  if (op !== 'Identity') requireFloat(op, x);
  return x.graph.node(op, [x], {}, x.dtype, x.shape);
}

export const neg = (x: Value): Value => unary('Neg', x);
export const relu = (x: Value): Value => unary('Relu', x);
export const tanh = (x: Value): Value => unary('Tanh', x);
/** 1 / (1 + e^-x). */
export const sigmoid = (x: Value): Value => unary('Sigmoid', x);

/**
 * GELU, tanh approximation (PyTorch's gelu(approximate='tanh')), one node here. ONNX Runtime runs it as
 * x sigmoid(z), z = 2 sqrt(2/pi) x (1 + 0.044715 x²), the same function (0.5 (1 + tanh u) = sigmoid(2u))
 * without Pow (emit.ts), and its gradient rule reuses that pass's x² and gate (geluParts).
 */
export function gelu(x: Value): Value {
  requireFloat('Gelu', x);
  return x.graph.node('Gelu', [x], {}, x.dtype, x.shape);
}

/** The x² and the gate sigmoid(z) a gelu node computes on its way. */
export function geluParts(y: Value): { square: Value; gate: Value } {
  if (y.op !== 'Gelu') fail('GeluPart', `needs a Gelu node, got ${y.op}`);
  const part = (which: 'square' | 'gate'): Value => y.graph.node('GeluPart', [y], { part: which }, y.dtype, y.shape);
  return { square: part('square'), gate: part('gate') };
}

/** GELU's constants: z = x (GELU_Z1 + GELU_Z3 x²), dz/dx = GELU_Z1 + 3 GELU_Z3 x². */
export const GELU_Z1 = 2 * Math.sqrt(2 / Math.PI);
export const GELU_Z3 = GELU_Z1 * 0.044715;
export const exp = (x: Value): Value => unary('Exp', x);
export const log = (x: Value): Value => unary('Log', x);
export const sqrt = (x: Value): Value => unary('Sqrt', x);
export const identity = (x: Value): Value => unary('Identity', x);

/** x ** exponent for a build-time constant exponent (all a model needs, and its rule stays closed-form). */
export function pow(x: Value, exponent: number): Value {
  requireFloat('Pow', x);
  if (!Number.isFinite(exponent)) fail('Pow', `exponent ${exponent} must be finite`);
  return x.graph.node('Pow', [x], { exponent }, x.dtype, x.shape);
}

/** cond ? a : b elementwise, all three broadcast together. */
export function where(cond: Value, a: Operand, b: Operand): Value {
  if (cond.dtype !== 'bool') fail('Where', `condition must be bool, got ${desc(cond)}`);
  const [x, y] = lift('Where', a, b);
  sameDType('Where', x, y);
  return cond.graph.node('Where', [cond, x, y], {}, x.dtype, broadcastAll('Where', [cond, x, y]));
}

function compare(op: 'Greater' | 'Equal', a: Operand, b: Operand): Value {
  const [x, y] = lift(op, a, b);
  sameDType(op, x, y);
  return x.graph.node(op, [x, y], {}, 'bool', broadcastAll(op, [x, y]));
}

export const greater = (a: Operand, b: Operand): Value => compare('Greater', a, b);
export const equal = (a: Operand, b: Operand): Value => compare('Equal', a, b);

export function cast(x: Value, to: DType): Value {
  return x.dtype === to ? x : x.graph.node('Cast', [x], { to }, to, x.shape);
}

// ---- linear algebra ----

/** a[..., m, k] @ b[..., k, n] with the batch dims broadcast. Rank 1 is refused: reshape it first. */
export function matmul(a: Value, b: Value): Value {
  requireFloat('MatMul', a, 'left operand');
  sameDType('MatMul', a, b);
  if (a.shape.length < 2 || b.shape.length < 2) fail('MatMul', `both operands need rank >= 2, got ${desc(a)} and ${desc(b)}`);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) fail('MatMul', `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${k} vs ${k2})`);
  const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!batch) fail('MatMul', `batch dims of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not broadcast`);
  return a.graph.node('MatMul', [a, b], {}, a.dtype, [...batch, m, n]);
}

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly alpha?: number;
  readonly beta?: number;
}

/** alpha * op(a) @ op(b) + beta * c for 2-D a and b; c (optional) broadcasts to the [M, N] result. */
export function gemm(a: Value, b: Value, c?: Value, opts: GemmOptions = {}): Value {
  const { transA = false, transB = false } = opts;
  // ONNX float attributes are float32; rounding here keeps the graph's idea of alpha and beta exact.
  const alpha = Math.fround(opts.alpha ?? 1);
  const beta = Math.fround(opts.beta ?? 1);
  requireFloat('Gemm', a, 'A');
  sameDType('Gemm', ...(c ? [a, b, c] : [a, b]));
  if (a.shape.length !== 2 || b.shape.length !== 2) fail('Gemm', `A and B must be 2-D, got ${desc(a)} and ${desc(b)}`);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) fail('Gemm', `inner dimensions differ: op(A) is [${m},${k}], op(B) is [${k2},${n}]`);
  if (c) {
    const s = broadcast(c.shape, [m, n]);
    if (!s || s[0] !== m || s[1] !== n || c.shape.length > 2) fail('Gemm', `C ${fmtShape(c.shape)} does not broadcast to [${m},${n}]`);
  }
  return a.graph.node('Gemm', c ? [a, b, c] : [a, b], { transA, transB, alpha, beta }, a.dtype, [m, n]);
}

// ---- normalisation ----

export const softmax = (x: Value, axis = -1): Value => softmaxLike('Softmax', x, axis);
export const logSoftmax = (x: Value, axis = -1): Value => softmaxLike('LogSoftmax', x, axis);

function softmaxLike(op: 'Softmax' | 'LogSoftmax', x: Value, axis: number): Value {
  requireFloat(op, x);
  return x.graph.node(op, [x], { axis: axisOf(op, x, axis) }, x.dtype, x.shape);
}

export interface LayerNormOptions {
  /** First normalised axis; every axis from it to the last is normalised (ONNX semantics). */
  readonly axis?: number;
  readonly epsilon?: number;
}

/** ONNX LayerNormalization: (x - mean) / sqrt(var + eps) * scale + bias over axes [axis, rank). */
export function layerNorm(x: Value, scale: Value, bias?: Value, opts: LayerNormOptions = {}): Value {
  requireFloat('LayerNormalization', x);
  const axis = axisOf('LayerNormalization', x, opts.axis ?? -1);
  // ONNX float attributes are float32; round here so the gradient rule uses the epsilon the kernel uses.
  const epsilon = Math.fround(opts.epsilon ?? 1e-5);
  const normShape = x.shape.slice(axis);
  for (const [role, p] of [['scale', scale], ['bias', bias]] as const) {
    if (!p) continue;
    sameDType('LayerNormalization', x, p);
    if (fmtShape(p.shape) !== fmtShape(normShape)) {
      fail('LayerNormalization', `${role} ${fmtShape(p.shape)} must have the normalised shape ${fmtShape(normShape)} of ${desc(x)}`);
    }
  }
  return x.graph.node('LayerNormalization', bias ? [x, scale, bias] : [x, scale], { axis, epsilon }, x.dtype, x.shape);
}

/**
 * -log softmax(logits[i])[labels[i]] for every row i of [N, C] logits and int64 labels [N] (ONNX
 * SoftmaxCrossEntropyLoss without reduction): the per-example loss, whose gradient is softmax minus one-hot.
 */
export function softmaxCrossEntropyRows(logits: Value, labels: Value): Value {
  const op = 'SoftmaxCrossEntropy';
  requireFloat(op, logits, 'logits');
  if (logits.shape.length !== 2) fail(op, `logits must be [N, C], got ${desc(logits)}`);
  if (labels.dtype !== 'int64' || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    fail(op, `labels must be int64 [${logits.shape[0]}] for logits ${desc(logits)}, got ${desc(labels)}`);
  }
  return logits.graph.node(op, [logits, labels], {}, logits.dtype, [logits.shape[0]]);
}

/** The mean and inverse standard deviation a layerNorm node computed, as float32 [..., 1, ..., 1]. */
export function layerNormStats(y: Value): { mean: Value; invStdDev: Value } {
  if (y.op !== 'LayerNormalization') fail('LayerNormStat', `needs a LayerNormalization node, got ${y.op}`);
  const shape = y.shape.map((d, i) => (i < y.attrs.axis ? d : 1));
  const stat = (which: 'mean' | 'invStdDev'): Value => y.graph.node('LayerNormStat', [y], { stat: which }, 'float32', shape);
  return { mean: stat('mean'), invStdDev: stat('invStdDev') };
}

// ---- indexing ----

/** data[indices] along axis 0 (an embedding lookup): shape indices.shape ++ data.shape[1:]. */
export function gather(data: Value, indices: Value): Value {
  if (indices.dtype !== 'int64') fail('Gather', `indices must be int64, got ${desc(indices)}`);
  if (data.shape.length < 1) fail('Gather', `data must have rank >= 1, got ${desc(data)}`);
  return data.graph.node('Gather', [data, indices], {}, data.dtype, [...indices.shape, ...data.shape.slice(1)]);
}

/**
 * A copy of `data` with `updates` added at `indices` (ONNX ScatterND, reduction "add"; repeated indices
 * add up). indices[..., q] address the first q axes of data; updates are indices.shape[:-1] ++ data.shape[q:].
 */
export function scatterNDAdd(data: Value, indices: Value, updates: Value): Value {
  const op = 'ScatterND';
  if (indices.dtype !== 'int64') fail(op, `indices must be int64, got ${desc(indices)}`);
  sameDType(op, data, updates);
  const q = indices.shape[indices.shape.length - 1];
  if (indices.shape.length < 1 || q > data.shape.length) fail(op, `indices ${fmtShape(indices.shape)} do not address ${desc(data)}`);
  const want = [...indices.shape.slice(0, -1), ...data.shape.slice(q)];
  if (fmtShape(want) !== fmtShape(updates.shape)) fail(op, `updates must be ${fmtShape(want)}, got ${fmtShape(updates.shape)}`);
  return data.graph.node('ScatterNDAdd', [data, indices, updates], {}, data.dtype, data.shape);
}

/**
 * A copy of `data` with `updates` added at `indices` along `axis` (ONNX ScatterElements, reduction "add"):
 * for axis 1, out[i][indices[i][j]] += updates[i][j]. indices and updates share one shape, of data's rank.
 */
export function scatterElementsAdd(data: Value, indices: Value, updates: Value, axis: number): Value {
  const op = 'ScatterElements';
  if (indices.dtype !== 'int64') fail(op, `indices must be int64, got ${desc(indices)}`);
  sameDType(op, data, updates);
  if (fmtShape(indices.shape) !== fmtShape(updates.shape) || indices.shape.length !== data.shape.length) {
    fail(op, `indices ${fmtShape(indices.shape)} and updates ${fmtShape(updates.shape)} must share one shape of rank ${data.shape.length}`);
  }
  if (!Number.isInteger(axis) || axis < 0 || axis >= data.shape.length) fail(op, `axis ${axis} is out of range for ${desc(data)}`);
  return data.graph.node('ScatterElementsAdd', [data, indices, updates], { axis }, data.dtype, data.shape);
}

// ---- shape ----

/** Reshape with at most one -1, resolved here so the graph holds only static shapes. */
export function reshape(x: Value, shape: Shape): Value {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1 || !shape.every((d) => d === -1 || (Number.isInteger(d) && d > 0))) {
    fail('Reshape', `target ${fmtShape(shape)} must hold positive integers and at most one -1`);
  }
  const known = numel(shape.filter((d) => d !== -1));
  const total = numel(x.shape);
  const resolved = shape.map((d) => (d === -1 ? total / known : d));
  if (numel(resolved) !== total || !resolved.every(Number.isInteger)) {
    fail('Reshape', `cannot reshape ${desc(x)} (${total} elements) to ${fmtShape(shape)}`);
  }
  if (fmtShape(resolved) === fmtShape(x.shape)) return x;
  return x.graph.node('Reshape', [x], { shape: resolved }, x.dtype, resolved);
}

/** The tensors joined along `axis`; every other axis must agree. One tensor is returned as it is. */
export function concat(xs: readonly Value[], axis = 0): Value {
  if (xs.length === 0) fail('Concat', 'needs at least one tensor');
  if (xs.length === 1) return xs[0];
  sameDType('Concat', ...xs);
  const a = axisOf('Concat', xs[0], axis);
  const rank = xs[0].shape.length;
  if (xs.some((x) => x.shape.length !== rank || x.shape.some((d, i) => i !== a && d !== xs[0].shape[i]))) {
    fail('Concat', `shapes ${xs.map((x) => fmtShape(x.shape)).join(', ')} differ off axis ${a}`);
  }
  const shape = xs[0].shape.map((d, i) => (i === a ? xs.reduce((n, x) => n + x.shape[a], 0) : d));
  return xs[0].graph.node('Concat', xs, { axis: a }, xs[0].dtype, shape);
}

/** Permute axes; the default reverses them (numpy .T). */
export function transpose(x: Value, perm?: readonly number[]): Value {
  const rank = x.shape.length;
  const p = perm ?? x.shape.map((_, i) => rank - 1 - i);
  const sorted = [...p].sort((u, v) => u - v);
  if (p.length !== rank || !sorted.every((d, i) => d === i)) fail('Transpose', `perm [${p.join(',')}] is not a permutation of the ${rank} axes of ${desc(x)}`);
  if (p.every((d, i) => d === i)) return x;
  return x.graph.node('Transpose', [x], { perm: [...p] }, x.dtype, p.map((d) => x.shape[d]));
}

/** Broadcast x to exactly `shape` (numpy rules, one direction only). */
export function expand(x: Value, shape: Shape): Value {
  const s = broadcast(x.shape, shape);
  if (!s || fmtShape(s) !== fmtShape(shape)) fail('Expand', `${desc(x)} does not broadcast to ${fmtShape(shape)}`);
  if (fmtShape(x.shape) === fmtShape(shape)) return x;
  return x.graph.node('Expand', [x], { shape: [...shape] }, x.dtype, [...shape]);
}

// ---- reductions ----

export const reduceSum = (x: Value, axes?: readonly number[], keepdims = false): Value => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Value, axes?: readonly number[], keepdims = false): Value => reduce('ReduceMean', x, axes, keepdims);

/** Reduce over `axes` (all when omitted); the axes are normalised, deduplicated and sorted. */
function reduce(op: 'ReduceSum' | 'ReduceMean', x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  requireFloat(op, x);
  const norm = [...new Set((axes ?? x.shape.map((_, i) => i)).map((a) => axisOf(op, x, a)))].sort((u, v) => u - v);
  if (norm.length === 0) return x;
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return x.graph.node(op, [x], { axes: norm, keepdims }, x.dtype, shape);
}

// ---- constants ----

/** A tensor of zeros, made by expanding one scalar so the model does not carry a zero-filled initializer. */
export function zeros(graph: Graph, dtype: DType, shape: Shape): Value {
  return expand(graph.scalar(0, dtype), shape);
}
