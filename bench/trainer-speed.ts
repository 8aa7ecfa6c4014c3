/**
 * Training speed of the built-in trainer (ONNX Runtime, one thread) side by side with PyTorch (Debian's
 * python3-torch under /usr/bin/python3, one thread) and @tensorflow/tfjs (pure-JS CPU backend), in one run on
 * this machine; plus the "full budget" quality figures: MNIST MLP validation accuracy and the character
 * GPT's validation loss against the unigram baseline.
 *
 *   node --import tsx bench/trainer-speed.ts [--quick]
 *
 * prints a table and writes bench/results/trainer-speed.json; bench/run.ts calls measureTrainerSpeed.
 *
 * Method. Every (config, engine) cell is measured in rounds; within a round the configs follow each other
 * and the three engines take turns in a rotating order, so a burst of load from other processes falls on
 * all of them rather than on one. A cell is: a fresh model, warm-up steps, then timed steps until at least
 * `seconds` of wall time have passed. Each engine reports steps per wall second and steps per second of its
 * own process's CPU time (the machine is often shared: CPU time is what load distorts least). The best of
 * the rounds is kept, as src/train/speed.ts does. The peers train on random data of the right shapes; ours
 * reads its real data (MNIST digits without augmentation, name rows), a small cost in its steps.
 * Parameter counts of the three implementations are checked to be equal.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer, type TrainerConfig } from '../src/train/index.js';
import { mlp } from '../src/train/models/mlp.js';
import { gpt } from '../src/train/models/gpt.js';
import { loadNames } from '../src/train/data/names.js';
import type { PeerConfig } from './peers/tfjs-speed.js';
import { machineBasics, runStandalone } from './standalone.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'trainer-speed.json');
const TORCH_PEER = join(ROOT, 'bench', 'peers', 'torch_speed.py');
const TFJS_PEER = join(ROOT, 'bench', 'peers', 'tfjs-speed.ts');
/** Debian's python3-torch is installed for this interpreter only; the `python3` first on PATH is another. */
const SYSTEM_PYTHON = '/usr/bin/python3';

export type Engine = 'ours' | 'torch' | 'tfjs';
const ENGINES: readonly Engine[] = ['ours', 'torch', 'tfjs'];

export interface Cell {
  /** Steps per wall-clock second, best round. */
  readonly wall: number;
  /** Steps per second of the engine's own CPU time, best round. */
  readonly cpu: number;
  /** Median over rounds of steps per wall second. */
  readonly median: number;
  /** Every round's steps per wall second, in order. */
  readonly rounds: readonly number[];
  readonly params: number;
}

export interface SpeedRow {
  readonly model: 'mlp' | 'gpt';
  /** Human-readable: sizes, batch, optimizer. */
  readonly config: string;
  /** Steps per wall second (best round); null when the engine did not run (see `skipped`). */
  readonly ours: number | null;
  readonly torch: number | null;
  readonly tfjs: number | null;
  /** ours / torch and ours / tfjs in steps per wall second: above 1, ours is faster. */
  readonly ratio_vs_torch: number | null;
  readonly ratio_vs_tfjs: number | null;
  /** The same ratios in steps per CPU second. */
  readonly ratio_vs_torch_cpu: number | null;
  readonly ratio_vs_tfjs_cpu: number | null;
  readonly params: number;
  readonly cells: { readonly [E in Engine]: Cell | null };
}

export interface QualityFigures {
  readonly mnist: {
    readonly config: string;
    readonly steps: number;
    readonly epochs: number;
    readonly val_acc: number;
    readonly val_loss: number;
    readonly wall_s: number;
    readonly reaches_97: boolean;
  };
  readonly gpt: {
    readonly config: string;
    readonly steps: number;
    readonly initial_val_loss: number;
    readonly val_loss: number;
    /** Validation loss every `curve_every` steps. */
    readonly curve: readonly { readonly step: number; readonly val_loss: number }[];
    readonly unigram_loss: number;
    /** unigram_loss - val_loss, in nats. */
    readonly margin: number;
    readonly wall_s: number;
  };
}

