/**
 * Training speed of the built-in trainer (ONNX Runtime, one thread) beside PyTorch (Debian's python3-torch
 * under /usr/bin/python3, one thread) and @tensorflow/tfjs (its WebAssembly SIMD backend where it is
 * installed, else the pure-JS CPU one), with each configuration's place on the roofline; plus the "full
 * budget" quality figures: MNIST MLP validation accuracy and the character GPT's validation loss against
 * the unigram baseline.
 *
 *   node --import tsx bench/trainer-speed.ts [--quick]
 *
 * prints a table and writes bench/results/trainer-speed.json; bench/run.ts calls measureTrainerSpeed.
 *
 * Method, built so that it cannot flatter us:
 * - Every cell (config, engine, round) is a fresh process (bench/peers/ours-speed.ts, torch_speed.py,
 *   tfjs-speed.ts): build the model, warm up, then time whole steps for at least `seconds` of wall time.
 *   Within a round each config runs every engine back to back, their order rotating from round to round,
 *   so a burst of load from other processes falls on all of them.
 * - The headline is CPU time: steps per second of the engine's own process CPU time (every thread, V8's
 *   garbage collector and ONNX Runtime's included). The machine is shared; wall time is shown beside it.
 * - A ratio is formed within a round (ours / PyTorch of the same round) and the median of those paired
 *   ratios is reported, with their range: never one side's best round over the other's.
 * - The same data path on every side: the trainer's own training data (MNIST without augmentation, the
 *   name rows), written once per run for the peers (bench/peers/peer-data.ts), each batch the next rows of
 *   a permutation reshuffled every epoch, gathered into a batch buffer. Parameter counts must match.
 * - The roofline: each step's matrix-product FLOPs (bench/roofline.ts) times steps per CPU second, as a
 *   share of the single-core float32 matmul peak measured in this run (torch.mm 2048² through OpenBLAS, and
 *   ONNX Runtime's own Gemm 2048²; the higher is the peak).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer, type TrainerConfig } from '../src/train/index.js';
import { mlp } from '../src/train/models/mlp.js';
import { gpt } from '../src/train/models/gpt.js';
import { loadNames } from '../src/train/data/names.js';
import { writePeerData } from './peers/peer-data.js';
import type { PeerConfig } from './peers/tfjs-speed.js';
import { stepMatmulFlops } from './roofline.js';
import { machineBasics, runStandalone } from './standalone.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'trainer-speed.json');
const OURS_PEER = join(ROOT, 'bench', 'peers', 'ours-speed.ts');
const TORCH_PEER = join(ROOT, 'bench', 'peers', 'torch_speed.py');
const TFJS_PEER = join(ROOT, 'bench', 'peers', 'tfjs-speed.ts');
/** Debian's python3-torch is installed for this interpreter only; the `python3` first on PATH is another. */
const SYSTEM_PYTHON = '/usr/bin/python3';

export type Engine = 'ours' | 'torch' | 'tfjs';
const ENGINES: readonly Engine[] = ['ours', 'torch', 'tfjs'];

