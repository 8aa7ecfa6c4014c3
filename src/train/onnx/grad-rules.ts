/**
 * The derivative of every differentiable operator, one rule each, in one table. A rule gets the upstream
 * gradient `g` (shaped like the node's output `y`) and the node, and returns one gradient per input, or
 * null where the input has none. Rules may return a gradient shaped like the broadcast output: the engine
 * sums it back to the input's shape (autodiff.ts), so no rule repeats that bookkeeping.
 *
 * Gradients are built from the same primitives as forward graphs, so the backward pass is an ordinary ONNX
 * graph that runs in the same session as the forward one.
 */
import { isFloat, type Node, type OpType, type Value } from './graph.js';
import {
  add, cast, div, exp, expand, gemm, geluParts, GELU_Z1, GELU_Z3, greater, layerNormStats, matmul, mul, neg, pow,
  reduceMean, reduceSum, reshape, scatterElementsAdd, scatterNDAdd, softmax, sqrt, sub, transpose, where, zeros,
} from './ops.js';
import { numel } from './shape.js';

export type Rule<K extends OpType> = (g: Value, y: Node<K>) => readonly (Value | null)[];

/** x with its last two axes swapped. */
function swapLast(x: Value): Value {
  const r = x.shape.length;
  return transpose(x, [...x.shape.keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)));
}

/** g reshaped so that its reduced axes come back as 1s, then broadcast to the input's shape. */
function unreduce(g: Value, y: Node<'ReduceSum' | 'ReduceMean'>): Value {
  const x = y.inputs[0];
  const kept = x.shape.map((d, i) => (y.attrs.axes.includes(i) ? 1 : d));
  return expand(reshape(g, kept), x.shape);
}