export interface TrainerSpeedResult {
  readonly quick: boolean;
  readonly started: string;
  readonly wall_s: number;
  readonly machine: Record<string, unknown>;
  readonly method: { readonly rounds: number; readonly seconds_per_cell: number; readonly warmup: Record<Engine, number> };
  readonly skipped: Partial<Record<Engine, string>>;
  readonly rows: readonly SpeedRow[];
  readonly quality: QualityFigures | null;
}

// --------------------------------------------------------------------------------------------- configs

interface BenchConfig {
  readonly label: string;
  readonly model: 'mlp' | 'gpt';
  readonly ours: TrainerConfig;
  readonly peer: PeerConfig;
  readonly params: number;
}

function benchConfigs(): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const hidden of [128, 512]) {
    for (const optimizer of ['sgd', 'adamw'] as const) {
      const sizes = mlp.sizes({ inputs: 784, classes: 10, hidden, depth: 1 });
      const params = mlp.params(sizes).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
      out.push({
        label: `mlp H=${hidden} D=1 b64 ${optimizer}`,
        model: 'mlp',
        ours: { kind: 'mlp', seed: 1, sizes: { hidden, depth: 1 }, hyper: { optimizer, batch_size: 64, augment: false } },
        peer: { model: 'mlp', optimizer, hidden, depth: 1, batch: 64, expect_params: params },
        params,
      });
    }
  }
  const vocab = loadNames(16).vocab.length;
  const sizes = gpt.sizes({ vocab, block: 16 });
  const params = gpt.params(sizes).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
  out.push({
    label: `gpt C=${sizes.embd} L=${sizes.layers} h=${sizes.heads} T=${sizes.block} V=${vocab} b32 adamw`,
    model: 'gpt',
    ours: { kind: 'gpt', seed: 1, hyper: { optimizer: 'adamw', batch_size: 32 } },
    peer: {
      model: 'gpt', optimizer: 'adamw', batch: 32, vocab, block: sizes.block, embd: sizes.embd, heads: sizes.heads,
      layers: sizes.layers, ffn: sizes.ffn, expect_params: params,
    },
    params,
  });
  return out;
}

// ------------------------------------------------------------------------------------------ measurement

interface Sample {
  readonly wall: number;
  readonly cpu: number;
  readonly params: number;
}

/** Ours, in this process: a fresh Trainer, warm-up (compiles the graph), then chunks until `seconds` pass. */
async function measureOurs(config: TrainerConfig, seconds: number, warmup: number): Promise<Sample> {
  const t = Trainer.create(config);
  const params = [...t.parameters().values()].reduce((s, p) => s + p.length, 0);
  await t.trainSteps(warmup);
  let steps = 0;
  let chunk = 10;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let wall = 0;
  for (;;) {
    await t.trainSteps(chunk);
    steps += chunk;
    wall = (performance.now() - t0) / 1000;
    if (wall >= seconds) break;
    chunk = Math.max(chunk, Math.floor(steps / 4));
  }
  const c = process.cpuUsage(c0);
  await t.release();
  return { wall: steps / wall, cpu: steps / ((c.user + c.system) / 1e6), params };
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
      else res(stdout);
    });
  });
}

interface PeerLine {
  steps_per_s: number;
  steps_per_cpu_s: number;
  params: number;
  [k: string]: unknown;
}

function lastJson(stdout: string): PeerLine {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`peer printed no result: ${stdout.slice(-500)}`);
  return JSON.parse(lines[lines.length - 1]) as PeerLine;
}

const ONE_THREAD = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

async function measureTorch(cfg: PeerConfig, seconds: number, warmup: number): Promise<{ sample: Sample; line: PeerLine }> {
  const out = await run(SYSTEM_PYTHON, [TORCH_PEER, '--seconds', String(seconds), '--warmup', String(warmup), '--configs', JSON.stringify([cfg])],
    { ...process.env, ...ONE_THREAD }, 300_000);
  const line = lastJson(out);
  return { sample: { wall: line.steps_per_s, cpu: line.steps_per_cpu_s, params: line.params }, line };
}

