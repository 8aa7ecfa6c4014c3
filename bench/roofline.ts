/**
 * The roofline of bench/trainer-speed.ts: how many floating-point operations a training step must do, and
 * the machine's single-core matmul peak to hold them against.
 *
 * A step's work is counted as its matrix products, from the model's own forward graph: every Gemm and
 * MatMul costs 2·M·N·K once forward, and once more for each operand that depends on a parameter (the
 * backward pass needs that operand's gradient; the image batch of the MLP's first layer needs none). The
 * elementwise work, the loss and the optimizer are left out: they are what a trainer should hide, so the
 * count is the same for every engine and any of them reaching it is a real speed-up, never a bigger count.
 */
import { buildEvalGraph } from '../src/train/step-graph.js';
import type { ModelDef } from '../src/train/models/types.js';
import { compile, gemm, Graph, type Value } from '../src/train/onnx/index.js';

/** Matrix-product FLOPs of one training step (forward and backward) of `model` at `sizes` on `batch` examples. */
export function stepMatmulFlops<S>(model: ModelDef<S>, sizes: S, batch: number): number {
  const g = buildEvalGraph(model, sizes, batch);
  const needsGrad = new Map<Value, boolean>();
  const dependsOnParam = (v: Value): boolean => {
    let d = needsGrad.get(v);
    if (d === undefined) {
      // Iterative enough for these graphs (a few hundred nodes deep at most).
      d = v.op === 'Input' ? v.attrs.name.startsWith('p/') : v.inputs.some(dependsOnParam);
      needsGrad.set(v, d);
    }
    return d;
  };
  let flops = 0;
  const seen = new Set<Value>();
  const stack: Value[] = g.outputs.map((o) => o.value);
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push(...v.inputs);
    if (v.op !== 'Gemm' && v.op !== 'MatMul') continue;
    const [a, b] = v.inputs;
    const k = v.op === 'Gemm' ? (v.attrs.transA ? a.shape[0] : a.shape[1]) : a.shape[a.shape.length - 1];
    const once = 2 * v.shape.reduce((x, y) => x * y, 1) * k;
    flops += once * (1 + Number(dependsOnParam(a)) + Number(dependsOnParam(b)));
  }
  return flops;
}

export interface GemmPeak {
  /** GFLOP per second of this process's CPU time, best repetition. */
  readonly gflops_cpu: number;
  /** GFLOP per wall second, best repetition. */
  readonly gflops_wall: number;
  readonly n: number;
  readonly repetitions: number;
}

/**
 * ONNX Runtime's own float32 Gemm on n x n matrices, one thread, as the trainer's sessions run it: the
 * best of `repetitions` timed runs after one warm-up. Each run includes copying the n² output out of the
 * session (about 2% at n = 2048).
 */
export async function ortGemmPeak(n = 2048, repetitions = 5): Promise<GemmPeak> {
  const g = new Graph();
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output('c', gemm(a, b));
  const runner = await compile(g);
  const feeds = { a: Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), b: new Float32Array(n * n).fill(0.25) };
  await runner.run(feeds);
  let cpu = 0;
  let wall = 0;
  const flop = 2 * n * n * n;
  for (let r = 0; r < repetitions; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await runner.run(feeds);
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, flop / ((performance.now() - t0) / 1000) / 1e9);
    cpu = Math.max(cpu, flop / ((c.user + c.system) / 1e6) / 1e9);
  }
  await runner.release();
  return { gflops_cpu: cpu, gflops_wall: wall, n, repetitions };
}
