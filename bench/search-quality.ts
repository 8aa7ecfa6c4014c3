/**
 * Search quality of tune's strategies, on test functions with a known minimum (bench/problems.ts):
 *
 *   node --import tsx bench/search-quality.ts [--quick]
 *
 * prints a table and writes bench/results/search-quality.json; bench/run.ts can call measureSearchQuality.
 * It measures; it asserts nothing.
 *
 * 1. Black-box. Branin (2-D) and Hartmann-6 (6-D); median over seeds of the simple regret (best value found
 *    minus the known global minimum) after 50 and 100 evaluations, for our random, TPE and multivariate TPE
 *    searchers and, beside them, Optuna's RandomSampler, TPESampler and TPESampler(multivariate=True), run by
 *    Debian's /usr/bin/python3 (bench/peers/optuna_quality.py, one process per sampler doing every seed).
 *    Ours run in this process, one trial after another, driven as the orchestrator drives them for a trial
 *    that reports once: suggest -> evaluate -> onResult(i, 1, loss) -> onComplete(i, {completed, 1, loss}).
 *    Both sides use the same settings (Optuna 3.1's TPE defaults, constant_liar off). The seeds are not the
 *    same numbers on both sides (different generators), so samples are not paired: a cell's ratio is
 *    ours' median / Optuna's median, and p is a two-sided Mann-Whitney test of the two samples of regrets.
 *    Optuna 3.1's TPE has a known bug our TPE does not copy: its kernels' log-density lacks the -log(sigma)
 *    term (optuna#5109, fixed upstream by #5110), which changes which candidate wins. So both TPE samplers
 *    also run a second time with that one function fixed ("optuna+fix", bench/peers/optuna_quality.py
 *    --fix-logpdf): the like-for-like peer. Given the same history, ours and optuna+fix propose points from
 *    the same distribution (checked while writing this bench: two-sample KS on 1,500 proposals each).
 *    Side figure: CPU time per 100 suggestions (each side's own process CPU time inside the strategy: our
 *    suggest + onResult + onComplete; Optuna's create_study + ask + suggest_float + tell), median over seeds.
 *
 * 2. Multi-fidelity. The fidelity-biased Hartmann-6 of mf-prior-bench (bench/problems.ts gives the formula
 *    and its source), with its iterations as the fidelity: max_t = 243, evaluation interval 3, grace period 3,
 *    reduction factor 3. Why: rungs at 3, 9, 27, 81, 243 are exactly Hyperband's geometric ladder with
 *    eta = 3 and five brackets (s_max = 4, budget ratio 81), and every rung budget is a multiple of the
 *    evaluation interval, so no rung is taken late; interval 3 rather than 1 also makes the schedulers see
 *    81 results per full trial instead of 243 (a third of the bookkeeping).
 *    Presets: mf-prior-bench's default (bias 0.5, noise 0.1: low budgets rank configs almost as max_t does)
 *    in every run; the full run adds its "good" preset (bias 2.5, noise 2.0: at the first rung the bias
 *    turns two of Hartmann's four bumps into bumps of the wrong sign, and the noise, 1.6 |N(0,1)|, is of
 *    the order of the whole signal): a problem where low budgets mislead.
 *    The orchestrator is simulated in this process with concurrency 1, following src/search/types.ts: a
 *    free slot asks scheduler.chooseNext({searcherFinished, running: 0}); {promote: i} -> scheduler.promote(i)
 *    and trial i goes on from where it paused; {stop: i} -> scheduler.onTrialEnd(i, 'stopped') and
 *    searcher.onComplete; 'new' -> searcher.suggest (then onTrialAdded and run it; 'finished' sets
 *    searcherFinished); a running trial reports at every evaluation boundary (searcher.onResult, then
 *    scheduler.onResult, whose decision is obeyed: continue, pause, stop) and completes on reaching max_t
 *    (after both onResult calls for max_t). Ended trials tell the searcher their best loss and the iteration
 *    reached. The resource is iterations: every iteration a trial runs counts, whether it is later stopped
 *    or not.
 *    Target: random search with FIFO (every trial to max_t), N = 30 full trials = 30 * 243 iterations; the
 *    target is the median over seeds of random's best after those N trials. Random itself runs on to 3N
 *    trials so its own "iterations to reach the target" is measured, not assumed. Every other method gets a
 *    fixed budget of N * max_t iterations (what random spends) and we record the iterations spent until a
 *    value AT max_t (a trial that ran to the full budget) is <= the target ("reached"); a second column
 *    counts a value at any budget (the problem guarantees f(x, z) >= f(x, max_t), so a low-budget hit is
 *    also a true hit, just not yet seen at max_t). Median over seeds, "not reached" counted as infinite;
 *    ratio = the method's median / random's median. Goal: a third of random's iterations or less.
 *    That target is met by the first full-budget trial of nearly every method (the ratio then only says
 *    where the first rung ladder ends), so a harder one is reported beside it: random's median best after
 *    3N full trials, which random needs 3N * max_t iterations for (by construction, half the seeds within
 *    that), against the same fixed budget of N * max_t for the others, i.e. a third of random's.
 *    Methods: random + FIFO, random + ASHA (promotion and stopping), TPE + ASHA (both variants: the
 *    promotion variant keeps trials waiting, and TPE learns only from ended trials), random + Hyperband, and
 *    BOHB (Hyperband scheduler + BOHB searcher on Hyperband's budgets).
 *
 * Every searcher is seeded (black-box: the seed `tune` would derive for spec seed s; multi-fidelity likewise);
 * the problems are deterministic; so a run is reproducible, timings aside.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AshaScheduler } from '../src/search/asha-scheduler.js';
import { BohbSearcher } from '../src/search/bohb/index.js';
import { FifoScheduler } from '../src/search/fifo-scheduler.js';
import { HyperbandScheduler } from '../src/search/hyperband-scheduler.js';
import { RandomSearcher } from '../src/search/random-searcher.js';
import { deriveSeed } from '../src/search/rng.js';
import { hyperbandBudgets } from '../src/search/rungs.js';
import type { Config } from '../src/search/space.js';
import { TpeSearcher } from '../src/search/tpe/index.js';
import type { Loss, Scheduler, Searcher } from '../src/search/types.js';
import type { BohbOptions, RungOptions, TpeOptions } from '../src/spec/types.js';
import { BLACK_BOX, mfHartmannProblem, type BlackBoxProblem, type MultiFidelityProblem } from './problems.js';
import { machineBasics, runStandalone } from './standalone.js';
import { BOHB_DEFAULTS, TPE_DEFAULTS } from '../src/spec/strategy.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'search-quality.json');
const OPTUNA_PEER = join(ROOT, 'bench', 'peers', 'optuna_quality.py');
/** Debian's python3-optuna is installed for this interpreter only; the `python3` first on PATH is another. */
const SYSTEM_PYTHON = '/usr/bin/python3';
/** What `tune` derives a searcher's seed with (src/search/index.ts SEED_STREAM.searcher). */
const SEARCHER_STREAM = 1;

