/**
 * @tensorflow/tfjs peer for bench/trainer-speed.ts: the built-in trainer's residual MLP and character GPT
 * (src/train/models/mlp.ts, gpt.ts) in tfjs ops on its pure-JS CPU backend, trained on random data of the
 * right shapes. Gradients by tf.variableGrads; SGD with momentum and Adam are tfjs's own optimizers, with
 * weight decay on matrices added the PyTorch way (SGD: g += wd p; AdamW: p *= 1 - lr wd before the update).
 *
 *   node --import tsx bench/peers/tfjs-speed.ts --seconds 3 --configs '[{"model":"mlp","hidden":128,"optimizer":"sgd"}]'
 *
 * prints one JSON line per config: {model, config, steps_per_s, steps_per_cpu_s, steps, params, tfjs_version, backend}.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

export interface PeerConfig {
  readonly model: 'mlp' | 'gpt';
  readonly optimizer: 'sgd' | 'adamw';
  readonly batch?: number;
  readonly hidden?: number;
  readonly depth?: number;
  readonly vocab?: number;
  readonly block?: number;
  readonly embd?: number;
  readonly heads?: number;
  readonly layers?: number;
  readonly ffn?: number;
  readonly lr?: number;
  readonly weight_decay?: number;
  /** The built-in trainer's parameter count for this config; a mismatch is an error. */
  readonly expect_params?: number;
}

export interface PeerResult {
  readonly model: string;
  readonly config: PeerConfig;
  readonly steps: number;
  readonly wall_s: number;
  readonly cpu_s: number;
  readonly steps_per_s: number;
  readonly steps_per_cpu_s: number;
  readonly params: number;
  readonly final_loss: number;
  readonly tfjs_version: string;
  readonly backend: string;
}

interface Built {
  readonly vars: tf.Variable[];
  /** Variables that take weight decay (matrices and embeddings, as ParamSpec.decay says). */
  readonly decayed: ReadonlySet<tf.Variable>;
  readonly loss: () => tf.Scalar;
  readonly dispose: () => void;
}

function param(vars: tf.Variable[], name: string, shape: number[], init: 'normal' | 'zeros' | 'ones', std = 0.02): tf.Variable {
  const t = init === 'zeros' ? tf.zeros(shape) : init === 'ones' ? tf.ones(shape) : tf.randomNormal(shape, 0, std, 'float32', vars.length + 1);
  const v = tf.variable(t, true, name);
  t.dispose();
  vars.push(v);
  return v;
}

/** stem relu(x W0 + b0); D blocks h + relu(h W1 + b1) W2 + b2; head h Wh + bh; softmax cross-entropy. */
function buildMlp(cfg: PeerConfig): Built {
  const hidden = cfg.hidden ?? 128;
  const depth = cfg.depth ?? 1;
  const batch = cfg.batch ?? 64;
  const vars: tf.Variable[] = [];
  const stemW = param(vars, 'stem.w', [784, hidden], 'normal', Math.sqrt(2 / 784));
  const stemB = param(vars, 'stem.b', [hidden], 'zeros');
  const blocks = Array.from({ length: depth }, (_, i) => ({
    w1: param(vars, `block${i}.w1`, [hidden, hidden], 'normal', Math.sqrt(2 / hidden)),
    b1: param(vars, `block${i}.b1`, [hidden], 'zeros'),
    w2: param(vars, `block${i}.w2`, [hidden, hidden], 'normal', Math.sqrt(1 / hidden)),
    b2: param(vars, `block${i}.b2`, [hidden], 'zeros'),
  }));
  const headW = param(vars, 'head.w', [hidden, 10], 'normal', Math.sqrt(1 / hidden));
  const headB = param(vars, 'head.b', [10], 'zeros');
  const x = tf.randomUniform([batch, 784], 0, 1, 'float32', 7);
  const labels = tf.randomUniform([batch], 0, 10, 'int32', 8);
  const y = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  const loss = (): tf.Scalar => {
    let h = tf.relu(tf.add(tf.matMul(x, stemW), stemB));
    for (const b of blocks) h = tf.add(h, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h, b.w1), b.b1)), b.w2), b.b2));
    const logits = tf.add(tf.matMul(h, headW), headB);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1))) as tf.Scalar;
  };
  return { vars, decayed: new Set(vars.filter((v) => v.shape.length > 1)), loss, dispose: () => tf.dispose([x, y]) };
}

