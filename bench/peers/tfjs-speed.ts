/**
 * @tensorflow/tfjs peer for bench/trainer-speed.ts: the built-in trainer's residual MLP and character GPT
 * (src/train/models/mlp.ts, gpt.ts) in tfjs ops. Backend: tfjs's WebAssembly one with SIMD and one thread
 * (@tensorflow/tfjs-backend-wasm, XNNPACK matmuls) when it resolves, else the pure-JS CPU backend; the
 * result says which. Gradients by tf.variableGrads; SGD with momentum and Adam are tfjs's own optimizers,
 * with weight decay on matrices added the PyTorch way (SGD: g += wd p; AdamW: p *= 1 - lr wd first).
 *
 *   node --import tsx bench/peers/tfjs-speed.ts --data DIR --seconds 3 --configs '[{"model":"mlp","hidden":128,"optimizer":"sgd"}]'
 *
 * Data: with --data, the built-in trainer's training data (bench/peers/peer-data.ts), each batch the next
 * rows of a permutation reshuffled every epoch, gathered with tf.gather; without it, one fixed random batch.
 * Prints one JSON line per config: {model, config, steps_per_s, steps_per_cpu_s, steps, params, tfjs_version, backend}.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readPeerData, type PeerData } from './peer-data.js';

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
  /** Puts the next batch in place (a no-op with a fixed batch). */
  readonly nextBatch: () => void;
  readonly dispose: () => void;
}

/**
 * The next `batch` rows of a permutation of `n` examples, reshuffled (Fisher-Yates, seeded LCG) at each
 * epoch's end, as int32 indices for tf.gather.
 */
function batchOrder(n: number, batch: number): () => tf.Tensor1D {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let seed = 12345;
  const shuffle = (): void => {
    for (let i = n - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
  };
  shuffle();
  let cursor = 0;
  return () => {
    if (cursor + batch > n) {
      shuffle();
      cursor = 0;
    }
    cursor += batch;
    return tf.tensor1d(perm.subarray(cursor - batch, cursor), 'int32');
  };
}

const int32 = (a: BigInt64Array): Int32Array => Int32Array.from(a, Number);

function param(vars: tf.Variable[], name: string, shape: number[], init: 'normal' | 'zeros' | 'ones', std = 0.02): tf.Variable {
  const t = init === 'zeros' ? tf.zeros(shape) : init === 'ones' ? tf.ones(shape) : tf.randomNormal(shape, 0, std, 'float32', vars.length + 1);
  const v = tf.variable(t, true, name);
  t.dispose();
  vars.push(v);
  return v;
}

/** stem relu(x W0 + b0); D blocks h + relu(h W1 + b1) W2 + b2; head h Wh + bh; softmax cross-entropy. */
function buildMlp(cfg: PeerConfig, data: PeerData | null): Built {
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
  let x: tf.Tensor = tf.randomUniform([batch, 784], 0, 1, 'float32', 7);
  const labels = tf.randomUniform([batch], 0, 10, 'int32', 8);
  let y: tf.Tensor = tf.oneHot(labels, 10).toFloat();
  labels.dispose();
  let nextBatch = (): void => {};
  let all: tf.Tensor[] = [];
  if (data) {
    const { n, pixels } = data.info.mnist;
    const allX = tf.tensor2d(data.mnistX, [n, pixels]);
    const allY = tf.tensor1d(int32(data.mnistY), 'int32');
    all = [allX, allY];
    const order = batchOrder(n, batch);
    nextBatch = () => {
      tf.dispose([x, y]);
      [x, y] = tf.tidy(() => {
        const idx = order();
        return [tf.gather(allX, idx), tf.oneHot(tf.gather(allY, idx), 10).toFloat()];
      });
    };
  }
  const loss = (): tf.Scalar => {
    let h = tf.relu(tf.add(tf.matMul(x, stemW), stemB));
    for (const b of blocks) h = tf.add(h, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h, b.w1), b.b1)), b.w2), b.b2));
    const logits = tf.add(tf.matMul(h, headW), headB);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1))) as tf.Scalar;
  };
  return { vars, decayed: new Set(vars.filter((v) => v.shape.length > 1)), loss, nextBatch, dispose: () => tf.dispose([x, y, ...all]) };
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
function buildGpt(cfg: PeerConfig, data: PeerData | null): Built {
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

  let x: tf.Tensor = tf.randomUniform([batch, t], 0, v, 'int32', 11);
  const yIds = tf.randomUniform([batch * t], 0, v, 'int32', 12);
  let y: tf.Tensor = tf.oneHot(yIds, v).toFloat();
  yIds.dispose();
  // About half of each row is a real target (names are short), the rest padding, as in the torch peer.
  const lengths = tf.randomUniform([batch, 1], 3, t + 1, 'int32', 13);
  let mask: tf.Tensor = tf.tidy(() => tf.less(tf.range(0, t, 1, 'int32').expandDims(0), lengths).toFloat().reshape([batch * t]));
  lengths.dispose();
  let maskSum: tf.Tensor = tf.sum(mask);
  let nextBatch = (): void => {};
  let all: tf.Tensor[] = [];
  if (data) {
    const { n, block, vocab } = data.info.names;
    if (block !== t || vocab !== v) throw new Error(`tfjs gpt: the data has block ${block} and vocab ${vocab}, the config ${t} and ${v}`);
    const allX = tf.tensor2d(int32(data.namesX), [n, t], 'int32');
    const allY = tf.tensor2d(int32(data.namesY), [n, t], 'int32');
    const allMask = tf.tensor2d(data.namesMask, [n, t]);
    all = [allX, allY, allMask];
    const order = batchOrder(n, batch);
    nextBatch = () => {
      tf.dispose([x, y, mask, maskSum]);
      [x, y, mask, maskSum] = tf.tidy(() => {
        const idx = order();
        const m = tf.reshape(tf.gather(allMask, idx), [batch * t]);
        return [tf.gather(allX, idx), tf.oneHot(tf.reshape(tf.gather(allY, idx), [batch * t]), v).toFloat(), m, tf.sum(m)];
      });
    };
  }
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
    // The embedding lookup as one-hot rows times the table: the wasm backend has no kernel for gather's
    // gradient (UnsortedSegmentSum), and the product is tiny next to the model's other matmuls.
    const tokens = tf.matMul(tf.oneHot(tf.reshape(x, [batch * t]), v).toFloat() as tf.Tensor2D, wte as tf.Tensor2D);
    let h: tf.Tensor = tf.reshape(tf.add(tf.reshape(tokens, [batch, t, c]), wpe), [batch * t, c]);
    for (const b of blocks) {
      h = tf.add(h, attention(layerNorm(h, b.ln1s, b.ln1b), b));
      const m = layerNorm(h, b.ln2s, b.ln2b);
      h = tf.add(h, tf.add(tf.matMul(gelu(tf.add(tf.matMul(m as tf.Tensor2D, b.fcW as tf.Tensor2D), b.fcB)) as tf.Tensor2D, b.projW as tf.Tensor2D), b.projB));
    }
    const logits = tf.add(tf.matMul(layerNorm(h, lnfS, lnfB) as tf.Tensor2D, headW as tf.Tensor2D), headB);
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), y), 1);
    return tf.neg(tf.div(tf.sum(tf.mul(picked, mask)), maskSum)) as tf.Scalar;
  };
  return { vars, decayed: new Set(vars.filter((q) => q.shape.length > 1)), loss, nextBatch, dispose: () => tf.dispose([x, y, mask, maskSum, causal, ...all]) };
}

