/**
 * How long a built-in trial waits for its training data and what holding it costs. Each sample is a fresh
 * node process (the compiled dist/, as trials run it), in three modes:
 *   json  the cache dir cannot be written, so the packages' JSON/text is parsed: what every trial did before
 *         the cache existed, and still does on a read-only home;
 *   cold  an empty cache dir: parse, convert and write the cache (the first trial after an install);
 *   warm  the cache is there (every later trial).
 * Loader rows: from process start to the data being ready, in wall time (performance.now()) and in the
 * process's CPU time (process.cpuUsage(): what other processes on a shared machine distort least), the
 * load call's own CPU time, and the peak RSS (process.resourceUsage().maxRSS) once the data is ready.
 * Trial rows: the real mnist-mlp worker (1 step, 1 evaluation) from spawn to its first protocol message,
 * its CPU time then (/proc/<pid>/stat, 10 ms ticks) and its VmHWM at that moment. Modes take turns within
 * each round, so a burst of load from other processes falls on all of them.
 *
 *   node --import tsx bench/data-load.ts [--quick]     (build first: npm run build)
 *
 * prints a table and writes bench/results/data-load.json; bench/run.ts calls benchDataLoad.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineBasics, runStandalone } from './standalone.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'data-load.json');
const DIST = join(ROOT, 'dist', 'src');

type Mode = 'json' | 'cold' | 'warm';
const MODES: readonly Mode[] = ['json', 'cold', 'warm'];
type Dataset = 'mnist' | 'names';

interface LoaderSample {
  readyMs: number;
  readyCpuMs: number;
  loadCpuMs: number;
  peakRssMiB: number;
}
interface TrialSample {
  firstMessageMs: number;
  cpuMs: number;
  peakRssMiB: number;
}
interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
interface LoaderStats {
  readyMs: Stat;
  readyCpuMs: Stat;
  loadCpuMs: Stat;
  peakRssMiB: Stat;
}
export interface DataLoadResult {
  machine: Record<string, unknown>;
  rounds: number;
  /** A process that imports the loaders and loads nothing: node + module start-up. */
  bare: LoaderStats;
  loader: Record<Dataset, Record<Mode, LoaderStats>>;
  mnistTrial: Record<Mode, { firstMessageMs: Stat; cpuMs: Stat; peakRssMiB: Stat }>;
}

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), n: s.length };
}
const round = (v: number) => Math.round(v * 10) / 10;

/** A child that loads one dataset (or none) and prints when it was ready and its peak RSS. */
function loaderScript(dataset: Dataset | null): string {
  const url = (m: string) => JSON.stringify(pathToFileURL(join(DIST, 'train', 'data', `${m}.js`)).href);
  const call = dataset === 'mnist' ? 'm.loadMnist()' : dataset === 'names' ? 'n.loadNames(16)' : '0';
  return `import * as m from ${url('mnist')};
import * as n from ${url('names')};
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const c0 = cpuMs();
${call};
const c1 = cpuMs();
const t1 = performance.now();
process.stdout.write(JSON.stringify({ readyMs: t1, readyCpuMs: c1, loadCpuMs: c1 - c0, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));`;
}

function runLoader(dataset: Dataset | null, cacheDir: string): Promise<LoaderSample> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', loaderScript(dataset)], {
      env: { ...process.env, TUNE_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code) => (code === 0 ? res(JSON.parse(out) as LoaderSample) : rej(new Error(`loader child exited ${code}: ${err}`))));
  });
}

function vmHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a live process, in ms (Linux clock ticks are 10 ms almost everywhere). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The mnist-mlp worker as tune starts it, stopped (stdin closed) once it has sent its first message. */
function runTrial(work: string, cacheDir: string): Promise<TrialSample> {
  const trialDir = mkdtempSync(join(work, 'trial-'));
  const config = join(trialDir, 'config.json');
  writeFileSync(config, JSON.stringify({ hidden: 64, depth: 1, batch_size: 32 }));
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(DIST, 'trial', 'trainer-worker.js'), 'mnist-mlp'], {
      env: {
        ...process.env, TMPDIR: trialDir, TUNE_CACHE_DIR: cacheDir, TUNE_TRIAL_DIR: trialDir, TUNE_CONFIG: config,
        TUNE_PAUSE_FILE: join(trialDir, 'pause.signal'), TUNE_CHECKPOINT: '', TUNE_SEED: '1', TUNE_TRIAL_ID: 'bench',
        TUNE_MAX_ITERS: '1', TUNE_EVAL_INTERVAL: '1', TUNE_CHECKPOINT_EVERY: '1000000',
      },
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    });
    let sample: TrialSample | null = null;
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    (child.stdio[3] as NodeJS.ReadableStream).once('data', () => {
      sample = { firstMessageMs: performance.now() - t0, cpuMs: cpuMsOf(child.pid as number), peakRssMiB: vmHwmMiB(child.pid as number) };
      child.stdin!.end();
    });
    child.on('close', (code, signal) => (sample ? res(sample) : rej(new Error(`trial exited ${code ?? signal} before its first message: ${err}`))));
  });
}