async function measureTfjsPeer(cfg: PeerConfig, seconds: number, warmup: number): Promise<{ sample: Sample; line: PeerLine }> {
  const out = await run(process.execPath, ['--import', 'tsx', TFJS_PEER, '--seconds', String(seconds), '--warmup', String(warmup), '--configs', JSON.stringify([cfg])],
    { ...process.env }, 600_000);
  const line = lastJson(out);
  return { sample: { wall: line.steps_per_s, cpu: line.steps_per_cpu_s, params: line.params }, line };
}

/** Why the torch peer cannot run here, or null when it can; plus its version and BLAS when it can. */
async function torchAvailable(): Promise<{ reason: string | null; info?: Record<string, unknown> }> {
  if (!existsSync(SYSTEM_PYTHON)) return { reason: `${SYSTEM_PYTHON} does not exist` };
  try {
    const out = await run(SYSTEM_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { ...process.env, ...ONE_THREAD }, 120_000);
    return { reason: null, info: { torch_version: out.trim() } };
  } catch (e) {
    return { reason: `torch is not importable by ${SYSTEM_PYTHON} (install Debian's python3-torch and libopenblas0-pthread): ${(e as Error).message.split('\n')[0]}` };
  }
}

// ------------------------------------------------------------------------------------------- quality

/**
 * MNIST, full budget: H=512, D=1, AdamW, batch 64 with ±2-pixel shifts, the unit test's recipe
 * (test/unit/train-mnist.test.ts: lr 2e-3, weight decay 0.05, 100 warm-up steps, lr halved three times)
 * stretched to 4,000 steps (about 30 epochs of the 8,500 training digits).
 */
async function mnistFullBudget(quick: boolean): Promise<QualityFigures['mnist']> {
  const phases: readonly (readonly [number, number])[] = quick
    ? [[300, 0.5], [100, 1]]
    : [[1400, 0.5], [1000, 0.5], [1000, 0.5], [600, 1]];
  const started = performance.now();
  const trainer = Trainer.create({
    kind: 'mlp', seed: 1, sizes: { hidden: 512, depth: 1 },
    hyper: { optimizer: 'adamw', lr: 2e-3, batch_size: 64, weight_decay: 0.05, warmup_iters: 100 },
  });
  for (const [steps, factor] of phases) {
    await trainer.trainSteps(steps);
    if (factor !== 1) trainer.applyOperation({ name: 'change_lr', value: factor });
  }
  const { val_acc, val_loss } = await trainer.evaluate();
  const wall = (performance.now() - started) / 1000;
  const out = {
    config: `mlp H=512 D=1 adamw lr 2e-3 wd 0.05 warmup 100, lr halved at ${phases.slice(0, -1).map((_, i) => phases.slice(0, i + 1).reduce((s, p) => s + p[0], 0)).join('/')} steps, batch 64, ±2 px shifts`,
    steps: trainer.iteration, epochs: trainer.epoch, val_acc: val_acc ?? NaN, val_loss, wall_s: wall, reaches_97: (val_acc ?? 0) >= 0.97,
  };
  await trainer.release();
  return out;
}

/** The character GPT, full budget: defaults (AdamW lr 3e-3, 20 warm-up steps, batch 32), 2,000 steps. */
async function gptFullBudget(quick: boolean): Promise<QualityFigures['gpt']> {
  const steps = quick ? 200 : 2000;
  const every = quick ? 100 : 250;
  const started = performance.now();
  const trainer = Trainer.create({ kind: 'gpt', seed: 1 });
  const initial = (await trainer.evaluate()).val_loss;
  const curve: { step: number; val_loss: number }[] = [];
  while (trainer.iteration < steps) {
    await trainer.trainSteps(Math.min(every, steps - trainer.iteration));
    curve.push({ step: trainer.iteration, val_loss: (await trainer.evaluate()).val_loss });
  }
  const wall = (performance.now() - started) / 1000;
  const unigram = loadNames(16).unigramLoss;
  const final = curve[curve.length - 1].val_loss;
  await trainer.release();
  return {
    config: 'gpt defaults (C=64, 4 heads, L=2, T=16, untied), adamw lr 3e-3 warmup 20, batch 32',
    steps, initial_val_loss: initial, val_loss: final, curve, unigram_loss: unigram, margin: unigram - final, wall_s: wall,
  };
}

