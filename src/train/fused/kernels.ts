/**
 * The fused optimizer kernels, as one WebAssembly module with SIMD: each reads a parameter group's
 * gradient, parameters and state once and writes the new parameters and state in place, four float32
 * lanes at a time. Each computes the same float32 operations in the same order as the graph form of the
 * optimizer (optimizer.ts: applyOptimizer), so the two agree to the bit, and each is deterministic.
 *
 * Every pointer is a byte offset into the imported memory, 16-byte aligned; `bytes` is the length of each
 * buffer in bytes, a multiple of 64 (buffers are padded with zeros, which every kernel keeps at zero). The
 * update kernels take four vectors an iteration: one address computation and one loop test per 64 bytes,
 * and four independent chains for the processor to overlap (1.5-2x faster than one vector at a time).
 *
 *   sgd_decay / sgd_plain  (p, g, m, bytes, scale, lr, momentum, weight_decay)
 *       g' = g scale [+ weight_decay p];  m = momentum m + g';  p -= lr m
 *   adamw_decay / adamw_plain  (p, g, m, v, bytes, scale, decay, one_minus_beta1, beta2, one_minus_beta2, step_size, eps_hat)
 *       g' = g scale;  m += (g' - m) one_minus_beta1;  v = beta2 v + g'² one_minus_beta2;
 *       p = p [decay] - (m step_size) / (sqrt(v) + eps_hat)
 *   add (dst, src, bytes)       dst += src
 *   sum_squares (src, bytes)    Σ src², accumulated in float64 -> f64
 */
import { Body, moduleBytes, type FunctionDef, type ValType } from './wasm.js';

/** A kernel's loop over the buffers: `step` runs once per 16 bytes with the byte offset in local `i`. */
function loop(b: Body, bytes: number, step: (i: number) => void, stride = 16): void {
  const i = b.local('i32');
  b.whileNot(
    () => b.get(i).get(bytes).i32GeU(),
    () => {
      step(i);
      b.get(i).i32(stride).i32Add().set(i);
    },
  );
}

/** Pushes base + i, the address of the current element of one buffer. */
const at = (b: Body, base: number, i: number): Body => b.get(base).get(i).i32Add();

/** Byte offsets of the four vectors an unrolled iteration handles. */
const UNROLL = [0, 16, 32, 48] as const;

/**
 * A loop over 64-byte blocks: each iteration sets one address local per buffer in `bases` (base + i), then
 * runs `step` once per vector with those addresses and the vector's byte offset.
 */
function unrolled(b: Body, bytes: number, bases: readonly number[], step: (addr: readonly number[], offset: number) => void): void {
  const addr = bases.map(() => b.local('i32'));
  loop(b, bytes, (i) => {
    bases.forEach((base, k) => at(b, base, i).set(addr[k]));
    for (const o of UNROLL) step(addr, o);
  }, 64);
}

/** Locals holding each f32 parameter splatted over four lanes. */
function splats(b: Body, firstParam: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => {
    const l = b.local('v128');
    b.get(firstParam + k).f32x4Splat().set(l);
    return l;
  });
}

function sgd(decay: boolean): FunctionDef {
  const params: ValType[] = ['i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32'];
  const b = new Body(params);
  const [P, G, M, BYTES] = [0, 1, 2, 3];
  const [scale, lr, mu, wd] = splats(b, 4, 4);
  const g = b.local('v128');
  const m = b.local('v128');
  unrolled(b, BYTES, [P, G, M], ([p, gr, mo], o) => {
    b.get(gr).load(o).get(scale).f32x4Mul();
    if (decay) b.get(p).load(o).get(wd).f32x4Mul().f32x4Add();
    b.set(g);
    b.get(mo);
    b.get(mo).load(o).get(mu).f32x4Mul().get(g).f32x4Add().tee(m).store(o);
    b.get(p);
    b.get(p).load(o).get(m).get(lr).f32x4Mul().f32x4Sub().store(o);
  });
  return { name: decay ? 'sgd_decay' : 'sgd_plain', params, results: [], body: b };
}