export async function measureDataLoad(opts: { quick: boolean; log: (line: string) => void }): Promise<DataLoadResult> {
  if (!existsSync(join(DIST, 'train', 'data', 'mnist.js'))) throw new Error('dist/ is missing: run npm run build first');
  const rounds = opts.quick ? 2 : 5;
  const machine = machineBasics();
  const work = mkdtempSync(join(tmpdir(), 'tune-bench-data-'));
  try {
    // A regular file where the cache dir's parent should be: the cache cannot be written, even by root.
    writeFileSync(join(work, 'not-a-dir'), '');
    const unwritable = join(work, 'not-a-dir', 'cache');
    const loader = { mnist: { json: [], cold: [], warm: [] }, names: { json: [], cold: [], warm: [] } } as Record<Dataset, Record<Mode, LoaderSample[]>>;
    const trial = { json: [], cold: [], warm: [] } as Record<Mode, TrialSample[]>;
    const bare: LoaderSample[] = [];
    await runLoader('mnist', unwritable); // warm the file cache for node and the packages; not counted
    for (let r = 0; r < rounds; r++) {
      opts.log(`data load: round ${r + 1} of ${rounds}`);
      bare.push(await runLoader(null, unwritable));
      for (const dataset of ['mnist', 'names'] as const) {
        const dir = join(work, `cache-${dataset}-${r}`);
        mkdirSync(dir);
        for (const mode of MODES) loader[dataset][mode].push(await runLoader(dataset, mode === 'json' ? unwritable : dir));
      }
      const dir = join(work, `cache-trial-${r}`);
      mkdirSync(dir);
      for (const mode of MODES) trial[mode].push(await runTrial(work, mode === 'json' ? unwritable : dir));
    }
    const loaderStats = (xs: LoaderSample[]): LoaderStats => ({
      readyMs: stat(xs.map((s) => s.readyMs)), readyCpuMs: stat(xs.map((s) => s.readyCpuMs)), loadCpuMs: stat(xs.map((s) => s.loadCpuMs)), peakRssMiB: stat(xs.map((s) => s.peakRssMiB)),
    });
    const per = <T, U>(f: (m: Mode) => T, g: (t: T) => U) => Object.fromEntries(MODES.map((m) => [m, g(f(m))])) as Record<Mode, U>;
    return {
      machine,
      rounds,
      bare: loaderStats(bare),
      loader: { mnist: per((m) => loader.mnist[m], loaderStats), names: per((m) => loader.names[m], loaderStats) },
      mnistTrial: per((m) => trial[m], (xs) => ({ firstMessageMs: stat(xs.map((s) => s.firstMessageMs)), cpuMs: stat(xs.map((s) => s.cpuMs)), peakRssMiB: stat(xs.map((s) => s.peakRssMiB)) })),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function formatDataLoad(r: DataLoadResult): string {
  const f = (s: Stat) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const rows: string[][] = [[`data load, median (min–max) of ${r.rounds}`, 'wall ms to ready', 'CPU ms to ready', 'CPU ms in load', 'peak RSS MiB']];
  const loaderRow = (label: string, s: LoaderStats, load: boolean) => [label, f(s.readyMs), f(s.readyCpuMs), load ? f(s.loadCpuMs) : '-', f(s.peakRssMiB)];
  rows.push(loaderRow('bare process (imports only)', r.bare, false));
  for (const d of ['mnist', 'names'] as const) for (const m of MODES) rows.push(loaderRow(`${d}, ${m}`, r.loader[d][m], true));
  for (const m of MODES) {
    const t = r.mnistTrial[m];
    rows.push([`mnist-mlp trial, ${m}: to 1st message`, f(t.firstMessageMs), f(t.cpuMs), '-', f(t.peakRssMiB)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** What bench/run.ts calls: measure, write bench/results/data-load.json, print the table. */
export async function benchDataLoad(opts: { quick: boolean; log: (line: string) => void }): Promise<void> {
  const result = await measureDataLoad(opts);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n${formatDataLoad(result)}\nwrote ${RESULTS}\n`);
}

await runStandalone(import.meta.url, RESULTS, measureDataLoad, formatDataLoad);