/** One fresh process's measurement. */
export interface Sample {
  readonly round: number;
  readonly steps: number;
  /** Steps per wall-clock second. */
  readonly wall: number;
  /** Steps per second of the process's own CPU time. */
  readonly cpu: number;
  /** 1-minute load average when the cell ended. */
  readonly load1: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export interface EngineCell {
  readonly samples: readonly Sample[];
  /** Median over rounds of steps per CPU second. */
  readonly cpu: Spread;
  readonly wall: Spread;
  /** stepFlops x the median steps per CPU second, in GFLOP/s. */
  readonly gflops_cpu: number;
  /** gflops_cpu as a percentage of the measured single-core peak. */
  readonly pct_of_peak: number | null;
}

export interface SpeedRow {
  readonly model: 'mlp' | 'gpt';
  /** Human-readable: sizes, batch, optimizer. */
  readonly config: string;
  readonly params: number;
  /** Matrix-product FLOPs of one training step (bench/roofline.ts). */
  readonly step_flops: number;
  readonly cells: { readonly [E in Engine]: EngineCell | null };
  /** ours / PyTorch in steps per CPU second, paired within each round: median and range. Above 1, ours is faster. */
  readonly ours_over_torch_cpu: Spread | null;
  readonly ours_over_torch_wall: Spread | null;
  readonly ours_over_tfjs_cpu: Spread | null;
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

export interface PeakFigures {
  /** torch.mm 2048² (OpenBLAS sgemm), best GFLOP per CPU second over every measurement of the run. */
  readonly torch_sgemm: number | null;
  /** ONNX Runtime's Gemm 2048² in a session like the trainer's. */
  readonly ort_gemm: number | null;
  /** The higher of the two: what "% of peak" divides by. */
  readonly peak: number | null;
}

export interface TrainerSpeedResult {
  readonly quick: boolean;
  readonly started: string;
  readonly wall_s: number;
  readonly machine: Record<string, unknown>;
  readonly method: {
    readonly rounds: number;
    readonly seconds_per_cell: number;
    readonly warmup: Record<Engine, number>;
    readonly headline: string;
  };
  /** What each engine ran on: library versions, BLAS, backend. */
  readonly backends: Partial<Record<Engine, string>>;
  readonly skipped: Partial<Record<Engine, string>>;
  readonly peak: PeakFigures;
  /** 1-minute load average at the end of every cell: what else the machine was doing. */
  readonly load: Spread;
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
  readonly flops: number;
}

const count = (specs: readonly { shape: readonly number[] }[]): number => specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

function benchConfigs(): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const hidden of [128, 512]) {
    for (const optimizer of ['sgd', 'adamw'] as const) {
      const sizes = mlp.sizes({ inputs: 784, classes: 10, hidden, depth: 1 });
      const params = count(mlp.params(sizes));
      out.push({
        label: `mlp H=${hidden} D=1 b64 ${optimizer}`,
        model: 'mlp',
        ours: { kind: 'mlp', seed: 1, sizes: { hidden, depth: 1 }, hyper: { optimizer, batch_size: 64, augment: false } },
        peer: { model: 'mlp', optimizer, hidden, depth: 1, batch: 64, expect_params: params },
        params,
        flops: stepMatmulFlops(mlp, sizes, 64),
      });
    }
  }
  const vocab = loadNames(16).vocab.length;
  const sizes = gpt.sizes({ vocab, block: 16 });
  const params = count(gpt.params(sizes));
  out.push({
    label: `gpt C=${sizes.embd} L=${sizes.layers} h=${sizes.heads} T=${sizes.block} V=${vocab} b32 adamw`,
    model: 'gpt',
    ours: { kind: 'gpt', seed: 1, hyper: { optimizer: 'adamw', batch_size: 32 } },
    peer: {
      model: 'gpt', optimizer: 'adamw', batch: 32, vocab, block: sizes.block, embd: sizes.embd, heads: sizes.heads,
      layers: sizes.layers, ffn: sizes.ffn, expect_params: params,
    },
    params,
    flops: stepMatmulFlops(gpt, sizes, 32),
  });
  return out;
}

// ------------------------------------------------------------------------------------------ measurement

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
      else res(stdout);
    });
  });
}

interface PeerLine {
  steps: number;
  steps_per_s: number;
  steps_per_cpu_s: number;
  params: number;
  [k: string]: unknown;
}

function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`peer printed no result: ${stdout.slice(-500)}`);
  return JSON.parse(lines[lines.length - 1]) as T;
}

const ONE_THREAD = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

/** How each engine is started: a fresh process printing one JSON line. */
function peerCommand(e: Engine, c: BenchConfig, data: string, seconds: number, warmup: number): [string, string[]] {
  const timing = ['--seconds', String(seconds), '--warmup', String(warmup)];
  if (e === 'ours') return [process.execPath, ['--import', 'tsx', OURS_PEER, ...timing, '--config', JSON.stringify(c.ours)]];
  if (e === 'torch') return [SYSTEM_PYTHON, [TORCH_PEER, ...timing, '--data', data, '--configs', JSON.stringify([c.peer])]];
  return [process.execPath, ['--import', 'tsx', TFJS_PEER, ...timing, '--data', data, '--configs', JSON.stringify([c.peer])]];
}

/** Why the torch peer cannot run here, or null when it can. */
async function torchMissing(env: NodeJS.ProcessEnv): Promise<string | null> {
  if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} does not exist (install Debian's python3-torch and libopenblas0-pthread)`;
  try {
    await run(SYSTEM_PYTHON, ['-c', 'import torch'], env, 120_000);
    return null;
  } catch (e) {
    return `torch is not importable by ${SYSTEM_PYTHON} (install Debian's python3-torch and libopenblas0-pthread): ${(e as Error).message.split('\n')[0]}`;
  }
}

interface PeakLine {
  gflops_cpu: number;
  blas?: { name?: string };
  torch_version?: string;
  backend?: string;
}