// ------------------------------------------------------------------------------------------------ settings

/** Optuna 3.1's TPESampler defaults, constant liar off (sequential search). */
const TPE: TpeOptions = { ...TPE_DEFAULTS, constant_liar: false };
const TPE_MV: TpeOptions = { ...TPE, multivariate: true };

/** HpBandSter's BOHB defaults. */
const BOHB: BohbOptions = BOHB_DEFAULTS;

const BB_TRIALS = 100;
const BB_CHECKPOINTS = [50, 100] as const;

const MF_RUNGS: RungOptions = { grace_period: 3, reduction_factor: 3, max_t: 243 };
const MF_EVAL_INTERVAL = 3;
/** Random search's full trials that set the target; random itself runs on to RANDOM_EXTRA times as many. */
const MF_N = 30;
const RANDOM_EXTRA = 3;

/** Earlier figures (Optuna 3.1, 20 seeds, 100 evaluations), quoted by the issue: median regret. */
const REFERENCE_OPTUNA_100 = {
  random: { branin: 0.38, hartmann6: 1.2 },
  tpe: { branin: 0.012, hartmann6: 0.25 },
  'tpe-mv': { branin: 0.072, hartmann6: 0.19 },
} as const;

// ---------------------------------------------------------------------------------------------- types

export type BbMethod = 'random' | 'tpe' | 'tpe-mv';
const BB_METHODS: readonly BbMethod[] = ['random', 'tpe', 'tpe-mv'];
/** The Optuna processes: each sampler as Optuna 3.1 ships it, and the TPE ones again with optuna#5110's fix. */
export type PeerKey = BbMethod | 'tpe+fix' | 'tpe-mv+fix';
const PEERS: readonly { key: PeerKey; method: BbMethod; fix: boolean }[] = [
  { key: 'random', method: 'random', fix: false },
  { key: 'tpe', method: 'tpe', fix: false },
  { key: 'tpe-mv', method: 'tpe-mv', fix: false },
  { key: 'tpe+fix', method: 'tpe', fix: true },
  { key: 'tpe-mv+fix', method: 'tpe-mv', fix: true },
];

export interface Sample {
  /** Median over seeds; null when there is no sample. */
  readonly median: number | null;
  readonly q25: number | null;
  readonly q75: number | null;
  /** One value per seed, in seed order. */
  readonly per_seed: readonly number[];
}

export interface BbCell {
  readonly problem: string;
  readonly evals: number;
  readonly method: BbMethod;
  /** Simple regret (best found - global minimum). */
  readonly ours: Sample;
  /** Optuna 3.1 as shipped. */
  readonly optuna: Sample | null;
  /** ours.median / optuna.median: below 1, ours found better points. */
  readonly ratio: number | null;
  /** Two-sided Mann-Whitney U test of ours vs Optuna's regrets (normal approximation with ties). */
  readonly p_value: number | null;
  /** Optuna 3.1 with optuna#5110's log-density fix (TPE samplers only; null for random). */
  readonly optuna_fixed: Sample | null;
  readonly ratio_fixed: number | null;
  readonly p_value_fixed: number | null;
  /** The issue's earlier Optuna 3.1 figure (100 evaluations only). */
  readonly reference_optuna: number | null;
}

export interface BbTiming {
  readonly problem: string;
  readonly method: BbMethod;
  /** CPU seconds per 100 suggestions (median over seeds), ours in this process. */
  readonly ours_cpu_s: number | null;
  readonly ours_wall_s: number | null;
  readonly optuna_cpu_s: number | null;
  readonly optuna_wall_s: number | null;
  /** ours_cpu_s / optuna_cpu_s: below 1, ours is cheaper. */
  readonly ratio_cpu: number | null;
}

export interface PeerInfo {
  readonly available: boolean;
  /** Why Optuna's column is missing, or null. */
  readonly skipped: string | null;
  readonly python: string;
  readonly python_version: string | null;
  readonly optuna_version: string | null;
  /** Per Optuna process: an error that stopped it, if any. */
  readonly errors: Partial<Record<PeerKey, string>>;
}

export type MfMethod = 'random+fifo' | 'random+asha' | 'random+asha-stopping' | 'tpe+asha' | 'tpe+asha-stopping' | 'random+hyperband' | 'bohb';
const MF_METHODS: readonly MfMethod[] = ['random+fifo', 'random+asha', 'random+asha-stopping', 'tpe+asha', 'tpe+asha-stopping', 'random+hyperband', 'bohb'];
const MF_LABEL: Record<MfMethod, string> = {
  'random+fifo': 'random + FIFO',
  'random+asha': 'random + ASHA (promotion)',
  'random+asha-stopping': 'random + ASHA (stopping)',
  'tpe+asha': 'TPE + ASHA (promotion)',
  'tpe+asha-stopping': 'TPE + ASHA (stopping)',
  'random+hyperband': 'random + Hyperband',
  bohb: 'BOHB (Hyperband + BOHB)',
};