// ------------------------------------------------------------------------------------------------ main

function machineInfo(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const version = (pkg: string): string | null => {
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return null;
    }
  };
  return {
    ...machineBasics(),
    onnxruntime_node: version('onnxruntime-node'),
    tfjs: version('@tensorflow/tfjs'),
    openblas_env: { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null, OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null },
  };
}

const best = (xs: readonly number[]): number => Math.max(...xs);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null && b > 0 ? a / b : null);

export async function measureTrainerSpeed(opts: { quick: boolean; log?: (line: string) => void; quality?: boolean }): Promise<TrainerSpeedResult> {
  const log = opts.log ?? (() => {});
  const startedAt = new Date();
  const t0 = performance.now();
  const rounds = opts.quick ? 1 : 3;
  const seconds = opts.quick ? 0.5 : 3;
  const warmup: Record<Engine, number> = { ours: 20, torch: 20, tfjs: opts.quick ? 1 : 3 };
  const configs = benchConfigs();
  const machine = machineInfo();

  const skipped: Partial<Record<Engine, string>> = {};
  const torch = await torchAvailable();
  if (torch.reason) skipped.torch = torch.reason;
  let torchInfo: Record<string, unknown> | null = null;
  let tfjsInfo: Record<string, unknown> | null = null;

  const samples = new Map<string, Sample[]>();
  const key = (c: BenchConfig, e: Engine) => `${c.label}|${e}`;
  for (let r = 0; r < rounds; r++) {
    for (const [ci, c] of configs.entries()) {
      // Rotate the engines' order with the round and the config.
      const order = ENGINES.map((_, i) => ENGINES[(i + r + ci) % ENGINES.length]);
      for (const e of order) {
        if (skipped[e]) continue;
        try {
          let s: Sample;
          if (e === 'ours') s = await measureOurs(c.ours, seconds, warmup.ours);
          else if (e === 'torch') {
            const { sample, line } = await measureTorch(c.peer, seconds, warmup.torch);
            s = sample;
            torchInfo ??= { torch_version: line.torch_version, threads: line.threads, python: line.python, executable: line.executable, blas: line.blas };
          } else {
            const { sample, line } = await measureTfjsPeer(c.peer, seconds, warmup.tfjs);
            s = sample;
            tfjsInfo ??= { tfjs_version: line.tfjs_version, backend: line.backend };
          }
          if (s.params !== c.params) throw new Error(`${e} ${c.label}: ${s.params} parameters, the built-in trainer's model has ${c.params}`);
          samples.set(key(c, e), [...(samples.get(key(c, e)) ?? []), s]);
          log(`round ${r + 1}/${rounds} ${c.label.padEnd(36)} ${e.padEnd(5)} ${s.wall.toFixed(1).padStart(8)} steps/s wall ${s.cpu.toFixed(1).padStart(8)} per CPU s`);
        } catch (err) {
          // A peer that fails is reported, not fatal; a parameter mismatch is a bug in the peer: stop.
          if ((err as Error).message.includes('parameters')) throw err;
          skipped[e] = `failed: ${(err as Error).message.split('\n')[0]}`;
          log(`${e} skipped: ${skipped[e]}`);
        }
      }
    }
  }

  const rows: SpeedRow[] = configs.map((c) => {
    const cell = (e: Engine): Cell | null => {
      const s = samples.get(key(c, e));
      return s && s.length ? { wall: best(s.map((x) => x.wall)), cpu: best(s.map((x) => x.cpu)), median: median(s.map((x) => x.wall)), rounds: s.map((x) => x.wall), params: s[0].params } : null;
    };
    const cells = { ours: cell('ours'), torch: cell('torch'), tfjs: cell('tfjs') };
    return {
      model: c.model,
      config: c.label,
      ours: cells.ours?.wall ?? null,
      torch: cells.torch?.wall ?? null,
      tfjs: cells.tfjs?.wall ?? null,
      ratio_vs_torch: ratio(cells.ours?.wall ?? null, cells.torch?.wall ?? null),
      ratio_vs_tfjs: ratio(cells.ours?.wall ?? null, cells.tfjs?.wall ?? null),
      ratio_vs_torch_cpu: ratio(cells.ours?.cpu ?? null, cells.torch?.cpu ?? null),
      ratio_vs_tfjs_cpu: ratio(cells.ours?.cpu ?? null, cells.tfjs?.cpu ?? null),
      params: c.params,
      cells,
    };
  });

  let quality: QualityFigures | null = null;
  if (opts.quality !== false) {
    log(`quality: MNIST mlp ${opts.quick ? '(quick, not the full budget)' : 'full budget'} ...`);
    const mnist = await mnistFullBudget(opts.quick);
    log(`quality: gpt ${opts.quick ? '(quick, not the full budget)' : 'full budget'} ...`);
    quality = { mnist, gpt: await gptFullBudget(opts.quick) };
  }

  return {
    quick: opts.quick,
    started: startedAt.toISOString(),
    wall_s: (performance.now() - t0) / 1000,
    machine: { ...machine, loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100), torch: torchInfo ?? torch.info ?? null, tfjs_peer: tfjsInfo },
    method: { rounds, seconds_per_cell: seconds, warmup },
    skipped,
    rows,
    quality,
  };
}

