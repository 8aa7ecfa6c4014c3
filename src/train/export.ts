/**
 * A trained built-in model as a forward-only ONNX model: the model's own forward pass (models/*.ts, the
 * one training runs) with the trained weights as initializers, and nothing of training (no loss, no
 * optimizer state). Any ONNX Runtime loads it; the batch dimension is free (`N`).
 *
 * The graph builder knows static shapes only, so the batch size is freed after emission: the model is
 * emitted for two batch sizes, and the one place the two differ, the leading dimension of a Reshape
 * target, becomes -1 (and the inputs' and outputs' leading dimension becomes `N`). Any other difference
 * means the model bakes its batch size in somewhere, and export refuses rather than write a wrong model.
 */
import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';
import { loadNames } from './data/names.js';
import { gpt, type GptSizes } from './models/gpt.js';
import { mlp, type MlpSizes } from './models/mlp.js';
import type { ModelDef } from './models/types.js';
import { Graph, reshape, toModel, type DType, type Value } from './onnx/index.js';
import type { ModelKind, ModelSizes, TrainedModel } from './trainer.js';

const { onnx } = onnxProto;

/** One input or output of an exported model, as a user feeds or reads it. */
export interface TensorSignature {
  readonly name: string;
  readonly dtype: DType;
  /** 'N' is the free batch dimension. */
  readonly shape: readonly (number | 'N')[];
  /** What the values mean, in one line. */
  readonly meaning: string;
}

export interface OnnxExport {
  /** The serialised ModelProto. */
  readonly bytes: Uint8Array;
  readonly input: TensorSignature;
  readonly output: TensorSignature;
}

export const OUTPUT_NAME = 'logits';
const BATCH = 'N';

/** How each built-in model meets its user: one named input, `logits` out. */
interface Interface<S> {
  readonly def: ModelDef<S>;
  readonly input: (s: S) => { name: string; dtype: DType; dims: number[]; meaning: string };
  /** The model's logits reshaped for the user, and what they mean. */
  readonly output: (logits: Value, s: S, batch: number) => Value;
  readonly outputMeaning: (s: S) => string;
}

const MLP: Interface<MlpSizes> = {
  def: mlp,
  input: (s) => ({
    name: 'image',
    dtype: 'float32',
    dims: [s.inputs],
    meaning: 'a 28x28 digit row by row, grey levels from 0 (background) to 1 (ink): pixel / 255, as the trainer reads MNIST',
  }),
  output: (logits) => logits,
  outputMeaning: (s) => `a score for each of the ${s.classes} digits 0-9: argmax is the prediction, softmax the probabilities`,
};

const GPT: Interface<GptSizes> = {
  def: gpt,
  input: (s) => ({
    name: 'tokens',
    dtype: 'int64',
    dims: [s.block],
    meaning: `character ids, id = position in the vocabulary ${JSON.stringify(vocabulary(s).join(''))}; a name is "." + letters + ".", padded after its end with any id`,
  }),
  // The model works on [B*T, vocab] rows; a user thinks in sequences.
  output: (logits, s, batch) => reshape(logits, [batch, s.block, s.vocab]),
  outputMeaning: () => 'logits[n, t] scores the character after position t of sequence n; softmax gives its probabilities',
};

function vocabulary(s: GptSizes): string[] {
  const { vocab } = loadNames(s.block);
  // The vocabulary is the data set's; a model trained on another one cannot be described by it.
  if (vocab.length !== s.vocab) throw new Error(`the model has ${s.vocab} token ids, but the names data set has ${vocab.length} characters`);
  return vocab;
}

function interfaceOf(kind: ModelKind): Interface<ModelSizes> {
  // Each interface is used only with the sizes of its own kind; the union type lets one variable hold either.
  return (kind === 'mlp' ? MLP : GPT) as unknown as Interface<ModelSizes>;
}

/** The forward pass for `batch` examples, with the trained parameters baked in. */
function forwardGraph(m: TrainedModel, batch: number): Graph {
  const io = interfaceOf(m.kind);
  const g = new Graph();
  const p: Record<string, Value> = {};
  for (const spec of io.def.params(m.sizes)) p[spec.name] = g.initializer(spec.name, 'float32', spec.shape, m.params.get(spec.name)!);
  const input = io.input(m.sizes);
  // Every model's forward pass reads its batch as `x`; the labels and masks the loss needs are not asked for.
  const x = g.input(input.name, input.dtype, [batch, ...input.dims]);
  g.output(OUTPUT_NAME, io.output(io.def.logits(m.sizes, p, { x }), m.sizes, batch));
  return g;
}

/**
 * The trained model as ONNX bytes, with its input and output described. `metadata` goes into the model's
 * metadata_props (where it came from), beside the input and output descriptions.
 */
