import type { Dataset } from './spiral-data.js';

/** A fully connected tanh network with a softmax cross-entropy head, trained by SGD with momentum. */
export interface Mlp {
  sizes: number[]; // [inputs, hidden..., classes]
  weights: Float64Array[]; // layer l: sizes[l] × sizes[l+1], row-major
  biases: Float64Array[];
}

export interface MlpOptimizer {
  vw: Float64Array[];
  vb: Float64Array[];
}

export function initMlp(sizes: number[], normal: () => number): Mlp {
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const w = new Float64Array(sizes[l] * sizes[l + 1]);
    const scale = 1 / Math.sqrt(sizes[l]); // Xavier-like, right for tanh
    for (let i = 0; i < w.length; i++) w[i] = normal() * scale;
    weights.push(w);
    biases.push(new Float64Array(sizes[l + 1]));
  }
  return { sizes, weights, biases };
}

export function zeroOptimizer(m: Mlp): MlpOptimizer {
  return { vw: m.weights.map((w) => new Float64Array(w.length)), vb: m.biases.map((b) => new Float64Array(b.length)) };
}

/** Activations of every layer for the rows `idx` of `data`; the last entry holds the logits. */
function forward(m: Mlp, data: Dataset, idx: ArrayLike<number>): Float64Array[] {
  const B = idx.length;
  const acts: Float64Array[] = [];
  const x0 = new Float64Array(B * m.sizes[0]);
  for (let r = 0; r < B; r++) for (let j = 0; j < m.sizes[0]; j++) x0[r * m.sizes[0] + j] = data.x[idx[r] * m.sizes[0] + j];
  acts.push(x0);
  const L = m.weights.length;
  for (let l = 0; l < L; l++) {
    const nin = m.sizes[l];
    const nout = m.sizes[l + 1];
    const h = acts[l];
    const w = m.weights[l];
    const b = m.biases[l];
    const z = new Float64Array(B * nout);
    for (let r = 0; r < B; r++) {
      const zo = r * nout;
      for (let o = 0; o < nout; o++) z[zo + o] = b[o];
      for (let i = 0; i < nin; i++) {
        const hv = h[r * nin + i];
        const wo = i * nout;
        for (let o = 0; o < nout; o++) z[zo + o] += hv * w[wo + o];
      }
    }
    if (l < L - 1) for (let k = 0; k < z.length; k++) z[k] = Math.tanh(z[k]);
    acts.push(z);
  }
  return acts;
}

/** Turns logits into probabilities in place and returns the mean cross-entropy and the count of hits. */
function softmaxLoss(logits: Float64Array, labels: ArrayLike<number>, classes: number): { loss: number; correct: number } {
  let loss = 0;
  let correct = 0;
  const B = labels.length;
  for (let r = 0; r < B; r++) {
    const o = r * classes;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < classes; c++) if (logits[o + c] > max) { max = logits[o + c]; arg = c; }
    let sum = 0;
    for (let c = 0; c < classes; c++) { logits[o + c] = Math.exp(logits[o + c] - max); sum += logits[o + c]; }
    for (let c = 0; c < classes; c++) logits[o + c] /= sum;
    loss -= Math.log(Math.max(logits[o + labels[r]], 1e-300));
    if (arg === labels[r]) correct++;
  }
  return { loss: loss / B, correct };
}

/** One SGD step on the rows `idx`; returns the batch loss before the step. */
export function trainStep(m: Mlp, opt: MlpOptimizer, data: Dataset, idx: ArrayLike<number>, lr: number, momentum: number, l2: number): number {
  const g = zeroGradients(m);
  const loss = accumulateGradients(m, data, idx, g, 1);
  sgdUpdate(m, opt, g, lr, momentum, l2);
  return loss;
}

export interface Gradients {
  gw: Float64Array[];
  gb: Float64Array[];
}

export function zeroGradients(m: Mlp): Gradients {
  return { gw: m.weights.map((w) => new Float64Array(w.length)), gb: m.biases.map((b) => new Float64Array(b.length)) };
}

/** SGD with momentum and L2 decay: v = momentum*v + g + l2*w; w -= lr*v. */
export function sgdUpdate(m: Mlp, opt: MlpOptimizer, g: Gradients, lr: number, momentum: number, l2: number): void {
  for (let l = 0; l < m.weights.length; l++) {
    const w = m.weights[l];
    const vw = opt.vw[l];
    const gw = g.gw[l];
    for (let k = 0; k < w.length; k++) {
      vw[k] = momentum * vw[k] + gw[k] + l2 * w[k];
      w[k] -= lr * vw[k];
    }
    const b = m.biases[l];
    const vb = opt.vb[l];
    const gb = g.gb[l];
    for (let o = 0; o < b.length; o++) {
      vb[o] = momentum * vb[o] + gb[o];
      b[o] -= lr * vb[o];
    }
  }
}

