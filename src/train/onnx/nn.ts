/**
 * Composite layers written only with primitives from ops.ts. They have no gradient rules of their own:
 * autodiff differentiates what they expand into.
 */
import { GraphError, isFloat, type FloatDType, type Graph, type Value } from './graph.js';
import {
  add, cast, equal, gemm, matmul, mul, reduceSum, reshape, softmax, softmaxCrossEntropyRows, transpose, where,
} from './ops.js';
import { fmtShape, numel } from './shape.js';


/** x @ w (+ b) over the last axis: one Gemm for a batch of rows, MatMul (+ Add) for higher ranks. */
export function linear(x: Value, w: Value, b?: Value): Value {
  if (x.shape.length === 2) return gemm(x, w, b);
  const y = matmul(x, w);
  return b ? add(y, b) : y;
}

/** 1.0 where the class equals the label, along a new last axis of size `classes`. */
export function oneHot(labels: Value, classes: number, dtype: FloatDType): Value {
  if (labels.dtype !== 'int64') throw new GraphError(`oneHot: labels must be int64, got ${labels.dtype}`);
  const range = labels.graph.constant('int64', [classes], BigInt64Array.from({ length: classes }, (_, i) => BigInt(i)));
  return cast(equal(reshape(labels, [...labels.shape, 1]), range), dtype);
}

/**
 * -log softmax(logits)[label] for every position: logits [..., C], integer labels [...]; the result has the
 * labels' shape. One SoftmaxCrossEntropy node on the rows, whose gradient is softmax minus one-hot.
 */
export function crossEntropyPerPosition(logits: Value, labels: Value): Value {
  const lead = logits.shape.slice(0, -1);
  if (fmtShape(labels.shape) !== fmtShape(lead)) {
    throw new GraphError(`softmaxCrossEntropy: labels ${fmtShape(labels.shape)} must be ${fmtShape(lead)} for logits ${fmtShape(logits.shape)}`);
  }
  if (!isFloat(logits.dtype)) throw new GraphError(`softmaxCrossEntropy: logits must be float, got ${logits.dtype}`);
  const n = numel(lead);
  const rows = softmaxCrossEntropyRows(reshape(logits, [n, logits.shape[logits.shape.length - 1]]), reshape(labels, [n]));
  return reshape(rows, lead);
}

/** Mean over positions of -log softmax(logits)[label]: logits [..., C], integer labels [...]. */
export function softmaxCrossEntropy(logits: Value, labels: Value): Value {
  const perPosition = crossEntropyPerPosition(logits, labels);
  return mul(reduceSum(perPosition), 1 / numel(perPosition.shape));
}

const masks = new WeakMap<Graph, Map<number, Value>>();

/** [T, T] bool, true where key position <= query position; one constant per graph and length. */
export function causalMask(graph: Graph, t: number): Value {
  let byLength = masks.get(graph);
  if (!byLength) masks.set(graph, (byLength = new Map()));
  let m = byLength.get(t);
  if (!m) {
    const data = new Uint8Array(t * t);
    for (let i = 0; i < t; i++) data.fill(1, i * t, i * t + i + 1);
    m = graph.constant('bool', [t, t], data);
    byLength.set(t, m);
  }
  return m;
}

const biases = new WeakMap<Graph, Map<string, Value>>();

/**
 * [T, T] of `dtype`: 0 where key position <= query position, -1e9 after it; added to attention scores it
 * masks them as causalMask's Where would, and its gradient is the upstream one as it is (no node). -1e9
 * rather than -Infinity keeps every product of the backward pass finite.
 */
export function causalBias(graph: Graph, t: number, dtype: FloatDType): Value {
  let byKey = biases.get(graph);
  if (!byKey) biases.set(graph, (byKey = new Map()));
  let b = byKey.get(`${dtype}:${t}`);
  if (!b) {
    const data = dtype === 'float32' ? new Float32Array(t * t) : new Float64Array(t * t);
    for (let i = 0; i < t; i++) data.fill(-1e9, i * t + i + 1, (i + 1) * t);
    b = graph.constant(dtype, [t, t], data);
    byKey.set(`${dtype}:${t}`, b);
  }
  return b;
}

export interface AttentionWeights {
  /** Each [D, D]: query, key, value and output projections (no biases). */
  readonly wq: Value;
  readonly wk: Value;
  readonly wv: Value;
  readonly wo: Value;
}

/** Multi-head causal self-attention over x [B, T, D]; the result is [B, T, D]. */
export function causalSelfAttention(x: Value, w: AttentionWeights, heads: number): Value {
  if (x.shape.length !== 3) throw new GraphError(`causalSelfAttention: x must be [B,T,D], got ${fmtShape(x.shape)}`);
  const [b, t, d] = x.shape;
  if (!Number.isInteger(d / heads)) throw new GraphError(`causalSelfAttention: width ${d} is not divisible by ${heads} heads`);
  const dh = d / heads;
  const project = (wt: Value, perm: number[]): Value => transpose(reshape(matmul(x, wt), [b, t, heads, dh]), perm);
  // The 1/sqrt(dh) scale is applied to q ([B,H,T,dh]) rather than to the scores ([B,H,T,T]).
  const q = mul(project(w.wq, [0, 2, 1, 3]), 1 / Math.sqrt(dh));
  const kT = project(w.wk, [0, 2, 3, 1]);
  const v = project(w.wv, [0, 2, 1, 3]);
  // A large finite fill rather than -Infinity keeps every product in the backward pass finite.
  const scores = where(causalMask(x.graph, t), matmul(q, kT), -1e9);
  const att = matmul(softmax(scores, -1), v);
  return matmul(reshape(transpose(att, [0, 2, 1, 3]), [b, t, d]), w.wo);
}