/** The single-core matmul peak by both engines that have one; null for one that failed. */
async function measurePeaks(env: NodeJS.ProcessEnv, torchOk: boolean, log: (l: string) => void): Promise<{ torch: PeakLine | null; ours: PeakLine | null }> {
  const ours = await run(process.execPath, ['--import', 'tsx', OURS_PEER, '--peak'], env, 300_000).then((o) => lastJson<PeakLine>(o), (e: Error) => {
    log(`ONNX Runtime Gemm peak failed: ${e.message.split('\n')[0]}`);
    return null;
  });
  const torch = torchOk
    ? await run(SYSTEM_PYTHON, [TORCH_PEER, '--peak'], env, 300_000).then((o) => lastJson<PeakLine>(o), (e: Error) => {
      log(`torch sgemm peak failed: ${e.message.split('\n')[0]}`);
      return null;
    })
    : null;
  log(`sgemm 2048² peak, GFLOP per CPU s: torch.mm ${torch?.gflops_cpu.toFixed(1) ?? '—'}, ONNX Runtime Gemm ${ours?.gflops_cpu.toFixed(1) ?? '—'}`);
  return { torch, ours };
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
    tfjs_backend_wasm: version('@tensorflow/tfjs-backend-wasm'),
    openblas_env: { OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? null, OPENBLAS_L2_SIZE: process.env.OPENBLAS_L2_SIZE ?? null },
  };
}

export function spread(xs: readonly number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN, n: s.length };
}