/** One optimizer step: gradients, weight decay on the decayed variables, the optimizer's update; returns the loss. */
function makeStep(built: Built, cfg: PeerConfig): { step: () => number; dispose: () => void } {
  const lr = cfg.lr ?? (cfg.model === 'mlp' ? 1e-3 : 3e-3);
  const wd = cfg.weight_decay ?? 0.01;
  const opt = cfg.optimizer === 'sgd' ? tf.train.momentum(lr, 0.9) : tf.train.adam(lr, 0.9, 0.999, 1e-8);
  const step = (): number => {
    built.nextBatch();
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

/**
 * The WebAssembly backend with SIMD on one thread if @tensorflow/tfjs-backend-wasm resolves and reports
 * SIMD, else the pure-JS CPU backend; returns what ran and, for the fallback, why.
 */
const WASM_BACKEND = '@tensorflow/tfjs-backend-wasm';

async function chooseBackend(): Promise<string> {
  try {
    // Registers the 'wasm' backend in tfjs-core's global registry, which every copy of tfjs-core shares. A
    // specifier in a variable, so that type-checking does not need the package installed.
    await import(WASM_BACKEND);
  } catch (e) {
    await tf.setBackend('cpu');
    return `cpu (pure JS; @tensorflow/tfjs-backend-wasm is not installed: ${(e as Error).message.split('\n')[0]})`;
  }
  // One thread, as every engine of the bench: the threaded build is not loaded.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) {
    await tf.setBackend('cpu');
    return 'cpu (pure JS; the wasm backend failed to initialise)';
  }
  await tf.ready();
  const require = createRequire(import.meta.url);
  const version = (require(`${WASM_BACKEND}/package.json`) as { version: string }).version;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return `wasm ${version} (${simd ? 'SIMD' : 'no SIMD'}, 1 thread, XNNPACK)`;
}

export async function measureTfjs(cfg: PeerConfig, seconds: number, warmup: number, data: PeerData | null = null): Promise<PeerResult> {
  const backend = await chooseBackend();
  const built = cfg.model === 'mlp' ? buildMlp(cfg, data) : buildGpt(cfg, data);
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
    final_loss: finalLoss, tfjs_version: tf.version.tfjs, backend,
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
  const dir = arg('--data');
  const data = dir ? readPeerData(dir) : null;
  for (const cfg of configs) process.stdout.write(`${JSON.stringify(await measureTfjs(cfg, seconds, warmup, data))}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
