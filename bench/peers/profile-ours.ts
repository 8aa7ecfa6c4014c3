/**
 * Where a built-in trainer step spends its time, for one bench config:
 *   node --import tsx bench/peers/profile-ours.ts [mlp128|mlp512|gpt] [sgd|adamw]
 * - graph size: ONNX nodes of the step graph (forward, loss, gradients) by operator;
 * - a whole Trainer step vs the time inside session.run (the difference is JS: batch fill, the gradients'
 *   copy into the parameter store and the fused update) and vs session.run alone on prepared tensors;
 * - ONNX Runtime's own profile: kernel time by operator, and the run time not spent in kernels.
 * - each matrix product's median time and GFLOP/s, with its operand and result shapes.
 * A diagnostic for the bench report; it changes nothing.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { Trainer } from '../../src/train/index.js';
import { toModel, toBytes } from '../../src/train/onnx/index.js';
import { buildStepGraph } from '../../src/train/step-graph.js';
import { mlp } from '../../src/train/models/mlp.js';
import { gpt } from '../../src/train/models/gpt.js';
import { loadNames } from '../../src/train/data/names.js';
import type { OptimizerKind } from '../../src/train/optimizer.js';

const which = process.argv[2] ?? 'mlp128';
const optimizer = (process.argv[3] ?? 'sgd') as OptimizerKind;
const STEPS = Number(process.argv[4] ?? 300);

const isGpt = which === 'gpt';
const hidden = which === 'mlp512' ? 512 : 128;
const batch = isGpt ? 32 : 64;
// Model-agnostic from here on: the union is only for building the graph.
const build = () =>
  isGpt
    ? buildStepGraph(gpt, gpt.sizes({ vocab: loadNames(16).vocab.length, block: 16 }), batch)
    : buildStepGraph(mlp, mlp.sizes({ inputs: 784, classes: 10, hidden, depth: 1 }), batch);

function countOps(): Map<string, number> {
  const m = toModel(build());
  const counts = new Map<string, number>();
  for (const n of m.graph?.node ?? []) counts.set(n.opType ?? '?', (counts.get(n.opType ?? '?') ?? 0) + 1);
  return counts;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const full = countOps();
console.log(`${which} ${optimizer} batch ${batch}: step graph ${total(full)} nodes`);
console.log('  by operator:', [...full.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', '));

// 1) A whole Trainer step, and the time inside session.run (ONNX Runtime's JS wrapper, its setImmediate hop and
// the native run) measured by wrapping InferenceSession.prototype.run.
let inRunMs = 0;
let timing = false;
const proto = (ort.InferenceSession as unknown as { prototype: unknown }).prototype as { run: (...a: unknown[]) => Promise<unknown> };
const origRun = proto.run;
proto.run = async function (this: unknown, ...a: unknown[]) {
  const t = performance.now();
  try {
    return await origRun.apply(this, a);
  } finally {
    if (timing) inRunMs += performance.now() - t;
  }
};
const trainer = Trainer.create(isGpt
  ? { kind: 'gpt', seed: 1, hyper: { optimizer, batch_size: batch } }
  : { kind: 'mlp', seed: 1, sizes: { hidden, depth: 1 }, hyper: { optimizer, batch_size: batch, augment: false } });
await trainer.trainSteps(30);
timing = true;
const t0 = performance.now();
const c0 = process.cpuUsage();
await trainer.trainSteps(STEPS);
const cpu = process.cpuUsage(c0);
const trainerUs = ((performance.now() - t0) / STEPS) * 1000;
const trainerCpuUs = (cpu.user + cpu.system) / STEPS;
timing = false;
const trainerRunUs = (inRunMs / STEPS) * 1000;
proto.run = origRun;
await trainer.release();

// 2) session.run alone, tensors prepared once, with and without ORT profiling.
const graph = build();
const bytes = toBytes(graph);
const baseOpts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 };

async function runLoop(profile: boolean): Promise<{ us: number; profileFile?: string }> {
  const prefix = join(tmpdir(), `ort-profile-${process.pid}-`);
  const session = await ort.InferenceSession.create(bytes, profile ? { ...baseOpts, enableProfiling: true, profileFilePrefix: prefix } : baseOpts);
  const feeds: Record<string, ort.Tensor> = {};
  for (const x of graph.inputs) {
    const n = x.shape.reduce((a, b) => a * b, 1);
    const name = x.attrs.name;
    if (x.dtype === 'int64') feeds[name] = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)), x.shape as number[]);
    else if (name === 'mask') feeds[name] = new ort.Tensor('float32', new Float32Array(n).fill(1), x.shape as number[]);
    else feeds[name] = new ort.Tensor('float32', Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 0.05), x.shape as number[]);
  }
  const step = async () => {
    await session.run(feeds);
  };
  for (let i = 0; i < 30; i++) await step();
  const t = performance.now();
  for (let i = 0; i < STEPS; i++) await step();
  const us = ((performance.now() - t) / STEPS) * 1000;
  let profileFile: string | undefined;
  if (profile) {
    session.endProfiling(); // onnxruntime-node writes PREFIX_<date>.json and returns nothing
    const dir = tmpdir();
    profileFile = readdirSync(dir).map((f) => join(dir, f)).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
  }
  await session.release();
  return { us, profileFile };
}

const plain = await runLoop(false);
const profiled = await runLoop(true);
console.log(`  Trainer step ${trainerUs.toFixed(0)} us wall (${trainerCpuUs.toFixed(0)} us of CPU: wall times below count the machine's other load), of which inside session.run ${trainerRunUs.toFixed(0)} us (batch, gradient copy and fused update: ${(trainerUs - trainerRunUs).toFixed(0)} us); ` +
  `a bare session.run loop on prepared tensors: ${plain.us.toFixed(0)} us a step`);

if (profiled.profileFile) {
  interface Ev { cat: string; name: string; dur: number; args?: { op_name?: string } }
  const events = JSON.parse(readFileSync(profiled.profileFile, 'utf8')) as Ev[];
  rmSync(profiled.profileFile, { force: true });
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const runsTimed = runs.length;
  const byOp = new Map<string, number>();
  for (const k of kernels) byOp.set(k.args?.op_name ?? '?', (byOp.get(k.args?.op_name ?? '?') ?? 0) + k.dur);
  const runUs = runs.reduce((s, e) => s + e.dur, 0) / runsTimed;
  const kernelUs = kernels.reduce((s, e) => s + e.dur, 0) / runsTimed;
  console.log(`  ORT profile over ${runsTimed} runs: model_run ${runUs.toFixed(0)} us, of which kernels ${kernelUs.toFixed(0)} us (${kernels.length / runsTimed} kernel launches a run)`);
  const sorted = [...byOp.entries()].sort((a, b) => b[1] - a[1]);
  console.log('  kernel time by operator (us a run):', sorted.map(([k, v]) => `${k} ${(v / runsTimed).toFixed(1)}`).join(', '));
  // Each matrix product on its own: median time and GFLOP/s, which show a product that packs its operand
  // slowly (a weight read across its rows) or finds it out of cache.
  const gemms = new Map<string, { durs: number[]; shapes: number[][] }>();
  for (const k of kernels) {
    if (k.args?.op_name !== 'Gemm' && k.args?.op_name !== 'FusedGemm') continue;
    const shapes = ((k.args as { input_type_shape?: Record<string, number[]>[] }).input_type_shape ?? []).map((t) => Object.values(t)[0]);
    const e = gemms.get(k.name) ?? { durs: [], shapes };
    e.durs.push(k.dur);
    gemms.set(k.name, e);
  }
  for (const [name, { durs, shapes }] of gemms) {
    const med = [...durs].sort((a, b) => a - b)[durs.length >> 1];
    const out = (events.find((e) => e.name === name) as { args?: { output_type_shape?: Record<string, number[]>[] } }).args?.output_type_shape?.[0];
    const [m, n] = out ? Object.values(out)[0] : [0, 0];
    const k = shapes[0] ? (shapes[0][0] === m ? shapes[0][1] : shapes[0][0]) : 0;
    console.log(`    ${name.replace('_kernel_time', '').padEnd(16)} ${shapes.map((s) => `[${s.join(',')}]`).join(' ')} -> [${m},${n}]: ${med} us, ${((2 * m * n * k) / med / 1e3).toFixed(0)} GFLOP/s`);
  }
}
