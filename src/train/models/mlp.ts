/**
 * Residual MLP classifier for MNIST: stem relu(x W0 + b0) [784 → H]; D blocks h + relu(h W1 + b1) W2 + b2
 * with W1 [H → F], W2 [F → H]; head h Wh + bh [H → 10]; softmax cross-entropy.
 */
import { add, gemm, relu, softmaxCrossEntropy, type Graph, type Value } from '../onnx/builder.js';
import type { BatchInputs, ModelDef, ParamSpec } from './types.js';

export interface MlpSizes {
  readonly inputs: number;
  readonly hidden: number;
  /** Width of every block's inner layer (F); starts at `hidden`, widen_mlp adds to it. */
  readonly ffn: number;
  readonly depth: number;
  readonly classes: number;
}

const DEFAULTS = { inputs: 784, hidden: 256, depth: 1, classes: 10 };

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`mlp ${name} is ${v}, but must be a whole number >= 1`);
}

const he = (fanIn: number) => ({ kind: 'normal', std: Math.sqrt(2 / fanIn) }) as const;
const zeros = { kind: 'zeros' } as const;

function logits({ depth }: MlpSizes, p: Readonly<Record<string, Value>>, batch: BatchInputs): Value {
  let h: Value = relu(gemm(batch.x, p['stem.w'], p['stem.b']));
  for (let i = 0; i < depth; i++) {
    const inner = relu(gemm(h, p[`block${i}.w1`], p[`block${i}.b1`]));
    h = add(h, gemm(inner, p[`block${i}.w2`], p[`block${i}.b2`]));
  }
  return gemm(h, p['head.w'], p['head.b']);
}

export const mlp: ModelDef<MlpSizes> = {
  kind: 'mlp',

  sizes(partial) {
    const hidden = partial.hidden ?? DEFAULTS.hidden;
    const s: MlpSizes = {
      inputs: partial.inputs ?? DEFAULTS.inputs,
      hidden,
      ffn: partial.ffn ?? hidden,
      depth: partial.depth ?? DEFAULTS.depth,
      classes: partial.classes ?? DEFAULTS.classes,
    };
    for (const [k, v] of Object.entries(s)) if (k !== 'depth') positiveInt(k, v);
    if (!Number.isInteger(s.depth) || s.depth < 0) throw new Error(`mlp depth is ${s.depth}, but must be a whole number >= 0`);
    return s;
  },

  params({ inputs, hidden: h, ffn: f, depth, classes }) {
    const spec = (name: string, shape: number[], init: ParamSpec['init'], outgoing = false): ParamSpec => ({
      name, shape, init, decay: shape.length > 1, outgoing,
    });
    const out: ParamSpec[] = [spec('stem.w', [inputs, h], he(inputs)), spec('stem.b', [h], zeros)];
    for (let i = 0; i < depth; i++) {
      out.push(
        spec(`block${i}.w1`, [h, f], he(h)),
        spec(`block${i}.b1`, [f], zeros),
        // Scaled down so a deep stack starts near the identity; a zero start would be exact but untrainable
        // for W1 (its gradient flows through W2).
        spec(`block${i}.w2`, [f, h], { kind: 'normal', std: Math.sqrt(1 / f) / Math.max(1, depth) }, true),
        spec(`block${i}.b2`, [h], zeros, true),
      );
    }
    out.push(spec('head.w', [h, classes], { kind: 'normal', std: Math.sqrt(1 / h) }), spec('head.b', [classes], zeros));
    return out;
  },

  batchInputs(g: Graph, { inputs }, batch, dtype) {
    return { x: g.input('x', dtype, [batch, inputs]), y: g.input('y', 'int64', [batch]) };
  },

  loss: (sizes, p, batch) => softmaxCrossEntropy(logits(sizes, p, batch), batch.y),

  logits,

  grow(sizes, op, n) {
    return op === 'stack_layers' ? { ...sizes, depth: sizes.depth + n } : { ...sizes, ffn: sizes.ffn + n };
  },
};
