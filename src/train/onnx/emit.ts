/**
 * Graph → ONNX ModelProto (IR 8, opset 18) through onnx-proto. Only values that some chosen output needs
 * are written. Axes, shapes and exponents live in the graph as attributes and become the small int64 or
 * float initializers that opset 18 takes as inputs.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { GraphError, type DType, type Graph, type Node, type Shape, type TensorData, type Value } from './graph.js';
import { sameShape } from './shape.js';
import { GELU_Z1, GELU_Z3 } from './ops.js';

const { onnx } = onnxProto;

export const IR_VERSION = 8;
/** 18: LayerNormalization exists (17+) and ReduceSum and ReduceMean both take axes as an input (18+). */
export const OPSET = 18;

const ELEM_TYPE: { readonly [D in DType]: number } = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): P.IAttributeProto => ({ name, type: A.INT, i });
const float = (name: string, f: number): P.IAttributeProto => ({ name, type: A.FLOAT, f });
const ints = (name: string, v: readonly number[]): P.IAttributeProto => ({ name, type: A.INTS, ints: [...v] });
const str = (name: string, s: string): P.IAttributeProto => ({ name, type: A.STRING, s: new TextEncoder().encode(s) });

function valueInfo(name: string, dtype: DType, shape: Shape): P.IValueInfoProto {
  return { name, type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function tensor(name: string, dtype: DType, shape: Shape, data: TensorData): P.ITensorProto {
  // Raw little-endian bytes: one path for every dtype, and what onnxruntime reads fastest.
  const rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  return { name, dataType: ELEM_TYPE[dtype], dims: [...shape], rawData };
}

/** Values the outputs depend on, inputs before users (iterative DFS: real graphs are deep). */
function topoOrder(roots: readonly Value[]): Value[] {
  const order: Value[] = [];
  const seen = new Set<Value>();
  const stack: [Value, number][] = roots.map((r) => [r, 0]);
  stack.reverse();
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [v, k] = top;
    if (seen.has(v)) {
      stack.pop();
      continue;
    }
    if (k < v.inputs.length) {
      top[1]++;
      if (!seen.has(v.inputs[k])) stack.push([v.inputs[k], 0]);
      continue;
    }
    stack.pop();
    seen.add(v);
    order.push(v);
  }
  return order;
}

/**
 * Adds that a Gemm can do itself: Add(x, Gemm(A, B)) where the Gemm has no C, feeds nothing else and is no
 * output becomes Gemm(A, B, x) with beta 1, whose kernel adds x as it writes the product. That is how a
 * backward pass sums two gradient contributions (autodiff.ts), and it saves a kernel and a pass over the
 * sum. By Add: the Gemm it absorbs and the addend that becomes C.
 */
function gemmAdds(order: readonly Value[], outputs: readonly Value[]): Map<Value, { gemm: Node<'Gemm'>; addend: Value }> {
  const uses = new Map<Value, number>();
  for (const v of [...order.flatMap((v) => v.inputs), ...outputs]) uses.set(v, (uses.get(v) ?? 0) + 1);
  const out = new Map<Value, { gemm: Node<'Gemm'>; addend: Value }>();
  for (const v of order) {
    if (v.op !== 'Add') continue;
    for (const k of [1, 0]) {
      const gemm = v.inputs[k];
      const addend = v.inputs[1 - k];
      if (gemm.op !== 'Gemm' || gemm.inputs.length !== 2 || uses.get(gemm) !== 1) continue;
      if (!sameShape(gemm.shape, v.shape) || !sameShape(addend.shape, v.shape)) continue;
      out.set(v, { gemm, addend });
      break;
    }
  }
  return out;
}

/** The model computing the named outputs (all of the graph's outputs when `outputNames` is omitted). */
export function toModel(graph: Graph, outputNames?: readonly string[]): P.ModelProto {
  const outputs = outputNames
    ? outputNames.map((n) => {
        const o = graph.outputs.find((p) => p.name === n);
        if (!o) throw new GraphError(`toModel: no output named ${n}`);
        return o;
      })
    : graph.outputs;
  if (outputs.length === 0) throw new GraphError('toModel: the graph has no outputs');

  const order = topoOrder(outputs.map((o) => o.value));
  const names = new Map<Value, string>();
  for (const v of order) {
    names.set(v, v.op === 'Input' || v.op === 'Initializer' ? v.attrs.name : `#${v.id}`);
  }
  // An output computed by an operator simply takes the output's name; a leaf, or a value already named by
  // an earlier output, is copied out through an Identity node.
  const copies: P.INodeProto[] = [];
  const renamed = new Set<Value>();
  for (const { name, value } of outputs) {
    if (value.op !== 'Input' && value.op !== 'Initializer' && !renamed.has(value)) {
      names.set(value, name);
      renamed.add(value);
    } else {
      copies.push({ opType: 'Identity', input: [names.get(value)!], output: [name] });
    }
  }

  const initializers: P.ITensorProto[] = [];
  const consts = new Map<string, string>();
  /** A small attribute-like constant, written once however many nodes use it. */
  const constant = (dtype: DType, shape: Shape, data: TensorData): string => {
    const key = `${dtype}${JSON.stringify(shape)}:${Array.from(data as ArrayLike<number | bigint>, String).join(',')}`;
    let name = consts.get(key);
    if (!name) {
      name = `#k${consts.size}`;
      consts.set(key, name);
      initializers.push(tensor(name, dtype, shape, data));
    }
    return name;
  };
  const i64 = (v: readonly number[]): string => constant('int64', [v.length], BigInt64Array.from(v, BigInt));

  // A LayerNormalization node also writes the statistics its LayerNormStat nodes stand for, as its second
  // (mean) and third (inverse standard deviation) outputs; an unused one is left unnamed.
  const statsOf = new Map<Value, string[]>();
  for (const v of order) {
    if (v.op !== 'LayerNormStat') continue;
    const stats = statsOf.get(v.inputs[0]) ?? ['', ''];
    stats[v.attrs.stat === 'mean' ? 0 : 1] = names.get(v)!;
    statsOf.set(v.inputs[0], stats);
  }

  // A Gelu node's x² and gate take the names of the GeluPart nodes standing for them, if any.
  const partsOf = new Map<Value, { square?: string; gate?: string }>();
  for (const v of order) {
    if (v.op !== 'GeluPart') continue;
    partsOf.set(v.inputs[0], { ...partsOf.get(v.inputs[0]), [v.attrs.part]: names.get(v)! });
  }
  const scalar = (dtype: DType, x: number): string => constant(dtype, [], dtype === 'float32' ? Float32Array.of(x) : Float64Array.of(x));

  const fusedAdds = gemmAdds(order, outputs.map((o) => o.value));
  const absorbed = new Set<Value>([...fusedAdds.values()].map((f) => f.gemm));

  const nodes: P.INodeProto[] = [];
  for (const v of order) {
    if (absorbed.has(v)) continue; // written by the Add it feeds
    const out = [names.get(v)!];
    const input = v.inputs.map((x) => names.get(x)!);
    const node = (opType: string, inputs = input, attribute: P.IAttributeProto[] = []): void => {
      nodes.push({ opType, input: inputs, output: out, attribute, name: out[0] });
    };
    switch (v.op) {
      case 'Input':
        break;
      case 'Initializer':
        initializers.push(tensor(v.attrs.name, v.dtype, v.shape, v.attrs.data));
        break;
      case 'Pow': {
        const e = v.dtype === 'float32' ? Float32Array.of(v.attrs.exponent) : Float64Array.of(v.attrs.exponent);
        node('Pow', [input[0], constant(v.dtype, [], e)]);
        break;
      }
      case 'Gemm':
        node('Gemm', input, [int('transA', +v.attrs.transA), int('transB', +v.attrs.transB), float('alpha', v.attrs.alpha), float('beta', v.attrs.beta)]);
        break;
      case 'Add': {
        const fused = fusedAdds.get(v);
        if (!fused) {
          node('Add');
          break;
        }
        const { gemm, addend } = fused;
        node('Gemm', [...gemm.inputs.map((x) => names.get(x)!), names.get(addend)!], [
          int('transA', +gemm.attrs.transA), int('transB', +gemm.attrs.transB), float('alpha', gemm.attrs.alpha), float('beta', 1),
        ]);
        break;
      }
      case 'Softmax':
      case 'LogSoftmax':
        node(v.op, input, [int('axis', v.attrs.axis)]);
        break;
      case 'LayerNormalization': {
        const stats = statsOf.get(v) ?? [];
        while (stats.length && stats[stats.length - 1] === '') stats.pop();
        out.push(...stats);
        node(v.op, input, [int('axis', v.attrs.axis), float('epsilon', v.attrs.epsilon)]);
        break;
      }
      case 'LayerNormStat':
      case 'GeluPart':
        break; // an intermediate of the node it reads
      case 'Gelu': {
        // x sigmoid(x (Z1 + Z3 x²)): six kernels, no Pow.
        const [x] = input;
        const parts = partsOf.get(v) ?? {};
        const square = parts.square ?? `${out[0]}/x2`;
        const gate = parts.gate ?? `${out[0]}/gate`;
        const step = (opType: string, inputs: string[], output: string): void => {
          nodes.push({ opType, input: inputs, output: [output], name: output });
        };
        step('Mul', [x, x], square);
        step('Mul', [square, scalar(v.dtype, GELU_Z3)], `${out[0]}/a`);
        step('Add', [`${out[0]}/a`, scalar(v.dtype, GELU_Z1)], `${out[0]}/b`);
        step('Mul', [x, `${out[0]}/b`], `${out[0]}/z`);
        step('Sigmoid', [`${out[0]}/z`], gate);
        step('Mul', [x, gate], out[0]);
        break;
      }
      case 'SoftmaxCrossEntropy': {
        // -LogSoftmax picked at the label: five kernels, where ONNX's SoftmaxCrossEntropyLoss function
        // expands to ten in ONNX Runtime.
        const [z, labels] = input;
        const n = v.shape[0];
        const at = (s: string): string => `${out[0]}/${s}`;
        nodes.push(
          { opType: 'LogSoftmax', input: [z], output: [at('logp')], name: at('logp'), attribute: [int('axis', 1)] },
          { opType: 'Reshape', input: [labels, i64([n, 1])], output: [at('col')], name: at('col') },
          { opType: 'GatherElements', input: [at('logp'), at('col')], output: [at('picked')], name: at('picked'), attribute: [int('axis', 1)] },
          { opType: 'Neg', input: [at('picked')], output: [at('nll')], name: at('nll') },
        );
        node('Reshape', [at('nll'), i64([n])]);
        break;
      }
      case 'Gather':
        node('Gather', input, [int('axis', 0)]);
        break;
      case 'Concat':
        node('Concat', input, [int('axis', v.attrs.axis)]);
        break;
      case 'ScatterNDAdd':
        node('ScatterND', input, [str('reduction', 'add')]);
        break;
      case 'ScatterElementsAdd':
        node('ScatterElements', input, [int('axis', v.attrs.axis), str('reduction', 'add')]);
        break;
      case 'Reshape':
      case 'Expand':
        node(v.op, [input[0], i64(v.attrs.shape)]);
        break;
      case 'Transpose':
        node('Transpose', input, [ints('perm', v.attrs.perm)]);
        break;
      case 'ReduceSum':
      case 'ReduceMean':
        node(v.op, [input[0], i64(v.attrs.axes)], [int('keepdims', +v.attrs.keepdims)]);
        break;
      case 'Cast':
        node('Cast', input, [int('to', ELEM_TYPE[v.attrs.to])]);
        break;
      default:
        // The remaining ops (Add, Mul, MatMul, Relu, Where, Greater, ...) have no attributes and share
        // their ONNX name.
        node(v.op);
    }
  }
  nodes.push(...copies);

  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'tune',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'tune',
      node: nodes,
      initializer: initializers,
      // Every declared input stays in the model even when these outputs ignore it, so one feed dictionary
      // fits every model cut from the same graph.
      input: graph.inputs.map((x) => valueInfo(x.attrs.name, x.dtype, x.shape)),
      output: outputs.map((o) => valueInfo(o.name, o.value.dtype, o.value.shape)),
    },
  });
}

/** The serialised model, ready for `InferenceSession.create`. */
export function toBytes(graph: Graph, outputNames?: readonly string[]): Uint8Array {
  return onnx.ModelProto.encode(toModel(graph, outputNames)).finish();
}