export function exportOnnx(m: TrainedModel, metadata: Readonly<Record<string, string>> = {}): OnnxExport {
  const io = interfaceOf(m.kind);
  // Batch sizes no other dimension of the built-in models is: a coincidence would only make export refuse.
  const model = toModel(forwardGraph(m, 3));
  freeBatch(model, toModel(forwardGraph(m, 5)));
  const input = io.input(m.sizes);
  const outputShape = model.graph!.output![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? Number(d.dimValue));
  const signature = {
    input: { name: input.name, dtype: input.dtype, shape: [BATCH, ...input.dims], meaning: input.meaning } as TensorSignature,
    output: { name: OUTPUT_NAME, dtype: 'float32', shape: outputShape as (number | 'N')[], meaning: io.outputMeaning(m.sizes) } as TensorSignature,
  };
  const g = model.graph!;
  g.name = `tune ${m.kind}`;
  g.input![0].docString = signature.input.meaning;
  g.output![0].docString = signature.output.meaning;
  model.docString = 'Exported by tune: the inference graph of a built-in model with its trained weights.';
  model.metadataProps = Object.entries({ ...metadata, iteration: String(m.iteration), sizes: JSON.stringify(m.sizes) }).map(([key, value]) => ({ key, value }));
  return { bytes: onnx.ModelProto.encode(model).finish(), ...signature };
}

/**
 * Frees the batch dimension of `a` (emitted for one batch size) by comparing it with `b`, the same model
 * emitted for another: every node must match, and a constant may differ only as a Reshape target whose
 * one differing dimension becomes -1.
 */
function freeBatch(a: P.IModelProto, b: P.IModelProto): void {
  const ga = a.graph!;
  const gb = b.graph!;
  const initA = new Map(ga.initializer!.map((t) => [t.name!, t]));
  const initB = new Map(gb.initializer!.map((t) => [t.name!, t]));
  const nodesA = ga.node!;
  const nodesB = gb.node!;
  const fail = (what: string): never => {
    throw new Error(`cannot free the batch dimension of this model: ${what}`);
  };
  if (nodesA.length !== nodesB.length) fail(`it has ${nodesA.length} nodes at one batch size and ${nodesB.length} at another`);
  nodesA.forEach((na, i) => {
    const nb = nodesB[i];
    const inA = na.input!;
    const inB = nb.input!;
    if (na.opType !== nb.opType || inA.length !== inB.length || JSON.stringify(na.output) !== JSON.stringify(nb.output) || JSON.stringify(na.attribute) !== JSON.stringify(nb.attribute)) {
      fail(`node ${na.name} (${na.opType}) differs between batch sizes`);
    }
    inA.forEach((nameA, j) => {
      const ta = initA.get(nameA);
      const tb = initB.get(inB[j]);
      if (!ta || !tb) {
        if (nameA !== inB[j]) fail(`node ${na.name} (${na.opType}) reads ${nameA} at one batch size and ${inB[j]} at another`);
        return;
      }
      if (sameTensor(ta, tb)) return;
      const da = int64s(ta);
      const db = int64s(tb);
      const differ = da.flatMap((d, k) => (d !== db[k] ? [k] : []));
      if (na.opType !== 'Reshape' || j !== 1 || da.length !== db.length || differ.length !== 1) {
        fail(`node ${na.name} (${na.opType}) holds a constant that depends on the batch size`);
      }
      const target = da.map((d, k) => (k === differ[0] ? -1 : d));
      const name = `#free_batch${i}`;
      ga.initializer!.push({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [target.length], rawData: bytesOf(BigInt64Array.from(target, BigInt)) });
      inA[j] = name;
    });
  });
  const free = (infoA: P.IValueInfoProto[], infoB: P.IValueInfoProto[]) => infoA.forEach((x, i) => {
    const dimsB = infoB[i].type!.tensorType!.shape!.dim!;
    const dims = x.type!.tensorType!.shape!.dim!;
    x.type!.tensorType!.shape!.dim = dims.map((d, k) => (Number(d.dimValue) === Number(dimsB[k].dimValue) ? d : { dimParam: BATCH }));
  });
  free(ga.input!, gb.input!);
  free(ga.output!, gb.output!);
  // Constants only the replaced Reshape targets used would be left behind unused (runtimes warn about those).
  const used = new Set(ga.node!.flatMap((n) => n.input!));
  ga.initializer = ga.initializer!.filter((t) => used.has(t.name!));
}

function sameTensor(a: P.ITensorProto, b: P.ITensorProto): boolean {
  if (a.dataType !== b.dataType || JSON.stringify(a.dims) !== JSON.stringify(b.dims)) return false;
  const ra = a.rawData!;
  const rb = b.rawData!;
  return ra.length === rb.length && Buffer.from(ra.buffer, ra.byteOffset, ra.byteLength).equals(Buffer.from(rb.buffer, rb.byteOffset, rb.byteLength));
}

/** An int64 constant's values ([] for any other dtype: never a Reshape target). */
function int64s(t: P.ITensorProto): number[] {
  if (t.dataType !== onnx.TensorProto.DataType.INT64) return [];
  const raw = t.rawData!;
  return Array.from(new BigInt64Array(raw.slice().buffer), Number);
}

function bytesOf(a: BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