const GELU_C = Math.sqrt(2 / Math.PI);
const gelu = (x: tf.Tensor): tf.Tensor =>
  tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_C)), 1));

function layerNorm(x: tf.Tensor, s: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), s), b);
}

/**
 * Token + position embeddings; L pre-LayerNorm blocks (causal multi-head attention with a fused qkv
 * projection and an output projection, biases on both; MLP C -> F -> C with tanh GELU); final LayerNorm;
 * untied head with bias; cross-entropy averaged over the real (mask = 1) positions.
 */
function buildGpt(cfg: PeerConfig): Built {
  const v = cfg.vocab ?? 28;
  const t = cfg.block ?? 16;
  const c = cfg.embd ?? 64;
  const heads = cfg.heads ?? 4;
  const layers = cfg.layers ?? 2;
  const f = cfg.ffn ?? 4 * c;
  const batch = cfg.batch ?? 32;
  const dh = c / heads;
  const projStd = 0.02 / Math.sqrt(2 * Math.max(1, layers));
  const vars: tf.Variable[] = [];
  const wte = param(vars, 'wte', [v, c], 'normal');
  const wpe = param(vars, 'wpe', [t, c], 'normal');
  const blocks = Array.from({ length: layers }, (_, i) => ({
    ln1s: param(vars, `block${i}.ln1.s`, [c], 'ones'),
    ln1b: param(vars, `block${i}.ln1.b`, [c], 'zeros'),
    qkvW: param(vars, `block${i}.attn.qkv.w`, [c, 3 * c], 'normal'),
    qkvB: param(vars, `block${i}.attn.qkv.b`, [3 * c], 'zeros'),
    oW: param(vars, `block${i}.attn.o.w`, [c, c], 'normal', projStd),
    oB: param(vars, `block${i}.attn.o.b`, [c], 'zeros'),
    ln2s: param(vars, `block${i}.ln2.s`, [c], 'ones'),
    ln2b: param(vars, `block${i}.ln2.b`, [c], 'zeros'),
    fcW: param(vars, `block${i}.fc.w`, [c, f], 'normal'),
    fcB: param(vars, `block${i}.fc.b`, [f], 'zeros'),
    projW: param(vars, `block${i}.proj.w`, [f, c], 'normal', projStd),
    projB: param(vars, `block${i}.proj.b`, [c], 'zeros'),
  }));
  const lnfS = param(vars, 'lnf.s', [c], 'ones');
  const lnfB = param(vars, 'lnf.b', [c], 'zeros');
  const headW = param(vars, 'head.w', [c, v], 'normal');
  const headB = param(vars, 'head.b', [v], 'zeros');

  const x = tf.randomUniform([batch, t], 0, v, 'int32', 11);
  const yIds = tf.randomUniform([batch * t], 0, v, 'int32', 12);
  const y = tf.oneHot(yIds, v).toFloat();
  yIds.dispose();
  // About half of each row is a real target (names are short), the rest padding, as in the torch peer.
  const lengths = tf.randomUniform([batch, 1], 3, t + 1, 'int32', 13);
  const mask = tf.tidy(() => tf.less(tf.range(0, t, 1, 'int32').expandDims(0), lengths).toFloat().reshape([batch * t]));
  lengths.dispose();
  const maskSum = tf.sum(mask);
  // 0 where the key is at or before the query, -1e9 after it.
  const causal = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9));

  const attention = (a: tf.Tensor, b: (typeof blocks)[number]): tf.Tensor => {
    const [q, k, vv] = tf.split(tf.add(tf.matMul(a as tf.Tensor2D, b.qkvW as tf.Tensor2D), b.qkvB), 3, 1);
    const heads4 = (z: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(z, [batch, t, heads, dh]), [0, 2, 1, 3]);
    const scores = tf.add(tf.matMul(tf.mul(heads4(q), 1 / Math.sqrt(dh)), heads4(k), false, true), causal);
    const mixed = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores, -1), heads4(vv)), [0, 2, 1, 3]), [batch * t, c]);
    return tf.add(tf.matMul(mixed as tf.Tensor2D, b.oW as tf.Tensor2D), b.oB);
  };

  const loss = (): tf.Scalar => {
    let h: tf.Tensor = tf.reshape(tf.add(tf.gather(wte, x), wpe), [batch * t, c]);
    for (const b of blocks) {
      h = tf.add(h, attention(layerNorm(h, b.ln1s, b.ln1b), b));
      const m = layerNorm(h, b.ln2s, b.ln2b);
      h = tf.add(h, tf.add(tf.matMul(gelu(tf.add(tf.matMul(m as tf.Tensor2D, b.fcW as tf.Tensor2D), b.fcB)) as tf.Tensor2D, b.projW as tf.Tensor2D), b.projB));
    }
    const logits = tf.add(tf.matMul(layerNorm(h, lnfS, lnfB) as tf.Tensor2D, headW as tf.Tensor2D), headB);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), y), 1);
    return tf.neg(tf.div(tf.sum(tf.mul(picked, mask)), maskSum)) as tf.Scalar;
  };
  return { vars, decayed: new Set(vars.filter((q) => q.shape.length > 1)), loss, dispose: () => tf.dispose([x, y, mask, maskSum, causal]) };
}

