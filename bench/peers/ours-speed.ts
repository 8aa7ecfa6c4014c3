/**
 * The built-in trainer as a peer of bench/trainer-speed.ts: one config in a fresh process, like the other
 * engines, so no engine inherits another's warm caches, heap or garbage. It reads its data the trainer's
 * own way (MNIST from the data cache, augmentation off; name rows), which is what the peers read too
 * (bench/peers/peer-data.ts).
 *
 *   node --import tsx bench/peers/ours-speed.ts --seconds 2 --warmup 20 --config '{"kind":"mlp","seed":1,...}'
 *   node --import tsx bench/peers/ours-speed.ts --peak      ONNX Runtime's own Gemm 2048², one thread
 *
 * prints one JSON line: {steps, wall_s, cpu_s, steps_per_s, steps_per_cpu_s, params, final_loss, backend}
 * (or the GemmPeak of bench/roofline.ts).
 */
import { createRequire } from 'node:module';
import { Trainer, type TrainerConfig } from '../../src/train/index.js';
import { ortGemmPeak } from '../roofline.js';

function backend(): string {
  const require = createRequire(import.meta.url);
  const ort = (require('onnxruntime-node/package.json') as { version: string }).version;
  return `onnxruntime-node ${ort} CPU (MLAS), 1 thread, sequential; optimizer update: fused WebAssembly SIMD, in place`;
}

async function measure(config: TrainerConfig, seconds: number, warmup: number): Promise<Record<string, unknown>> {
  const t = Trainer.create(config);
  const params = [...t.parameters().values()].reduce((s, p) => s + p.length, 0);
  await t.trainSteps(warmup);
  let steps = 0;
  let chunk = 10;
  let loss = NaN;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let wall = 0;
  for (;;) {
    loss = await t.trainSteps(chunk);
    steps += chunk;
    wall = (performance.now() - t0) / 1000;
    if (wall >= seconds) break;
    chunk = Math.max(chunk, Math.floor(steps / 4));
  }
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  await t.release();
  return { steps, wall_s: wall, cpu_s: cpu, steps_per_s: steps / wall, steps_per_cpu_s: steps / cpu, params, final_loss: loss, backend: backend() };
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

if (process.argv.includes('--peak')) {
  process.stdout.write(`${JSON.stringify({ ...(await ortGemmPeak()), backend: backend() })}\n`);
} else {
  const config = JSON.parse(arg('--config') ?? 'null') as TrainerConfig | null;
  if (!config) throw new Error('ours-speed: --config JSON is required (or --peak)');
  process.stdout.write(`${JSON.stringify(await measure(config, Number(arg('--seconds') ?? 2), Number(arg('--warmup') ?? 20)))}\n`);
}