/** a / b of the same round, for every round both engines finished. */
function paired(a: EngineCell | null, b: EngineCell | null, pick: (s: Sample) => number): Spread | null {
  if (!a || !b) return null;
  const ratios = a.samples.flatMap((x) => {
    const y = b.samples.find((s) => s.round === x.round);
    return y ? [pick(x) / pick(y)] : [];
  });
  return ratios.length ? spread(ratios) : null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export async function measureTrainerSpeed(opts: { quick: boolean; log?: (line: string) => void; quality?: boolean }): Promise<TrainerSpeedResult> {
  const log = opts.log ?? (() => {});
  const startedAt = new Date();
  const t0 = performance.now();
  const rounds = opts.quick ? 1 : 8;
  const seconds = opts.quick ? 0.5 : 2;
  const warmup: Record<Engine, number> = { ours: 20, torch: 20, tfjs: opts.quick ? 1 : 3 };
  const configs = benchConfigs();
  const machine = machineInfo();
  // Peers' data and every child's TMPDIR (ONNX Runtime leaves a log file there): removed at the end.
  const scratch = mkdtempSync(join(tmpdir(), 'tune-bench-speed-'));
  const env = { ...process.env, ...ONE_THREAD, TMPDIR: scratch };
  try {
    writePeerData(scratch);
    const skipped: Partial<Record<Engine, string>> = {};
    const torchWhy = await torchMissing(env);
    if (torchWhy) {
      skipped.torch = torchWhy;
      log(`torch skipped: ${torchWhy}`);
    }
    const backends: Partial<Record<Engine, string>> = {};
    const peaks = [await measurePeaks(env, !skipped.torch, log)];

    const samples = new Map<string, Sample[]>();
    const key = (c: BenchConfig, e: Engine) => `${c.label}|${e}`;
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [ci, c] of configs.entries()) {
        // Rotate the engines' order with the round and the config.
        const order = ENGINES.map((_, i) => ENGINES[(i + r + ci) % ENGINES.length]);
        for (const e of order) {
          if (skipped[e]) continue;
          let line: PeerLine;
          try {
            const [cmd, args] = peerCommand(e, c, scratch, seconds, warmup[e]);
            line = lastJson<PeerLine>(await run(cmd, args, env, 600_000));
          } catch (err) {
            // A peer that fails is reported and left out from then on; ours failing is a bug: stop.
            if (e === 'ours') throw err;
            skipped[e] = `failed: ${(err as Error).message.split('\n')[0]}`;
            log(`${e} skipped: ${skipped[e]}`);
            continue;
          }
          if (line.params !== c.params) throw new Error(`${e} ${c.label}: ${line.params} parameters, the built-in trainer's model has ${c.params}`);
          if (!backends[e]) {
            const blas = (line.blas as { name?: string } | undefined)?.name;
            backends[e] = e === 'torch' ? `torch ${String(line.torch_version)}, BLAS: ${blas ?? 'unknown'}` : e === 'tfjs' ? `tfjs ${String(line.tfjs_version)}, backend ${String(line.backend)}` : String(line.backend);
          }
          const load1 = round2(loadavg()[0]);
          loads.push(load1);
          const s: Sample = { round: r, steps: line.steps, wall: line.steps_per_s, cpu: line.steps_per_cpu_s, load1 };
          samples.set(key(c, e), [...(samples.get(key(c, e)) ?? []), s]);
          log(`round ${r + 1}/${rounds} ${c.label.padEnd(36)} ${e.padEnd(5)} ${s.cpu.toFixed(1).padStart(8)} steps per CPU s ${s.wall.toFixed(1).padStart(8)} per wall s  load ${load1}`);
        }
      }
    }
    if (!opts.quick) peaks.push(await measurePeaks(env, !skipped.torch, log));

    const best = (xs: (number | undefined)[]): number | null => {
      const ok = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
      return ok.length ? Math.max(...ok) : null;
    };
    const torchPeak = best(peaks.map((p) => p.torch?.gflops_cpu));
    const ortPeak = best(peaks.map((p) => p.ours?.gflops_cpu));
    const peak: PeakFigures = { torch_sgemm: torchPeak, ort_gemm: ortPeak, peak: best([torchPeak ?? undefined, ortPeak ?? undefined]) };

    const rows: SpeedRow[] = configs.map((c) => {
      const cell = (e: Engine): EngineCell | null => {
        const s = samples.get(key(c, e));
        if (!s?.length) return null;
        const cpu = spread(s.map((x) => x.cpu));
        const gflops = (c.flops * cpu.median) / 1e9;
        return { samples: s, cpu, wall: spread(s.map((x) => x.wall)), gflops_cpu: gflops, pct_of_peak: peak.peak ? (100 * gflops) / peak.peak : null };
      };
      const cells = { ours: cell('ours'), torch: cell('torch'), tfjs: cell('tfjs') };
      return {
        model: c.model,
        config: c.label,
        params: c.params,
        step_flops: c.flops,
        cells,
        ours_over_torch_cpu: paired(cells.ours, cells.torch, (s) => s.cpu),
        ours_over_torch_wall: paired(cells.ours, cells.torch, (s) => s.wall),
        ours_over_tfjs_cpu: paired(cells.ours, cells.tfjs, (s) => s.cpu),
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
      machine: { ...machine, loadavg_end: loadavg().map(round2) },
      method: {
        rounds, seconds_per_cell: seconds, warmup,
        headline: 'steps per second of each engine\'s own process CPU time; ratios paired within a round, median and range over rounds; a fresh process per cell',
      },
      backends,
      skipped,
      peak,
      load: spread(loads),
      rows,
      quality,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- report

const fmt = (x: number | null | undefined, digits = 0): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const range = (s: Spread | null): string => (s ? `${fmt(s.median, 2)} [${fmt(s.min, 2)}–${fmt(s.max, 2)}]` : '—');

export function formatTrainerSpeed(r: TrainerSpeedResult): string {
  const lines: string[] = [];
  const head = ['config', 'params', 'MFLOP/step', 'ours', 'torch', 'tfjs', 'ours/torch cpu [range]', 'ours/torch wall', 'ours/tfjs cpu', 'ours GFLOP/s', '% peak', 'torch % peak'];
  const rows = r.rows.map((x) => [
    x.config, String(x.params), fmt(x.step_flops / 1e6, 1),
    fmt(x.cells.ours?.cpu.median), fmt(x.cells.torch?.cpu.median), fmt(x.cells.tfjs?.cpu.median, 1),
    range(x.ours_over_torch_cpu), fmt(x.ours_over_torch_wall?.median, 2), fmt(x.ours_over_tfjs_cpu?.median, 1),
    fmt(x.cells.ours?.gflops_cpu, 1), fmt(x.cells.ours?.pct_of_peak, 0), fmt(x.cells.torch?.pct_of_peak, 0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(`Training steps per CPU second, 1 thread each, a fresh process per cell, median of ${r.method.rounds} round(s); ratios paired within a round`);
  lines.push(line(head));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) lines.push(line(row));
  lines.push(`peak (sgemm 2048², 1 thread, GFLOP per CPU s): torch.mm ${fmt(r.peak.torch_sgemm, 1)}, ONNX Runtime Gemm ${fmt(r.peak.ort_gemm, 1)}; % peak divides by ${fmt(r.peak.peak, 1)}`);
  for (const e of ENGINES) if (r.backends[e]) lines.push(`${e}: ${r.backends[e]}`);
  for (const [e, why] of Object.entries(r.skipped)) lines.push(`${e}: skipped — ${why}`);
  lines.push(`machine: ${String(r.machine.cpu)}, ${String(r.machine.cores)} cores; 1-min load average during the cells: median ${fmt(r.load.median, 2)}, ` +
    `range ${fmt(r.load.min, 2)}–${fmt(r.load.max, 2)}; >= ${r.method.seconds_per_cell} s per cell`);
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