function adamw(decay: boolean): FunctionDef {
  const params: ValType[] = ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32'];
  const b = new Body(params);
  const [P, G, M, V, BYTES] = [0, 1, 2, 3, 4];
  const [scale, dec, omb1, b2, omb2, stepSize, epsHat] = splats(b, 5, 7);
  const g = b.local('v128');
  const m0 = b.local('v128');
  const m = b.local('v128');
  const v = b.local('v128');
  unrolled(b, BYTES, [P, G, M, V], ([p, gr, mo, ve], o) => {
    b.get(gr).load(o).get(scale).f32x4Mul().set(g);
    // m + (g - m)(1 - b1)
    b.get(mo);
    b.get(mo).load(o).tee(m0).get(g).get(m0).f32x4Sub().get(omb1).f32x4Mul().f32x4Add().tee(m).store(o);
    // b2 v + g² (1 - b2)
    b.get(ve);
    b.get(ve).load(o).get(b2).f32x4Mul().get(g).get(g).f32x4Mul().get(omb2).f32x4Mul().f32x4Add().tee(v).store(o);
    // p [decay] - m step_size / (sqrt(v) + eps_hat)
    b.get(p);
    b.get(p).load(o);
    if (decay) b.get(dec).f32x4Mul();
    b.get(m).get(stepSize).f32x4Mul().get(v).f32x4Sqrt().get(epsHat).f32x4Add().f32x4Div().f32x4Sub().store(o);
  });
  return { name: decay ? 'adamw_decay' : 'adamw_plain', params, results: [], body: b };
}

function add(): FunctionDef {
  const params: ValType[] = ['i32', 'i32', 'i32'];
  const b = new Body(params);
  const [DST, SRC, BYTES] = [0, 1, 2];
  unrolled(b, BYTES, [DST, SRC], ([dst, src], o) => {
    b.get(dst);
    b.get(dst).load(o);
    b.get(src).load(o).f32x4Add().store(o);
  });
  return { name: 'add', params, results: [], body: b };
}

function sumSquares(): FunctionDef {
  const params: ValType[] = ['i32', 'i32'];
  const b = new Body(params);
  const [SRC, BYTES] = [0, 1];
  const acc = b.local('v128');
  const x = b.local('v128');
  b.v128Zero().set(acc);
  // Two floats at a time, widened to float64 before squaring: the norm of a million gradients in float32
  // would lose digits that the clipping threshold can see.
  loop(b, BYTES, (i) => {
    at(b, SRC, i).load64Zero().f64x2PromoteLow().tee(x).get(x).f64x2Mul().get(acc).f64x2Add().set(acc);
  }, 8);
  b.get(acc).f64x2Lane(0).get(acc).f64x2Lane(1).f64Add();
  return { name: 'sum_squares', params, results: ['f64'], body: b };
}

export interface Kernels {
  sgd_decay(p: number, g: number, m: number, bytes: number, scale: number, lr: number, momentum: number, weightDecay: number): void;
  sgd_plain(p: number, g: number, m: number, bytes: number, scale: number, lr: number, momentum: number, weightDecay: number): void;
  adamw_decay(p: number, g: number, m: number, v: number, bytes: number, scale: number, decay: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, epsHat: number): void;
  adamw_plain(p: number, g: number, m: number, v: number, bytes: number, scale: number, decay: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, epsHat: number): void;
  add(dst: number, src: number, bytes: number): void;
  sum_squares(src: number, bytes: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** The kernels over `memory`; the module is compiled once per process, synchronously (it is ~1 KB). */
export function instantiateKernels(memory: WebAssembly.Memory): Kernels {
  compiled ??= new WebAssembly.Module(moduleBytes([sgd(true), sgd(false), adamw(true), adamw(false), add(), sumSquares()]));
  // The exports are exactly the functions above, with these signatures.
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Kernels;
}