export interface MfRun {
  readonly seed: number;
  /** Iterations spent in all (the budget, unless the run ended early: see `ended`). */
  readonly iterations: number;
  readonly trials: number;
  /** Trials that reached max_t. */
  readonly full_trials: number;
  /** Best value seen at max_t, or null. */
  readonly best_full: number | null;
  /** Iterations spent when a value at max_t first was <= the target; null: not reached. */
  readonly to_target_full: number | null;
  /** The same for a value at any budget. */
  readonly to_target_any: number | null;
  /** The same at max_t for the harder target (random's median best after 3N full trials). */
  readonly to_hard_target: number | null;
  /** Why the run ended before its budget ("searcher finished", or a stall: a contract problem), or null. */
  readonly ended: string | null;
  /** Contract problems seen (chooseNext not pure, a promote of a trial that is not waiting, ...). */
  readonly anomalies: readonly string[];
  readonly cpu_s: number;
}

export interface MfRow {
  readonly method: MfMethod;
  readonly label: string;
  /** Iteration budget each seed had. */
  readonly budget: number;
  /** Median over seeds of the iterations to reach the target at max_t; null: not reached in the median. */
  readonly to_target_full: number | null;
  readonly reached_full: number;
  readonly to_target_any: number | null;
  readonly reached_any: number;
  /** to_target_full / random's; the goal is <= 1/3. */
  readonly ratio_to_random: number | null;
  readonly ratio_to_random_any: number | null;
  /** The harder target, at max_t: median iterations (null: not reached in the median) and seeds reaching it. */
  readonly to_hard_target: number | null;
  readonly reached_hard: number;
  /** Median over seeds of the best value at max_t within the budget, minus the global minimum. */
  readonly regret_full: number | null;
  readonly trials: number | null;
  readonly full_trials: number | null;
  readonly cpu_s: number | null;
  readonly runs: readonly MfRun[];
}

export interface MfSection {
  readonly problem: { name: string; preset: string; bias: number; noise: number; max_fidelity: number; optimum: number; formula: string; source: string };
  readonly rungs: RungOptions & { eval_interval: number; hyperband_budgets: readonly number[] };
  readonly n_random_full_trials: number;
  readonly budget_iterations: number;
  /** Median over seeds of random's best after N full trials. */
  readonly target: number;
  readonly target_regret: number;
  /** Random's own median iterations to the target (it ran to RANDOM_EXTRA * N trials). */
  readonly random_to_target: number | null;
  /** The harder target: the median over seeds of random's best after RANDOM_EXTRA * N full trials. */
  readonly hard_target: number;
  readonly hard_target_regret: number;
  /** The iterations random spends for it (RANDOM_EXTRA * N * max_t; by construction half the seeds reach it). */
  readonly hard_target_random_iterations: number;
  readonly rows: readonly MfRow[];
}

export interface SearchQualityResult {
  readonly quick: boolean;
  readonly started: string;
  readonly wall_s: number;
  readonly seeds: number;
  readonly machine: Record<string, unknown>;
  readonly settings: { tpe: TpeOptions; tpe_multivariate: TpeOptions; bohb: BohbOptions };
  readonly peer: PeerInfo;
  readonly black_box: { readonly trials: number; readonly cells: readonly BbCell[]; readonly timing: readonly BbTiming[] };
  readonly multi_fidelity: readonly MfSection[];
  readonly method: string;
}

// ------------------------------------------------------------------------------------------------ stats

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return sorted[lo];
  if (!Number.isFinite(sorted[lo]) || !Number.isFinite(sorted[hi])) return sorted[hi];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median with Infinity allowed (a censored "not reached"): Infinity when the middle is. */
function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

function sample(xs: readonly number[]): Sample {
  if (xs.length === 0) return { median: null, q25: null, q75: null, per_seed: [] };
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), q25: quantile(s, 0.25), q75: quantile(s, 0.75), per_seed: xs };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf). */
function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Two-sided Mann-Whitney U p-value, normal approximation with the tie correction. */
function mannWhitney(a: readonly number[], b: readonly number[]): number | null {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 < 2 || n2 < 2) return null;
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tie = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tie += t * t * t - t;
    i = j + 1;
  }
  let r1 = 0;
  for (let k = 0; k < all.length; k++) if (all[k].g === 0) r1 += ranks[k];
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tie / (n * (n - 1))));
  if (sigma === 0) return 1;
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return Math.min(1, 2 * (1 - normCdf(Math.max(0, z))));
}

const ratio = (a: number | null, b: number | null): number | null =>
  a !== null && b !== null && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
const finiteOrNull = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