/**
 * Adds scale × the gradient of the mean loss over the rows `idx` into `g` (gradient accumulation over
 * micro-batches uses scale = 1/steps); returns that mean loss.
 */
export function accumulateGradients(m: Mlp, data: Dataset, idx: ArrayLike<number>, g: Gradients, scale: number): number {
  const B = idx.length;
  const acts = forward(m, data, idx);
  const L = m.weights.length;
  const probs = acts[L];
  const labels = Array.from(idx, (i) => data.y[i]);
  const { loss } = softmaxLoss(probs, labels, m.sizes[L]);
  let dz = probs; // d(loss)/d(logits) = (p - onehot) / B
  for (let r = 0; r < B; r++) dz[r * m.sizes[L] + labels[r]] -= 1;
  for (let k = 0; k < dz.length; k++) dz[k] *= scale / B;
  for (let l = L - 1; l >= 0; l--) {
    const nin = m.sizes[l];
    const nout = m.sizes[l + 1];
    const h = acts[l];
    const w = m.weights[l];
    const gw = g.gw[l];
    const gb = g.gb[l];
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < nout; o++) gb[o] += dz[r * nout + o];
      for (let i = 0; i < nin; i++) {
        const hv = h[r * nin + i];
        const wo = i * nout;
        for (let o = 0; o < nout; o++) gw[wo + o] += hv * dz[r * nout + o];
      }
    }
    let dh: Float64Array | null = null;
    if (l > 0) {
      dh = new Float64Array(B * nin);
      for (let r = 0; r < B; r++) {
        for (let i = 0; i < nin; i++) {
          let s = 0;
          const wo = i * nout;
          for (let o = 0; o < nout; o++) s += w[wo + o] * dz[r * nout + o];
          const hv = h[r * nin + i];
          dh[r * nin + i] = s * (1 - hv * hv); // tanh'
        }
      }
    }
    if (dh) dz = dh;
  }
  return loss;
}

/**
 * Adds `extra` units to every hidden layer without changing the function: the new units get random
 * incoming weights but zero outgoing ones, so nothing downstream sees them until training moves those.
 * Their optimizer state starts at zero; the old parameters keep theirs.
 */
export function widenMlp(m: Mlp, opt: MlpOptimizer, extra: number, normal: () => number): void {
  const L = m.weights.length;
  const oldSizes = [...m.sizes];
  const sizes = oldSizes.map((s, i) => (i === 0 || i === oldSizes.length - 1 ? s : s + extra));
  const grow = (old: Float64Array, nin: number, nout: number, newIn: number, newOut: number, fill: (i: number, o: number) => number) => {
    const w = new Float64Array(newIn * newOut);
    for (let i = 0; i < newIn; i++) {
      for (let o = 0; o < newOut; o++) w[i * newOut + o] = i < nin && o < nout ? old[i * nout + o] : fill(i, o);
    }
    return w;
  };
  for (let l = 0; l < L; l++) {
    const nin = oldSizes[l];
    const nout = oldSizes[l + 1];
    const newIn = sizes[l];
    const newOut = sizes[l + 1];
    const scale = 1 / Math.sqrt(newIn);
    // Rows from new input units are zero (their outgoing weights); columns into new units are random.
    m.weights[l] = grow(m.weights[l], nin, nout, newIn, newOut, (i) => (i >= nin ? 0 : normal() * scale));
    opt.vw[l] = grow(opt.vw[l], nin, nout, newIn, newOut, () => 0);
    const b = new Float64Array(newOut);
    b.set(m.biases[l]);
    m.biases[l] = b;
    const vb = new Float64Array(newOut);
    vb.set(opt.vb[l]);
    opt.vb[l] = vb;
  }
  m.sizes = sizes;
}

/** Mean loss and accuracy over a whole dataset, in fixed-size chunks. */
export function evaluate(m: Mlp, data: Dataset): { loss: number; accuracy: number } {
  const chunk = 256;
  let loss = 0;
  let correct = 0;
  for (let start = 0; start < data.n; start += chunk) {
    const idx = new Uint32Array(Math.min(chunk, data.n - start));
    for (let k = 0; k < idx.length; k++) idx[k] = start + k;
    const acts = forward(m, data, idx);
    const labels = Array.from(idx, (i) => data.y[i]);
    const r = softmaxLoss(acts[acts.length - 1], labels, m.sizes[m.sizes.length - 1]);
    loss += r.loss * idx.length;
    correct += r.correct;
  }
  return { loss: loss / data.n, accuracy: correct / data.n };
}