/** One optimizer step: gradients, weight decay on the decayed variables, the optimizer's update; returns the loss. */
function makeStep(built: Built, cfg: PeerConfig): { step: () => number; dispose: () => void } {
  const lr = cfg.lr ?? (cfg.model === 'mlp' ? 1e-3 : 3e-3);
  const wd = cfg.weight_decay ?? 0.01;
  const opt = cfg.optimizer === 'sgd' ? tf.train.momentum(lr, 0.9) : tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const step = (): number => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(built.loss, built.vars);
      if (cfg.optimizer === 'sgd') {
        for (const v of built.decayed) grads[v.name] = tf.add(grads[v.name], tf.mul(v, wd));
      } else {
        for (const v of built.decayed) v.assign(tf.mul(v, 1 - lr * wd));
      }
      // tfjs types applyGradients for variables by name; variableGrads returns plain tensors under those names.
      opt.applyGradients(grads as tf.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
      return value;
    });
    const out = loss.dataSync()[0];
    loss.dispose();
    return out;
  };
  return { step, dispose: () => opt.dispose() };
}

export async function measureTfjs(cfg: PeerConfig, seconds: number, warmup: number): Promise<PeerResult> {
  await tf.setBackend('cpu');
  await tf.ready();
  const built = cfg.model === 'mlp' ? buildMlp(cfg) : buildGpt(cfg);
  const params = built.vars.reduce((s, v) => s + v.size, 0);
  if (cfg.expect_params !== undefined && params !== cfg.expect_params) {
    throw new Error(`tfjs ${cfg.model}: ${params} parameters, but the built-in trainer's model has ${cfg.expect_params}`);
  }
  const { step, dispose } = makeStep(built, cfg);
  for (let i = 0; i < warmup; i++) step();
  let steps = 0;
  let chunk = 2;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let wall = 0;
  for (;;) {
    for (let i = 0; i < chunk; i++) step();
    steps += chunk;
    wall = (performance.now() - t0) / 1000;
    if (wall >= seconds) break;
    chunk = Math.max(chunk, Math.floor(steps / 4));
  }
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const finalLoss = step();
  dispose();
  built.dispose();
  tf.dispose(built.vars);
  return {
    model: cfg.model, config: cfg, steps, wall_s: wall, cpu_s: cpu, steps_per_s: steps / wall, steps_per_cpu_s: steps / cpu, params,
    final_loss: finalLoss, tfjs_version: tf.version.tfjs, backend: tf.getBackend(),
  };
}

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const configs = JSON.parse(arg('--configs') ?? '[]') as PeerConfig[];
  const seconds = Number(arg('--seconds') ?? 3);
  const warmup = Number(arg('--warmup') ?? 3);
  for (const cfg of configs) process.stdout.write(`${JSON.stringify(await measureTfjs(cfg, seconds, warmup))}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
