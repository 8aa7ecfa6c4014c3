/**
 * A small GPT-style character model: token + position embeddings, L pre-norm blocks (causal multi-head
 * self-attention, then a GELU MLP, each added to the residual stream), a final layer norm and a head (its
 * own matrix, or the token embedding transposed when `tied`). Loss: mean cross-entropy over real positions.
 *
 * The residual stream is kept as [B*T, C] rows so every projection is one Gemm with its bias fused; only
 * attention itself reshapes to [B, heads, T, dh].
 */
import {
  add, causalBias, crossEntropyPerPosition, div, gather, gelu, gemm, layerNorm, matmul, mul, reduceSum, reshape,
  softmax, transpose, type FloatDType, type Value,
} from '../onnx/builder.js';
import type { BatchInputs, ModelDef, ParamSpec } from './types.js';

export interface GptSizes {
  readonly vocab: number;
  /** Context length T. */
  readonly block: number;
  /** Embedding width C. */
  readonly embd: number;
  readonly heads: number;
  readonly layers: number;
  /** MLP inner width F; starts at 4C, widen_mlp adds to it. */
  readonly ffn: number;
  /** The head reuses the token embedding (transposed) instead of a matrix of its own. */
  readonly tied: boolean;
}

const DEFAULTS = { vocab: 27, block: 16, embd: 64, heads: 4, layers: 2, tied: false };
/** nanoGPT's initialisation: N(0, 0.02) weights, output projections scaled by 1/sqrt(2L). */
const STD = 0.02;

type Params = Readonly<Record<string, Value>>;

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`gpt ${name} is ${v}, but must be a whole number >= 1`);
}

function attention(a: Value, p: Params, i: number, s: GptSizes, batch: number): Value {
  const { block: t, embd: c, heads } = s;
  const dh = c / heads;
  const project = (w: string, perm: number[]): Value =>
    transpose(reshape(gemm(a, p[`block${i}.attn.${w}.w`], p[`block${i}.attn.${w}.b`]), [batch, t, heads, dh]), perm);
  // Scaling q ([B,H,T,dh]) is cheaper than scaling the scores ([B,H,T,T]).
  const q = mul(project('q', [0, 2, 1, 3]), 1 / Math.sqrt(dh));
  const kT = project('k', [0, 2, 3, 1]);
  const v = project('v', [0, 2, 1, 3]);
  const scores = add(matmul(q, kT), causalBias(a.graph, t, a.dtype as FloatDType));
  const mixed = reshape(transpose(matmul(softmax(scores, -1), v), [0, 2, 1, 3]), [batch * t, c]);
  return gemm(mixed, p[`block${i}.attn.o.w`], p[`block${i}.attn.o.b`]);
}

function logits(s: GptSizes, p: Params, batch: BatchInputs): Value {
  const [b, t] = batch.x.shape;
  let h = reshape(add(gather(p['wte'], batch.x), p['wpe']), [b * t, s.embd]);
  for (let i = 0; i < s.layers; i++) {
    h = add(h, attention(layerNorm(h, p[`block${i}.ln1.s`], p[`block${i}.ln1.b`]), p, i, s, b));
    const m = layerNorm(h, p[`block${i}.ln2.s`], p[`block${i}.ln2.b`]);
    h = add(h, gemm(gelu(gemm(m, p[`block${i}.fc.w`], p[`block${i}.fc.b`])), p[`block${i}.proj.w`], p[`block${i}.proj.b`]));
  }
  const f = layerNorm(h, p['lnf.s'], p['lnf.b']);
  return s.tied ? gemm(f, p['wte'], p['head.b'], { transB: true }) : gemm(f, p['head.w'], p['head.b']);
}

/** sum(mask * -log p(y)) / sum(mask): every real position weighs the same, padding nothing. */
function loss(s: GptSizes, p: Params, batch: BatchInputs): Value {
  const z = logits(s, p, batch); // [B*T, vocab]
  const n = z.shape[0];
  const mask = reshape(batch.mask, [n]);
  return div(reduceSum(mul(crossEntropyPerPosition(z, reshape(batch.y, [n])), mask)), reduceSum(mask));
}

export const gpt: ModelDef<GptSizes> = {
  kind: 'gpt',

  sizes(partial) {
    const embd = partial.embd ?? DEFAULTS.embd;
    const s: GptSizes = {
      vocab: partial.vocab ?? DEFAULTS.vocab,
      block: partial.block ?? DEFAULTS.block,
      embd,
      heads: partial.heads ?? DEFAULTS.heads,
      layers: partial.layers ?? DEFAULTS.layers,
      ffn: partial.ffn ?? 4 * embd,
      tied: partial.tied ?? DEFAULTS.tied,
    };
    for (const k of ['vocab', 'block', 'embd', 'heads', 'ffn'] as const) positiveInt(k, s[k]);
    if (!Number.isInteger(s.layers) || s.layers < 0) throw new Error(`gpt layers is ${s.layers}, but must be a whole number >= 0`);
    if (s.embd % s.heads !== 0) throw new Error(`gpt embd is ${s.embd}, but must be divisible by heads (${s.heads})`);
    return s;
  },

  params({ vocab: v, block: t, embd: c, layers, ffn: f, tied }) {
    const normal = (std: number) => ({ kind: 'normal', std }) as const;
    const spec = (name: string, shape: number[], init: ParamSpec['init'], outgoing = false): ParamSpec => ({
      name, shape, init, decay: shape.length > 1, outgoing,
    });
    const projStd = STD / Math.sqrt(2 * Math.max(1, layers));
    const out: ParamSpec[] = [spec('wte', [v, c], normal(STD)), spec('wpe', [t, c], normal(STD))];
    for (let i = 0; i < layers; i++) {
      const b = `block${i}`;
      out.push(spec(`${b}.ln1.s`, [c], { kind: 'ones' }), spec(`${b}.ln1.b`, [c], { kind: 'zeros' }));
      for (const w of ['q', 'k', 'v']) {
        out.push(spec(`${b}.attn.${w}.w`, [c, c], normal(STD)), spec(`${b}.attn.${w}.b`, [c], { kind: 'zeros' }));
      }
      out.push(
        spec(`${b}.attn.o.w`, [c, c], normal(projStd), true),
        spec(`${b}.attn.o.b`, [c], { kind: 'zeros' }, true),
        spec(`${b}.ln2.s`, [c], { kind: 'ones' }),
        spec(`${b}.ln2.b`, [c], { kind: 'zeros' }),
        spec(`${b}.fc.w`, [c, f], normal(STD)),
        spec(`${b}.fc.b`, [f], { kind: 'zeros' }),
        spec(`${b}.proj.w`, [f, c], normal(projStd), true),
        spec(`${b}.proj.b`, [c], { kind: 'zeros' }, true),
      );
    }
    out.push(spec('lnf.s', [c], { kind: 'ones' }), spec('lnf.b', [c], { kind: 'zeros' }));
    if (!tied) out.push(spec('head.w', [c, v], normal(STD)));
    out.push(spec('head.b', [v], { kind: 'zeros' }));
    return out;
  },

  batchInputs(g, { block }, batch, dtype) {
    return {
      x: g.input('x', 'int64', [batch, block]),
      y: g.input('y', 'int64', [batch, block]),
      mask: g.input('mask', dtype, [batch, block]),
    };
  },

  loss,
  logits,

  grow(sizes, op, n) {
    return op === 'stack_layers' ? { ...sizes, layers: sizes.layers + n } : { ...sizes, ffn: sizes.ffn + n };
  },
};