export const gradRules: { readonly [K in OpType]: Rule<K> } = {
  // y = a + b
  Add: (g) => [g, g],
  // y = a - b
  Sub: (g) => [g, neg(g)],
  // y = a * b
  Mul: (g, y) => [mul(g, y.inputs[1]), mul(g, y.inputs[0])],
  // y = a / b;  dy/db = -a / b^2 = -y / b
  Div: (g, y) => [div(g, y.inputs[1]), neg(div(mul(g, y), y.inputs[1]))],
  // y = -x
  Neg: (g) => [neg(g)],
  // y = max(x, 0); the kink at 0 gets gradient 0, as in PyTorch. The mask reads y (y > 0 exactly where
  // x > 0), not x: then x feeds the Relu alone and ONNX Runtime fuses a Gemm before it into one kernel.
  Relu: (g, y) => [where(greater(y, 0), g, 0)],
  // y = tanh(x);  dy/dx = 1 - y^2
  Tanh: (g, y) => [mul(g, sub(1, mul(y, y)))],
  // y = 1 / (1 + e^-x);  dy/dx = y (1 - y)
  Sigmoid: (g, y) => [mul(g, mul(y, sub(1, y)))],
  // y = x s, s = sigmoid(z), z = x (Z1 + Z3 x²);  dy/dx = s + x s (1 - s) (Z1 + 3 Z3 x²), with the x² and s
  // of the forward pass
  Gelu: (g, y) => {
    const x = y.inputs[0];
    const { square, gate } = geluParts(y);
    const dz = add(mul(square, 3 * GELU_Z3), GELU_Z1);
    return [mul(g, add(gate, mul(mul(x, mul(gate, sub(1, gate))), dz)))];
  },
  // y = e^x;  dy/dx = y
  Exp: (g, y) => [mul(g, y)],
  // y = ln x
  Log: (g, y) => [div(g, y.inputs[0])],
  // y = sqrt(x);  dy/dx = 1 / (2y)
  Sqrt: (g, y) => [div(mul(g, 0.5), y)],
  // y = x^p, p a constant
  Pow: (g, y) => {
    const [x] = y.inputs;
    const p = y.attrs.exponent;
    if (p === 0) return [null];
    if (p === 1) return [g];
    return [mul(g, mul(p - 1 === 1 ? x : pow(x, p - 1), p))];
  },
  // y = a @ b (batched);  da = g @ b^T, db = a^T @ g
  MatMul: (g, y) => {
    const [a, b] = y.inputs;
    if (a.shape.length === 2 && b.shape.length === 2) {
      return [gemm(g, b, undefined, { transB: true }), gemm(a, g, undefined, { transA: true })];
    }
    if (b.shape.length === 2) {
      // A batch of rows times one weight matrix: fold the batch into rows so the weight's gradient is a
      // single Gemm instead of a batched MatMul that the engine would then have to sum.
      const [k, n] = b.shape;
      const g2 = reshape(g, [-1, n]);
      return [reshape(gemm(g2, b, undefined, { transB: true }), a.shape), gemm(reshape(a, [-1, k]), g2, undefined, { transA: true })];
    }
    return [matmul(g, swapLast(b)), matmul(swapLast(a), g)];
  },
  // y = alpha * op(A) @ op(B) + beta * C, op = optional transpose
  Gemm: (g, y) => {
    const [a, b, c] = y.inputs;
    const { transA, transB, alpha, beta } = y.attrs;
    // Each case is the matching rearrangement of g @ op(B)^T and op(A)^T @ g, kept as one Gemm.
    const ga = transA
      ? gemm(b, g, undefined, { transA: transB, transB: true, alpha })
      : gemm(g, b, undefined, { transB: !transB, alpha });
    const gb = transB
      ? gemm(g, a, undefined, { transA: true, transB: transA, alpha })
      : gemm(a, g, undefined, { transA: !transA, alpha });
    const grads = [ga, gb];
    if (c) grads.push(beta === 1 ? g : mul(g, beta));
    return grads;
  },
  // y = softmax(x) along axis;  dx = y * (g - sum(g * y))
  Softmax: (g, y) => [mul(y, sub(g, reduceSum(mul(g, y), [y.attrs.axis], true)))],
  // y = x - logsumexp(x) along axis;  dx = g - softmax(x) * sum(g)
  LogSoftmax: (g, y) => [sub(g, mul(exp(y), reduceSum(g, [y.attrs.axis], true)))],
  // y[i] = -log softmax(z[i])[label[i]];  dz[i] = g[i] (softmax(z[i]) - onehot(label[i])); labels have none.
  // softmax - onehot is written as softmax with -1 added at each row's label: one kernel instead of a
  // one-hot's three and a Sub, and s + (-1) is s - 1 to the bit.
  SoftmaxCrossEntropy: (g, y) => {
    const [z, labels] = y.inputs;
    const [n] = z.shape;
    const minusOne = z.graph.constant(z.dtype, [n, 1], z.dtype === 'float32' ? new Float32Array(n).fill(-1) : new Float64Array(n).fill(-1));
    return [mul(scatterElementsAdd(softmax(z, 1), reshape(labels, [n, 1]), minusOne, 1), reshape(g, [n, 1])), null];
  },
  // y = xhat * scale + bias, xhat = (x - mean) * rstd over axes [axis, rank). In float32 the mean and rstd
  // are the ones the forward kernel computed (its optional outputs); ONNX gives those only as float32, so
  // float64 (the gradient checks) recomputes them from x.
  LayerNormalization: (g, y) => {
    const [x, scale, bias] = y.inputs;
    const axes = [...x.shape.keys()].slice(y.attrs.axis);
    let rstd: Value;
    let xhat: Value;
    if (x.dtype === 'float32') {
      const stats = layerNormStats(y);
      rstd = stats.invStdDev;
      xhat = mul(sub(x, stats.mean), rstd);
    } else {
      const xc = sub(x, reduceMean(x, axes, true));
      rstd = div(1, sqrt(add(reduceMean(mul(xc, xc), axes, true), y.attrs.epsilon)));
      xhat = mul(xc, rstd);
    }
    const gxhat = mul(g, scale);
    const gx = mul(rstd, sub(sub(gxhat, reduceMean(gxhat, axes, true)), mul(xhat, reduceMean(mul(gxhat, xhat), axes, true))));
    // scale and bias broadcast over the leading axes; the engine sums those away.
    return bias ? [gx, mul(g, xhat), g] : [gx, mul(g, xhat)];
  },
  // y = data[indices] along axis 0;  d data = scatter-add of g into zeros (repeated indices add up)
  Gather: (g, y) => {
    const [data, indices] = y.inputs;
    const at = reshape(indices, [...indices.shape, 1]);
    return [scatterNDAdd(zeros(data.graph, data.dtype, data.shape), at, g), null];
  },
  // y = x viewed with another shape
  Reshape: (g, y) => [reshape(g, y.inputs[0].shape)],
  // y = x with axes permuted;  dx = g with the inverse permutation
  Transpose: (g, y) => {
    const inv: number[] = [];
    y.attrs.perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
  // y = x broadcast to a shape: the engine's un-broadcast is the whole gradient
  Expand: (g) => [g],
  // y = sum of x over axes
  ReduceSum: (g, y) => [unreduce(g, y)],
  // y = mean of x over axes
  ReduceMean: (g, y) => {
    const x = y.inputs[0];
    const count = numel(x.shape) / numel(y.shape);
    return [unreduce(mul(g, 1 / count), y)];
  },
  // y = cond ? a : b
  Where: (g, y) => {
    const [cond] = y.inputs;
    return [null, where(cond, g, 0), where(cond, 0, g)];
  },
  // y = x converted to another dtype; only float-to-float casts pass a gradient
  Cast: (g, y) => {
    const x = y.inputs[0];
    return [isFloat(x.dtype) && isFloat(y.dtype) ? cast(g, x.dtype) : null];
  },
  // y = x
  Identity: (g) => [g],
};