// ---------------------------------------------------------------------------------------------- report

const fmt = (x: number | null, digits = 0): string => (x === null ? '—' : x.toFixed(digits));

export function formatTrainerSpeed(r: TrainerSpeedResult): string {
  const lines: string[] = [];
  const head = ['config', 'params', 'ours', 'torch', 'tfjs', 'ours/torch', 'ours/tfjs', 'ours/torch cpu'];
  const rows = r.rows.map((x) => [
    x.config, String(x.params), fmt(x.ours), fmt(x.torch), fmt(x.tfjs, 1), fmt(x.ratio_vs_torch, 2), fmt(x.ratio_vs_tfjs, 1), fmt(x.ratio_vs_torch_cpu, 2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push('Training steps per second (best of rounds, wall clock; 1 thread each)');
  lines.push(line(head));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) lines.push(line(row));
  for (const [e, why] of Object.entries(r.skipped)) lines.push(`${e}: skipped — ${why}`);
  const t = r.machine.torch as { blas?: { name?: string } ; torch_version?: string } | null;
  if (t?.blas?.name) lines.push(`torch ${t.torch_version}, BLAS: ${t.blas.name}`);
  lines.push(`machine: ${String(r.machine.cpu)}, ${String(r.machine.cores)} cores; load ${JSON.stringify(r.machine.loadavg_start)} -> ${JSON.stringify(r.machine.loadavg_end)}; ${r.method.rounds} round(s) of >= ${r.method.seconds_per_cell} s per cell`);
  if (r.quality) {
    const { mnist, gpt: g } = r.quality;
    lines.push('');
    lines.push(`${r.quick ? 'Quick (NOT the full budget)' : 'Full budget'}:`);
    lines.push(`  MNIST ${mnist.config}: ${mnist.steps} steps (epoch ${mnist.epochs}), val_acc ${(mnist.val_acc * 100).toFixed(2)}% ` +
      `(val_loss ${mnist.val_loss.toFixed(4)}) in ${mnist.wall_s.toFixed(1)} s; >= 97%: ${mnist.reaches_97 ? 'yes' : 'NO'}`);
    lines.push(`  GPT ${g.config}: ${g.steps} steps, val_loss ${g.initial_val_loss.toFixed(3)} -> ${g.val_loss.toFixed(3)} ` +
      `vs unigram ${g.unigram_loss.toFixed(3)} (margin ${g.margin.toFixed(3)} nats) in ${g.wall_s.toFixed(1)} s`);
    lines.push(`  GPT val_loss curve: ${g.curve.map((p) => `${p.step}:${p.val_loss.toFixed(3)}`).join(' ')}`);
  }
  return lines.join('\n');
}

await runStandalone(import.meta.url, RESULTS, measureTrainerSpeed, formatTrainerSpeed);
