/**
 * Compile a graph once into an ONNX Runtime session and run it on named typed arrays. Single-threaded and
 * sequential, so results are bit-for-bit repeatable and trials running side by side do not fight over cores.
 */
import ort from 'onnxruntime-node';
import { GraphError, dataMatches, type ArrayOf, type DType, type Graph, type Shape } from './graph.js';
import { toBytes } from './emit.js';
import { fmtShape, numel } from './shape.js';

/** The buffers a session takes and returns: Float32Array, Float64Array, BigInt64Array (int64), Uint8Array (bool). */
export type Feed = ArrayOf[DType];

export interface Runner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Feed every graph input by name; get every compiled output by name. Outputs named in `into` are
   * written into those buffers (of the output's dtype and size) as well: ONNX Runtime fills them in place,
   * which spares the caller copying them out of the fresh buffers it returns.
   */
  run(feeds: Readonly<Record<string, Feed>>, into?: Readonly<Record<string, Feed>>): Promise<Record<string, Feed>>;
  release(): Promise<void>;
}

export interface CompileOptions {
  /** Which of the graph's outputs to compute (default: all); the rest of the graph is left out. */
  readonly outputs?: readonly string[];
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  // Warnings go to stderr, which the terminal UI owns; errors still reach us as exceptions.
  logSeverityLevel: 3,
};

export async function compile(graph: Graph, opts: CompileOptions = {}): Promise<Runner> {
  const outputNames = opts.outputs ?? graph.outputs.map((o) => o.name);
  const session = await ort.InferenceSession.create(toBytes(graph, outputNames), SESSION_OPTIONS);
  const inputs = graph.inputs.map((x) => ({ name: x.attrs.name, dtype: x.dtype, shape: x.shape }));
  const outputs = outputNames.map((name) => {
    const { dtype, shape } = graph.outputs.find((o) => o.name === name)!.value;
    return { name, dtype, shape };
  });
  // The ort.Tensor wrapping each buffer, made (and checked) once: a trainer feeds the same buffers every
  // step, and wrapping them anew costs more than a small model's step spends in most of its kernels.
  const wrapped = new Map<string, { data: Feed; tensor: ort.Tensor }>();
  const wrap = (name: string, dtype: DType, shape: Shape, data: Feed | undefined, role: string): ort.Tensor => {
    const w = wrapped.get(name);
    if (w && w.data === data) return w.tensor;
    const tensor = toTensor(name, dtype, shape, data, role);
    wrapped.set(name, { data: data!, tensor });
    return tensor;
  };
  return {
    inputNames: inputs.map((x) => x.name),
    outputNames,
    async run(feeds, into) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const x of inputs) tensors[x.name] = wrap(x.name, x.dtype, x.shape, feeds[x.name], 'input');
      let results: ort.InferenceSession.ReturnType;
      if (into) {
        // Every output listed, in the session's order (the native binding names its results by position).
        const fetches: Record<string, ort.Tensor | null> = {};
        for (const o of outputs) fetches[o.name] = into[o.name] ? wrap(`>${o.name}`, o.dtype, o.shape, into[o.name], 'output') : null;
        results = await session.run(tensors, fetches);
      } else {
        results = await session.run(tensors);
      }
      const out: Record<string, Feed> = {};
      for (const name of outputNames) out[name] = results[name].data as Feed; // ort types data as a wide union
      return out;
    },
    release: () => session.release(),
  };
}

function toTensor(name: string, dtype: DType, shape: Shape, data: Feed | undefined, role = 'input'): ort.Tensor {
  if (!data) throw new GraphError(`run: no feed for ${role} ${name}`);
  if (!dataMatches(dtype, data)) throw new GraphError(`run: ${role} ${name} is ${dtype}, fed a ${data.constructor.name}`);
  if (data.length !== numel(shape)) {
    throw new GraphError(`run: ${role} ${name} ${fmtShape(shape)} needs ${numel(shape)} elements, fed ${data.length}`);
  }
  return new ort.Tensor(dtype, data, shape);
}
