/**
 * Training speed of the built-in trainer, in optimizer steps per second: wall clock and, because the
 * machine is often shared, also per second of this process's CPU time. The best of a few rounds is kept.
 * Run `node --import tsx src/train/speed.ts` for the standard table (mlp batch 64 at hidden 128 and 512,
 * and the gpt defaults, with both optimizers).
 */
import { fileURLToPath } from 'node:url';
import { Trainer, type TrainerConfig } from './trainer.js';

export interface Speed {
  /** Steps per wall-clock second. */
  readonly wall: number;
  /** Steps per second of this process's CPU time (user + system). */
  readonly cpu: number;
}

export async function measureSpeed(config: TrainerConfig, steps: number, rounds = 3): Promise<Speed> {
  const t = Trainer.create(config);
  await t.trainSteps(Math.max(5, Math.round(steps / 10))); // compiles the graph and warms the caches
  let wall = 0;
  let cpu = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await t.trainSteps(steps);
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, steps / ((performance.now() - t0) / 1000));
    cpu = Math.max(cpu, steps / ((c.user + c.system) / 1e6));
  }
  await t.release();
  return { wall, cpu };
}

export const STANDARD: readonly { readonly label: string; readonly config: TrainerConfig; readonly steps: number }[] = [
  ...(['sgd', 'adamw'] as const).flatMap((optimizer) => [
    { label: `mlp H=128 D=1 batch 64 ${optimizer}`, config: { kind: 'mlp', seed: 1, sizes: { hidden: 128, depth: 1 }, hyper: { optimizer, batch_size: 64 } }, steps: 300 } as const,
    { label: `mlp H=512 D=1 batch 64 ${optimizer}`, config: { kind: 'mlp', seed: 1, sizes: { hidden: 512, depth: 1 }, hyper: { optimizer, batch_size: 64 } }, steps: 100 } as const,
    { label: `gpt defaults (C=64, 4 heads, L=2, T=16) batch 32 ${optimizer}`, config: { kind: 'gpt', seed: 1, hyper: { optimizer } }, steps: 50 } as const,
  ]),
];

async function main(): Promise<void> {
  for (const { label, config, steps } of STANDARD) {
    const s = await measureSpeed(config, steps);
    process.stdout.write(`${label.padEnd(58)} ${s.wall.toFixed(0).padStart(6)} steps/s wall ${s.cpu.toFixed(0).padStart(6)} steps/s per CPU second\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