// ----------------------------------------------------------------------------------------- Optuna peer

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${err.message.split('\n')[0]}\n${stderr.slice(-1500)}`));
      else res(stdout);
    });
  });
}

interface PeerOutput {
  optuna_version: string;
  fix_logpdf: boolean;
  python: string;
  method: BbMethod;
  trials: number;
  runs: { problem: string; seed: number; best: Record<string, number>; cpu_s: number; wall_s: number }[];
}

async function detectOptuna(): Promise<{ ok: true; optuna: string; python: string } | { ok: false; why: string }> {
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, why: `${SYSTEM_PYTHON} not found` };
  try {
    const out = await run(SYSTEM_PYTHON, ['-c', 'import optuna, platform; print(optuna.__version__, platform.python_version())'], 60_000);
    const [optuna, python] = out.trim().split(/\s+/);
    return { ok: true, optuna, python };
  } catch (e) {
    return { ok: false, why: `optuna does not import under ${SYSTEM_PYTHON} (apt-get install python3-optuna): ${(e as Error).message.split('\n').slice(-2).join(' ').trim()}` };
  }
}

/** One process per Optuna sampler, one after another (they share one core while this process uses the other). */
async function runOptuna(seeds: readonly number[], log: (s: string) => void): Promise<{ outputs: Partial<Record<PeerKey, PeerOutput>>; errors: Partial<Record<PeerKey, string>> }> {
  const outputs: Partial<Record<PeerKey, PeerOutput>> = {};
  const errors: Partial<Record<PeerKey, string>> = {};
  for (const peer of PEERS) {
    const t0 = performance.now();
    const args = [OPTUNA_PEER, '--method', peer.method, '--seeds', seeds.join(','), '--trials', String(BB_TRIALS), '--checkpoints', BB_CHECKPOINTS.join(',')];
    if (peer.fix) args.push('--fix-logpdf');
    try {
      const stdout = await run(SYSTEM_PYTHON, args, 900_000);
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (!line) throw new Error(`printed no JSON: ${stdout.slice(-300)}`);
      outputs[peer.key] = JSON.parse(line) as PeerOutput;
      log(`optuna ${peer.key}: ${seeds.length} seeds x ${BLACK_BOX.length} problems in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      errors[peer.key] = (e as Error).message;
      log(`optuna ${peer.key}: FAILED ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { outputs, errors };
}

// ------------------------------------------------------------------------------------------ black-box

function makeBbSearcher(method: BbMethod, p: BlackBoxProblem, seed: number): Searcher {
  const s = deriveSeed(seed, SEARCHER_STREAM);
  switch (method) {
    case 'random':
      return new RandomSearcher(p.space, BB_TRIALS, s);
    case 'tpe':
      return new TpeSearcher(p.space, BB_TRIALS, s, TPE);
    case 'tpe-mv':
      return new TpeSearcher(p.space, BB_TRIALS, s, TPE_MV);
  }
}

interface BbRun {
  best: Record<number, number>;
  cpu_s: number;
  wall_s: number;
  error: string | null;
}

function runBlackBox(method: BbMethod, p: BlackBoxProblem, seed: number): BbRun {
  let cpu = 0;
  let wall = 0;
  let c0 = cpuNow();
  let w0 = performance.now();
  const searcher = makeBbSearcher(method, p, seed);
  cpu += cpuNow() - c0;
  wall += performance.now() - w0;
  let best = Infinity;
  const out: Record<number, number> = {};
  for (let i = 0; i < BB_TRIALS; i++) {
    c0 = cpuNow();
    w0 = performance.now();
    const config = searcher.suggest(i);
    cpu += cpuNow() - c0;
    wall += performance.now() - w0;
    if (config === null || config === 'finished') {
      return { best: out, cpu_s: cpu, wall_s: wall, error: `suggest(${i}) returned ${String(config)} in a sequential run` };
    }
    const loss = p.f(config);
    c0 = cpuNow();
    w0 = performance.now();
    searcher.onResult?.(i, 1, loss);
    searcher.onComplete?.(i, { status: 'completed', iteration: 1, loss });
    cpu += cpuNow() - c0;
    wall += performance.now() - w0;
    if (loss < best) best = loss;
    if ((BB_CHECKPOINTS as readonly number[]).includes(i + 1)) out[i + 1] = best;
  }
  return { best: out, cpu_s: cpu, wall_s: wall, error: null };
}

// ------------------------------------------------------------------------------------- multi-fidelity

interface SimTrial {
  readonly index: number;
  readonly config: Config;
  iteration: number;
  best: Loss;
  state: 'running' | 'paused' | 'ended' | 'cut';
}

interface SimResult {
  iterations: number;
  trials: number;
  fullTrials: number;
  /** (iterations spent, value) each time the best value at max_t improved. */
  fullTrace: [number, number][];
  anyTrace: [number, number][];
  ended: string | null;
  anomalies: string[];
}

/**
 * The orchestrator with concurrency 1, in-process (see the header). Runs until `budget` iterations are spent
 * (a trial may be cut mid-way by the budget), the searcher is finished and the scheduler has nothing left,
 * or a stall (a choice the contract cannot go on from) — which it reports instead of looping.
 */
function simulate(searcher: Searcher, scheduler: Scheduler, f: (c: Config, z: number) => number, budget: number, maxT: number, evalInterval: number): SimResult {
  const trials: SimTrial[] = [];
  const anomalies: string[] = [];
  const anomaly = (s: string) => {
    if (anomalies.length < 20 && !anomalies.includes(s)) anomalies.push(s);
  };
  const fullTrace: [number, number][] = [];
  const anyTrace: [number, number][] = [];
  let bestFull = Infinity;
  let bestAny = Infinity;
  let spent = 0;
  let fullTrials = 0;
  let searcherFinished = false;
  let ended: string | null = null;

  const end = (t: SimTrial, status: 'completed' | 'stopped') => {
    t.state = 'ended';
    scheduler.onTrialEnd?.(t.index, status);
    searcher.onComplete?.(t.index, { status, iteration: t.iteration, loss: t.best });
  };

  const runTrial = (t: SimTrial) => {
    t.state = 'running';
    while (spent < budget) {
      const next = Math.min(t.iteration + evalInterval, maxT);
      spent += next - t.iteration;
      t.iteration = next;
      const loss = f(t.config, next);
      if (t.best === null || loss < t.best) t.best = loss;
      if (loss < bestAny) {
        bestAny = loss;
        anyTrace.push([spent, loss]);
      }
      if (next >= maxT) {
        fullTrials++;
        if (loss < bestFull) {
          bestFull = loss;
          fullTrace.push([spent, loss]);
        }
      }
      searcher.onResult?.(t.index, next, loss);
      const d = scheduler.onResult(t.index, next, loss);
      if (next >= maxT) {
        end(t, 'completed');
        return;
      }
      if (d === 'stop') {
        end(t, 'stopped');
        return;
      }
      if (d === 'pause') {
        // As the orchestrator does: a waiting trial tells the searcher what it reached so far.
        searcher.onWait?.(t.index, { status: 'waiting', iteration: next, loss: t.best });
        t.state = 'paused';
        return;
      }
      if (d !== 'continue') anomaly(`onResult returned ${JSON.stringify(d)}`);
    }
    t.state = 'cut';
  };

  let choices = 0;
  while (spent < budget) {
    if (++choices > 5_000_000) {
      ended = 'stall: 5,000,000 choices without spending the budget';
      break;
    }
    const ctx = { searcherFinished, running: 0 };
    const choice = scheduler.chooseNext(ctx);
    if (choices % 7 === 1 && JSON.stringify(scheduler.chooseNext(ctx)) !== JSON.stringify(choice)) anomaly('chooseNext is not pure: two calls without a commit gave different answers');
    const waiting = trials.filter((t) => t.state === 'paused').length;
    if (choice === null) {
      ended = searcherFinished && waiting === 0 ? 'searcher finished' : `stall: chooseNext returned null with ${waiting} trial(s) waiting, nothing running, searcherFinished ${searcherFinished}`;
      break;
    }
    if (choice === 'new') {
      if (searcherFinished) {
        // The orchestrator treats this as nothing to run: with nothing running, the session ends.
        ended = waiting === 0 ? 'searcher finished' : `stall: chooseNext returned 'new' after the searcher finished, with ${waiting} trial(s) waiting`;
        break;
      }
      const index = trials.length;
      const config = searcher.suggest(index);
      if (config === 'finished') {
        searcherFinished = true;
        continue;
      }
      if (config === null) {
        ended = `stall: suggest(${index}) returned null with nothing running (${waiting} waiting)`;
        break;
      }
      const t: SimTrial = { index, config, iteration: 0, best: null, state: 'running' };
      trials.push(t);
      scheduler.onTrialAdded?.(index);
      runTrial(t);
      continue;
    }
    if ('promote' in choice) {
      const t = trials[choice.promote];
      if (!t || t.state !== 'paused') {
        ended = `stall: chooseNext chose to promote trial ${choice.promote}, which is ${t ? t.state : 'unknown'}`;
        break;
      }
      scheduler.promote?.(t.index);
      runTrial(t);
      continue;
    }
    if ('stop' in choice) {
      const t = trials[choice.stop];
      if (!t || t.state !== 'paused') {
        ended = `stall: chooseNext chose to stop trial ${choice.stop}, which is ${t ? t.state : 'unknown'}`;
        break;
      }
      end(t, 'stopped');
      continue;
    }
    ended = `stall: chooseNext returned ${JSON.stringify(choice)}`;
    break;
  }
  return { iterations: spent, trials: trials.length, fullTrials, fullTrace, anyTrace, ended, anomalies };
}

function makeMf(method: MfMethod, p: MultiFidelityProblem, seed: number, maxTrials: number): { searcher: Searcher; scheduler: Scheduler } {
  const s = deriveSeed(seed, SEARCHER_STREAM);
  const asha = (variant: 'promotion' | 'stopping') => new AshaScheduler({ ...MF_RUNGS, variant }, MF_EVAL_INTERVAL);
  switch (method) {
    case 'random+fifo':
      return { searcher: new RandomSearcher(p.space, maxTrials, s), scheduler: new FifoScheduler() };
    case 'random+asha':
      return { searcher: new RandomSearcher(p.space, maxTrials, s), scheduler: asha('promotion') };
    case 'random+asha-stopping':
      return { searcher: new RandomSearcher(p.space, maxTrials, s), scheduler: asha('stopping') };
    case 'tpe+asha':
      return { searcher: new TpeSearcher(p.space, maxTrials, s, TPE), scheduler: asha('promotion') };
    case 'tpe+asha-stopping':
      return { searcher: new TpeSearcher(p.space, maxTrials, s, TPE), scheduler: asha('stopping') };
    case 'random+hyperband':
      return { searcher: new RandomSearcher(p.space, maxTrials, s), scheduler: new HyperbandScheduler(MF_RUNGS, MF_EVAL_INTERVAL) };
    case 'bohb':
      return {
        searcher: new BohbSearcher(p.space, maxTrials, s, hyperbandBudgets(MF_RUNGS, MF_EVAL_INTERVAL), BOHB),
        scheduler: new HyperbandScheduler(MF_RUNGS, MF_EVAL_INTERVAL),
      };
  }
}

const firstAtOrBelow = (trace: readonly [number, number][], target: number, within: number): number | null => {
  for (const [it, v] of trace) if (it <= within && v <= target) return it;
  return null;
};

function mfSection(p: MultiFidelityProblem, seeds: readonly number[], log: (s: string) => void): MfSection {
  const maxT = MF_RUNGS.max_t;
  const budget = MF_N * maxT;
  const sims = new Map<MfMethod, { seed: number; sim: SimResult; cpu: number }[]>();
  for (const method of MF_METHODS) {
    const t0 = performance.now();
    const list: { seed: number; sim: SimResult; cpu: number }[] = [];
    for (const seed of seeds) {
      const c0 = cpuNow();
      // Random + FIFO: N full trials set the target, then on to RANDOM_EXTRA * N to measure its own time to it.
      // Others: more trials than the budget can hold (each costs >= one evaluation interval).
      const isRef = method === 'random+fifo';
      const maxTrials = isRef ? RANDOM_EXTRA * MF_N : Math.ceil(budget / MF_EVAL_INTERVAL) + 1;
      const { searcher, scheduler } = makeMf(method, p, seed, maxTrials);
      let sim: SimResult;
      try {
        sim = simulate(searcher, scheduler, p.f, isRef ? RANDOM_EXTRA * budget : budget, maxT, MF_EVAL_INTERVAL);
      } catch (e) {
        sim = { iterations: 0, trials: 0, fullTrials: 0, fullTrace: [], anyTrace: [], ended: `threw: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`, anomalies: [] };
      }
      list.push({ seed, sim, cpu: cpuNow() - c0 });
    }
    sims.set(method, list);
    const odd = list.filter((x) => x.sim.ended && x.sim.ended !== 'searcher finished').length;
    log(`${p.preset}: ${MF_LABEL[method]}: ${seeds.length} seeds in ${((performance.now() - t0) / 1000).toFixed(1)} s${odd ? `; ${odd} run(s) ended early` : ''}`);
  }

  // The target: the median over seeds of random's best after N full trials (its first `budget` iterations).
  const refs = sims.get('random+fifo') ?? [];
  const bestAfterN = refs.map(({ sim }) => {
    let b = Infinity;
    for (const [it, v] of sim.fullTrace) if (it <= budget) b = Math.min(b, v);
    return b;
  });
  const target = median(bestAfterN) ?? NaN;
  const randomTo = refs.map(({ sim }) => firstAtOrBelow(sim.fullTrace, target, Infinity) ?? Infinity);
  const randomToTarget = finiteOrNull(median(randomTo));
  const randomToAny = finiteOrNull(median(refs.map(({ sim }) => firstAtOrBelow(sim.anyTrace, target, Infinity) ?? Infinity)));
  const hardTarget = median(refs.map(({ sim }) => Math.min(...sim.fullTrace.map(([, v]) => v)))) ?? NaN;

  const rows: MfRow[] = MF_METHODS.map((method) => {
    const isRef = method === 'random+fifo';
    const within = isRef ? RANDOM_EXTRA * budget : budget;
    const runs: MfRun[] = (sims.get(method) ?? []).map(({ seed, sim, cpu }) => {
      let b = Infinity;
      for (const [, v] of sim.fullTrace) b = Math.min(b, v);
      return {
        seed,
        iterations: sim.iterations,
        trials: sim.trials,
        full_trials: sim.fullTrials,
        best_full: Number.isFinite(b) ? b : null,
        to_target_full: firstAtOrBelow(sim.fullTrace, target, within),
        to_target_any: firstAtOrBelow(sim.anyTrace, target, within),
        to_hard_target: firstAtOrBelow(sim.fullTrace, hardTarget, within),
        ended: sim.ended,
        anomalies: sim.anomalies,
        cpu_s: cpu,
      };
    });
    const full = runs.map((r) => r.to_target_full ?? Infinity);
    const any = runs.map((r) => r.to_target_any ?? Infinity);
    const toFull = finiteOrNull(median(full));
    const toAny = finiteOrNull(median(any));
    const hard = runs.map((r) => r.to_hard_target ?? Infinity);
    // Regret at max_t within the same budget for everyone (random: its first N trials).
    const regrets = isRef
      ? bestAfterN.map((b) => b - p.optimum)
      : runs.map((r) => (r.best_full === null ? Infinity : r.best_full - p.optimum));
    return {
      method,
      label: MF_LABEL[method],
      budget: within,
      to_target_full: toFull,
      reached_full: full.filter(Number.isFinite).length,
      to_target_any: toAny,
      reached_any: any.filter(Number.isFinite).length,
      ratio_to_random: ratio(toFull, randomToTarget),
      ratio_to_random_any: ratio(toAny, randomToAny),
      to_hard_target: finiteOrNull(median(hard)),
      reached_hard: hard.filter(Number.isFinite).length,
      regret_full: finiteOrNull(median(regrets)),
      trials: median(runs.map((r) => r.trials)),
      full_trials: median(runs.map((r) => r.full_trials)),
      cpu_s: median(runs.map((r) => r.cpu_s)),
      runs,
    };
  });

  return {
    problem: {
      name: p.name,
      preset: p.preset,
      bias: p.options.bias,
      noise: p.options.noise,
      max_fidelity: p.options.maxFidelity,
      optimum: p.optimum,
      formula: 'f(x,z) = -sum_i (alpha_i - bias*(1-s)) exp(-sum_j A_ij (x_j - P_ij)^2) + noise*(1-s)*|eps(x,z)|, s = ln z / ln max_t, eps ~ N(0,1) hashed from (x, z)',
      source: 'automl/mf-prior-bench src/mfpbench/synthetic/hartmann/generators.py MFHartmann6 (commit 7ae8f94); see bench/problems.ts',
    },
    rungs: { ...MF_RUNGS, eval_interval: MF_EVAL_INTERVAL, hyperband_budgets: hyperbandBudgets(MF_RUNGS, MF_EVAL_INTERVAL) },
    n_random_full_trials: MF_N,
    budget_iterations: budget,
    target,
    target_regret: target - p.optimum,
    random_to_target: randomToTarget,
    hard_target: hardTarget,
    hard_target_regret: hardTarget - p.optimum,
    hard_target_random_iterations: RANDOM_EXTRA * budget,
    rows,
  };
}

// ------------------------------------------------------------------------------------------------ main

function machineInfo(): Record<string, unknown> {
  return machineBasics();
}

export async function measureSearchQuality(opts: { quick: boolean; log: (s: string) => void }): Promise<SearchQualityResult> {
  const { quick, log } = opts;
  const startedAt = new Date();
  const t0 = performance.now();
  const machine = machineInfo();
  const nSeeds = quick ? 5 : 20;
  const seeds = Array.from({ length: nSeeds }, (_, i) => i);

  // Optuna in the background (one process per sampler, all seeds), while ours run here.
  const detected = await detectOptuna();
  const peerPromise = detected.ok ? runOptuna(seeds, log) : Promise.resolve({ outputs: {}, errors: {} });
  if (!detected.ok) log(`optuna: skipped — ${detected.why}`);

  // Black-box, ours.
  const ours = new Map<string, BbRun[]>(); // `${method}/${problem}`
  for (const p of BLACK_BOX) {
    for (const method of BB_METHODS) {
      const w = performance.now();
      const list = seeds.map((seed) => runBlackBox(method, p, seed));
      ours.set(`${method}/${p.name}`, list);
      const errs = list.filter((r) => r.error).length;
      log(`ours ${method} on ${p.name}: ${nSeeds} seeds in ${((performance.now() - w) / 1000).toFixed(1)} s${errs ? `; ${errs} FAILED: ${list.find((r) => r.error)?.error}` : ''}`);
    }
  }

  // Multi-fidelity, ours only.
  const presets: ('default' | 'good')[] = quick ? ['default'] : ['default', 'good'];
  const mf = presets.map((preset) => mfSection(mfHartmannProblem(preset, MF_RUNGS.max_t), seeds, log));

  const peer = await peerPromise;
  const outputs: Partial<Record<PeerKey, PeerOutput>> = peer.outputs;
  const anyOut = Object.values(outputs)[0];

  const cells: BbCell[] = [];
  const timing: BbTiming[] = [];
  for (const p of BLACK_BOX) {
    for (const evals of BB_CHECKPOINTS) {
      for (const method of BB_METHODS) {
        const runs = ours.get(`${method}/${p.name}`) ?? [];
        const o = runs.filter((r) => r.error === null).map((r) => r.best[evals] - p.optimum);
        const regrets = (key: PeerKey): number[] | null => {
          const peerRuns = outputs[key]?.runs.filter((r) => r.problem === p.name);
          return peerRuns ? peerRuns.sort((a, b) => a.seed - b.seed).map((r) => r.best[String(evals)] - p.optimum) : null;
        };
        const q = regrets(method);
        const qf = method === 'random' ? null : regrets(`${method}+fix`);
        const os = sample(o);
        const qs = q ? sample(q) : null;
        const qfs = qf ? sample(qf) : null;
        cells.push({
          problem: p.name,
          evals,
          method,
          ours: os,
          optuna: qs,
          ratio: ratio(os.median, qs?.median ?? null),
          p_value: q ? mannWhitney(o, q) : null,
          optuna_fixed: qfs,
          ratio_fixed: ratio(os.median, qfs?.median ?? null),
          p_value_fixed: qf ? mannWhitney(o, qf) : null,
          reference_optuna: evals === 100 ? (REFERENCE_OPTUNA_100[method] as Record<string, number>)[p.name] ?? null : null,
        });
      }
    }
    for (const method of BB_METHODS) {
      const runs = (ours.get(`${method}/${p.name}`) ?? []).filter((r) => r.error === null);
      const peerRuns = outputs[method]?.runs.filter((r) => r.problem === p.name) ?? [];
      const scale = 100 / BB_TRIALS;
      const oc = median(runs.map((r) => r.cpu_s * scale));
      const qc = peerRuns.length ? median(peerRuns.map((r) => r.cpu_s * scale)) : null;
      timing.push({
        problem: p.name,
        method,
        ours_cpu_s: oc,
        ours_wall_s: median(runs.map((r) => r.wall_s * scale)),
        optuna_cpu_s: qc,
        optuna_wall_s: peerRuns.length ? median(peerRuns.map((r) => r.wall_s * scale)) : null,
        ratio_cpu: ratio(oc, qc),
      });
    }
  }

  const peerInfo: PeerInfo = {
    available: detected.ok && Object.keys(outputs).length > 0,
    skipped: detected.ok ? (Object.keys(outputs).length === 0 ? 'every Optuna process failed (see errors)' : null) : detected.why,
    python: SYSTEM_PYTHON,
    python_version: anyOut?.python ?? (detected.ok ? detected.python : null),
    optuna_version: anyOut?.optuna_version ?? (detected.ok ? detected.optuna : null),
    errors: peer.errors,
  };

  return {
    quick,
    started: startedAt.toISOString(),
    wall_s: (performance.now() - t0) / 1000,
    seeds: nSeeds,
    machine: { ...machine, loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100) },
    settings: { tpe: TPE, tpe_multivariate: TPE_MV, bohb: BOHB },
    peer: peerInfo,
    black_box: { trials: BB_TRIALS, cells, timing },
    multi_fidelity: mf,
    method:
      'Black-box: simple regret = best value found - known global minimum, median over seeds (seeds 0..n-1; ours seeded as tune seeds a ' +
      'searcher for spec seed s). Ratio = ours median / Optuna median (unpaired: the seeds drive different generators); p = two-sided ' +
      'Mann-Whitney. CPU time per 100 suggestions: each side\'s own process CPU time spent in the strategy. Multi-fidelity: iterations ' +
      'spent (every iteration any trial ran) until a value at max_t is <= the target (the median over seeds of random+FIFO\'s best after N ' +
      'full trials); "any" counts a value at any budget; median over seeds with not-reached as infinite; ratio = method / random+FIFO.',
  };
}

// ---------------------------------------------------------------------------------------------- report

function num(x: number | null, digits = 3): string {
  if (x === null) return '—';
  if (!Number.isFinite(x)) return 'inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a < 1e-3) return x.toExponential(1);
  return x.toPrecision(digits);
}

/** A median of counts: whole, or with its half. */
const count = (x: number | null): string => (x === null ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(1));

function table(head: string[], rows: string[][], leftCols = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function formatSearchQuality(r: SearchQualityResult): string {
  const lines: string[] = [];
  const ratioText = (x: number | null) => (x === null ? '—' : x.toFixed(2));
  const pText = (x: number | null) => (x === null ? '—' : x < 0.001 ? '<0.001' : x.toFixed(3));
  const peer = r.peer.available ? `Optuna ${r.peer.optuna_version} (Python ${r.peer.python_version}, ${r.peer.python})` : `Optuna: skipped — ${r.peer.skipped}`;
  lines.push(`Search quality, black-box: median simple regret over ${r.seeds} seeds (best found - global minimum; lower is better)${r.quick ? ' [quick]' : ''}`);
  lines.push(`ours vs ${peer}; "+fix": the same Optuna with optuna#5110's TPE log-density fix (the like-for-like peer)`);
  lines.push('ratio = ours / Optuna of the medians (unpaired); p = two-sided Mann-Whitney; "earlier": the issue\'s Optuna 3.1 figure');
  lines.push(...table(
    ['problem', 'evals', 'method', 'ours', 'optuna', 'ratio', 'p', 'optuna+fix', 'ratio', 'p', 'earlier'],
    r.black_box.cells.map((c) => [
      c.problem, String(c.evals), c.method, num(c.ours.median), num(c.optuna?.median ?? null), ratioText(c.ratio), pText(c.p_value),
      c.method === 'random' ? '' : num(c.optuna_fixed?.median ?? null), c.method === 'random' ? '' : ratioText(c.ratio_fixed), c.method === 'random' ? '' : pText(c.p_value_fixed),
      c.reference_optuna === null ? '' : num(c.reference_optuna),
    ]),
    3,
  ));
  const tpe100 = r.black_box.cells.filter((c) => c.evals === 100 && c.method !== 'random' && c.ratio !== null);
  const verdict = (x: number, p: number | null) => `${x <= 1 ? 'yes' : 'NO'} (${x.toFixed(2)}${p !== null && p < 0.05 ? `, p ${pText(p)}` : ''})`;
  if (tpe100.length) {
    lines.push(`goal, our TPE no worse than Optuna 3.1's at 100 evals: ${tpe100.map((c) => `${c.method} ${c.problem} ${verdict(c.ratio!, c.p_value)}`).join('; ')}`);
    const fixed = tpe100.filter((c) => c.ratio_fixed !== null);
    if (fixed.length) lines.push(`  ... and than Optuna 3.1+fix's: ${fixed.map((c) => `${c.method} ${c.problem} ${verdict(c.ratio_fixed!, c.p_value_fixed)}`).join('; ')}`);
  }
  for (const [k, e] of Object.entries(r.peer.errors)) lines.push(`optuna ${k}: FAILED — ${String(e).split('\n')[0]}`);

  lines.push('');
  lines.push('CPU seconds per 100 suggestions (median over seeds; each side\'s own process CPU time inside the strategy)');
  lines.push(...table(['problem', 'method', 'ours', 'optuna', 'ours/optuna'],
    r.black_box.timing.map((t) => [t.problem, t.method, num(t.ours_cpu_s), num(t.optuna_cpu_s), ratioText(t.ratio_cpu)]), 2));

  for (const s of r.multi_fidelity) {
    lines.push('');
    lines.push(`Multi-fidelity: ${s.problem.name}, max_t ${s.rungs.max_t}, eval interval ${s.rungs.eval_interval}, grace ${s.rungs.grace_period}, eta ${s.rungs.reduction_factor}; Hyperband budgets ${s.rungs.hyperband_budgets.join(',')}`);
    lines.push(`target: median over ${r.seeds} seeds of random+FIFO's best after ${s.n_random_full_trials} full trials = ${num(s.target, 5)} (regret ${num(s.target_regret)}); ` +
      `each method gets ${s.budget_iterations} iterations (random+FIFO ${RANDOM_EXTRA}x, to measure its own time)`);
    lines.push(`hard target: random+FIFO's median best after ${RANDOM_EXTRA * s.n_random_full_trials} full trials = ${num(s.hard_target, 5)} (regret ${num(s.hard_target_regret)}), ` +
      `${s.hard_target_random_iterations} iterations of random (half the seeds by construction); the others still get ${s.budget_iterations}, a third of that`);
    lines.push('iterations spent until a value AT max_t is <= the target ("any budget": a value at any rung); median over seeds, not reached = inf; ratio = / random+FIFO\'s');
    lines.push(...table(['method', 'to target', 'reached', 'ratio', 'any budget', 'ratio', 'hard target', 'reached', 'regret@max_t', 'trials', 'at max_t', 'cpu s'],
      s.rows.map((x) => [
        x.label,
        x.to_target_full === null ? 'not reached' : String(Math.round(x.to_target_full)),
        `${x.reached_full}/${x.runs.length}`,
        ratioText(x.ratio_to_random),
        x.to_target_any === null ? 'not reached' : String(Math.round(x.to_target_any)),
        ratioText(x.ratio_to_random_any),
        x.to_hard_target === null ? 'not reached' : String(Math.round(x.to_hard_target)),
        `${x.reached_hard}/${x.runs.length}`,
        num(x.regret_full),
        count(x.trials),
        count(x.full_trials),
        num(x.cpu_s, 2),
      ])));
    lines.push('(regret@max_t: median best value at max_t within the fixed budget minus the global minimum; random+FIFO: after its first N trials)');
    const goal = s.rows.filter((x) => x.method !== 'random+fifo').map((x) => `${x.method} ${x.ratio_to_random !== null && x.ratio_to_random <= 1 / 3 ? 'yes' : 'NO'}`);
    lines.push(`goal, <= 1/3 of random's iterations to the target at max_t: ${goal.join('; ')}`);
    for (const x of s.rows) {
      const ended = x.runs.filter((u) => u.ended && u.ended !== 'searcher finished');
      const an = [...new Set(x.runs.flatMap((u) => u.anomalies))];
      if (ended.length) lines.push(`  ${x.method}: ${ended.length} run(s) ended early: ${ended[0].ended}`);
      if (an.length) lines.push(`  ${x.method}: contract anomalies: ${an.join('; ')}`);
    }
  }
  lines.push('');
  lines.push(`machine: ${String(r.machine.cpu)}, ${String(r.machine.cores)} cores, node ${String(r.machine.node)}; load ${JSON.stringify(r.machine.loadavg_start)} -> ${JSON.stringify(r.machine.loadavg_end)}; ${r.wall_s.toFixed(0)} s`);
  return lines.join('\n');
}

await runStandalone(import.meta.url, RESULTS, measureSearchQuality, formatSearchQuality);
