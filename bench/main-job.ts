/**
 * The main job, old against new (`node --import tsx bench/main-job.ts [--quick] [--seeds N]`; needs a built dist/):
 * (A) the old main job: the default spec with `searcher: random`, FIFO, 8 trials; (B) the new one: `tune`
 * with no spec (TPE multivariate + ASHA, 16 trials, grace 600); (C) BOHB: B with `searcher: bohb` under Hyperband
 * (grace 200, η 3). Run alternately A B C A B C on this machine. Per run: wall and CPU seconds (tune and
 * its trials), configurations tried, best val_loss, iterations trained (delivered reports × eval_interval)
 * and iterations until a delivered report reached the target, run A's final best in the same round.
 * Writes bench/results/main-job.json and prints a table. It measures; it asserts nothing. `--seeds N`: N
 * rounds, round r with every spec's seed r - 1 (B then from a spec file), so the medians say how the methods
 * compare over initial weights and draws, not one seed's luck; without it, 2 rounds of seed 0 (timing only).
 *
 * CPU: tune runs under `sh -c`, which writes its own /proc/<sh>/stat after tune exits; cutime+cstime there
 * is tune and every trial it reaped (tune waits for its trials), before sh reaps that `cat`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runStandalone } from './standalone.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TUNE_BIN = join(ROOT, 'bin', 'tune'); // the real bin, never through npx or npm
const RESULTS = join(ROOT, 'bench', 'results', 'main-job.json');
const HANG_GUARD_MS = 30 * 60_000; // a guard against a hung run, not a timing assertion
type Method = 'A' | 'B' | 'C';
const LABEL: Record<Method, string> = { A: 'A old: random, FIFO, 8', B: 'B new: TPE-mv + ASHA, 16', C: 'C BOHB + Hyperband, 16' };
type Ev = { type: string; id?: string; iteration?: number; t: number; metrics?: Record<string, number>; delivered?: true };

export interface MainJobRun {
  round: number; method: Method; wall_s: number; cpu_s: number | null; exit_code: number | null;
  configs: number; statuses: Record<string, number>; at_max_iters: number;
  best_val_loss: number | null; best_trial: string | null; best_val_acc: number | null;
  iterations_total: number; target: number | null; iterations_to_target: number | null; wall_to_target_s: number | null;
  others_cpu_pct: number | null; loadavg_start: number[]; loadavg_end: number[]; error?: string;
}
export interface MethodSummary { method: Method; label: string; wall_s: number; cpu_s: number | null; configs: number; at_max_iters: number; best_val_loss: number | null; best_val_acc: number | null; iterations_total: number; iterations_to_target: number | null; reached: string }
export interface MainJobResult {
  quick: boolean; comparable: boolean; note: string; rounds: number; method: Record<string, string>;
  specs: Record<Method, unknown>; runs: MainJobRun[]; summary: MethodSummary[];
  ratios: { round: number; B_A: Record<string, number | null>; C_A: Record<string, number | null> }[];
  ratio_medians: { B_A: Record<string, number | null>; C_A: Record<string, number | null> };
  machine: Record<string, unknown>; wall_s: number;
}

const la = () => loadavg().map((x) => Math.round(x * 100) / 100);
const r3 = (x: number) => Math.round(x * 1000) / 1000;
/** Median with null as "never" (+inf); null back out if the median is never. */
function median(xs: (number | null)[]): number | null {
  if (xs.length === 0) return null;
  const s = xs.map((x) => x ?? Infinity).sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return Number.isFinite(m) ? m : null;
}
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
function machineTicks(): { idle: number; total: number } {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: v[3] + (v[4] ?? 0), total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
}
let clkTck = 100;
try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { /* 100 */ }

/** Starts tune under sh, waits for it; wall, exit code, CPU ticks of everything sh reaped (tune + trials). */
function runTune(args: string[], cwd: string, statFile: string): Promise<{ wall_s: number; code: number | null; cpu_ticks: number | null; tail: string }> {
  const t0 = Date.now();
  const child = spawn('sh', ['-c', '"$0" "$@"; rc=$?; cat /proc/$$/stat > "$MJ_STAT"; exit $rc', TUNE_BIN, ...args],
    { cwd, env: { ...process.env, NO_COLOR: '1', MJ_STAT: statFile }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let tail = '';
  const keep = (c: Buffer) => { tail = (tail + c.toString('utf8')).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const guard = setTimeout(() => { try { process.kill(-child.pid!, 'SIGINT'); setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 200); } catch { /* gone */ } }, HANG_GUARD_MS);
  return new Promise((res) => child.on('close', (code) => {
    clearTimeout(guard);
    let cpu_ticks: number | null = null;
    try {
      const f = readFileSync(statFile, 'utf8');
      const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
      cpu_ticks = Number(x[13]) + Number(x[14]); // cutime cstime (fields 16, 17)
    } catch { /* sh did not get that far */ }
    res({ wall_s: (Date.now() - t0) / 1000, code, cpu_ticks, tail });
  }));
}

async function oneRun(round: number, method: Method, spec: Record<string, unknown> | null, target: number | null, log: (s: string) => void): Promise<MainJobRun> {
  const dir = mkdtempSync(join(tmpdir(), `tune-main-job-${method}-`));
  try {
    const root = join(dir, 'sessions');
    const args = ['--sessions-root', root];
    if (spec) {
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...spec, sessions_root: root }, null, 2));
      args.unshift(join(dir, 'spec.json'));
    }
    const loadavg_start = la();
    const m0 = machineTicks();
    const run = await runTune(args, dir, join(dir, 'sh.stat'));
    const m1 = machineTicks();
    const busy = m1.total - m0.total - (m1.idle - m0.idle);
    const base: MainJobRun = {
      round, method, wall_s: r3(run.wall_s), cpu_s: run.cpu_ticks === null ? null : r3(run.cpu_ticks / clkTck), exit_code: run.code,
      configs: 0, statuses: {}, at_max_iters: 0, best_val_loss: null, best_trial: null, best_val_acc: null, iterations_total: 0,
      target, iterations_to_target: null, wall_to_target_s: null, loadavg_start, loadavg_end: la(),
      others_cpu_pct: run.cpu_ticks === null ? null : Math.max(0, Math.round(((busy - run.cpu_ticks) / Math.max(1, m1.total - m0.total)) * 100)),
    };
    const exp = join(root, String(spec?.name ?? 'mnist-mlp'));
    const sessions = readdirSync(exp).filter((d) => d.startsWith('session_'));
    if (sessions.length !== 1) return { ...base, error: `${sessions.length} sessions in ${exp}; tune said: ${run.tail}` };
    const sdir = join(exp, sessions[0]);
    const doc = JSON.parse(execFileSync(TUNE_BIN, ['results', sdir, '--json'], { encoding: 'utf8' })) as {
      best: { trial: string; value: number; iteration: number } | null; trials: { status: string; iteration: number }[];
    };
    const events = readFileSync(join(sdir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Ev);
    const evalInterval = Number((spec ?? (await defaultSpec())).eval_interval);
    const maxIters = Number((spec ?? (await defaultSpec())).max_iters);
    if (method === 'A') target = base.target = doc.best?.value ?? null; // A's target is its own final best
    let iters = 0;
    for (const e of events) {
      if (e.type !== 'report' || !e.delivered) continue;
      iters += evalInterval;
      const v = e.metrics?.val_loss;
      if (base.iterations_to_target === null && target !== null && v !== undefined && v <= target) {
        base.iterations_to_target = iters;
        base.wall_to_target_s = r3((e.t - events[0].t) / 1000);
      }
    }
    const bestReports = doc.best ? events.filter((e) => e.type === 'report' && e.id === doc.best!.trial && e.iteration === doc.best!.iteration) : [];
    const statuses: Record<string, number> = {};
    for (const t of doc.trials) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
    const out: MainJobRun = {
      ...base, configs: doc.trials.length, statuses, at_max_iters: doc.trials.filter((t) => t.iteration >= maxIters).length,
      best_val_loss: doc.best?.value ?? null, best_trial: doc.best?.trial ?? null, best_val_acc: bestReports.at(-1)?.metrics?.val_acc ?? null,
      iterations_total: iters, ...(run.code !== 0 ? { error: `exit ${run.code}: ${run.tail.slice(-800)}` } : {}),
    };
    log(`round ${round} ${method}: ${out.wall_s.toFixed(0)} s, cpu ${out.cpu_s} s, ${out.configs} configs, best ${out.best_val_loss?.toFixed(4)}, ${iters} iters, to target ${out.iterations_to_target}, load ${loadavg_start[0]}->${out.loadavg_end[0]}`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let dflt: Record<string, unknown> | null = null;
async function defaultSpec(): Promise<Record<string, unknown>> {
  dflt ??= ((await import(pathToFileURL(join(ROOT, 'dist', 'src', 'spec', 'default-spec.js')).href)) as { DEFAULT_SPEC: Record<string, unknown> }).DEFAULT_SPEC;
  return dflt;
}

export async function measureMainJob(opts: { quick: boolean; log: (s: string) => void; seeds?: number }): Promise<MainJobResult> {
  const t0 = Date.now();
  const machine: Record<string, unknown> = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadavg_start: la() };
  const { scheduler: _s, ...noScheduler } = await defaultSpec();
  const maxIters = opts.quick ? { max_iters: 600 } : {};
  const specs: Record<Method, Record<string, unknown> | null> = {
    A: { ...noScheduler, searcher: 'random', num_trials: 8, ...maxIters },
    B: opts.quick ? { ...(await defaultSpec()), ...maxIters } : null, // null: `tune` with no spec argument
    C: { ...(await defaultSpec()), searcher: { type: 'bohb' }, scheduler: { type: 'hyperband', grace_period: 200, reduction_factor: 3 }, ...maxIters },
  };
  const order: Method[] = opts.quick ? ['A', 'B'] : ['A', 'B', 'C'];
  const seeds = opts.seeds ?? null;
  const rounds = opts.quick ? 1 : seeds ?? 2;
  const runs: MainJobRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    let target: number | null = null;
    for (const m of order) {
      const spec = seeds === null ? specs[m] : { ...(specs[m] ?? (await defaultSpec())), seed: round - 1 };
      const r = await oneRun(round, m, spec, target, opts.log);
      if (m === 'A') target = r.best_val_loss;
      runs.push(r);
    }
  }
  const by = (m: Method) => runs.filter((r) => r.method === m);
  const summary: MethodSummary[] = order.map((m) => {
    const rs = by(m);
    const med = (f: (r: MainJobRun) => number | null) => median(rs.map(f));
    return {
      method: m, label: LABEL[m], wall_s: med((r) => r.wall_s)!, cpu_s: med((r) => r.cpu_s), configs: med((r) => r.configs)!, at_max_iters: med((r) => r.at_max_iters)!,
      best_val_loss: med((r) => r.best_val_loss), best_val_acc: med((r) => r.best_val_acc), iterations_total: med((r) => r.iterations_total)!,
      iterations_to_target: med((r) => r.iterations_to_target), reached: `${rs.filter((r) => r.iterations_to_target !== null).length}/${rs.length}`,
    };
  });
  const keys = ['wall_s', 'cpu_s', 'iterations_to_target', 'iterations_total', 'configs', 'best_val_loss'] as const;
  const pair = (x: MainJobRun | undefined, a: MainJobRun) => Object.fromEntries(keys.map((k) => [k, x ? ratio(x[k], a[k]) : null]));
  const ratios = by('A').map((a) => ({ round: a.round, B_A: pair(runs.find((r) => r.round === a.round && r.method === 'B'), a), C_A: pair(runs.find((r) => r.round === a.round && r.method === 'C'), a) }));
  const medOf = (w: 'B_A' | 'C_A') => Object.fromEntries(keys.map((k) => [k, median(ratios.map((x) => x[w][k]))]));
  return {
    quick: opts.quick, comparable: !opts.quick,
    note: opts.quick ? 'QUICK: 1 round of A and B at max_iters 600 (B from a spec file), no C: NOT comparable with the main job' : seeds !== null ? `${rounds} rounds, A B C alternating; round r runs every spec with seed r - 1 (B from a spec file: the default spec with that seed)` : `${rounds} rounds, A B C alternating; every spec keeps seed 0, so rounds differ only by timing (concurrency 2 makes the order of results vary)`,
    rounds, specs: { A: specs.A, B: specs.B ?? { default: '`tune --sessions-root DIR` with no spec', ...(await defaultSpec()) }, C: specs.C },
    method: {
      cpu: `tune under sh -c; cutime+cstime of sh (/proc/<sh>/stat after tune exits, CLK_TCK ${clkTck}) = tune + every trial it reaped`,
      iterations: 'sum over report events with delivered: true of eval_interval (repeats after restarts are not delivered, so excluded)',
      target: "run A's final best val_loss in the same round; iterations_to_target = iterations (as above) up to and including the first delivered report with val_loss <= target, walking events.jsonl in order; null = never",
      others_cpu_pct: "share of the whole machine (all cores × the run's wall time, /proc/stat) busy with something other than this run",
      medians: 'per method over rounds; null (never) counts as +inf; ratios are paired within a round, then the median of the ratios',
    },
    runs, summary, ratios, ratio_medians: { B_A: medOf('B_A'), C_A: medOf('C_A') },
    machine: { ...machine, loadavg_end: la() }, wall_s: r3((Date.now() - t0) / 1000),
  };
}

const f = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? '—' : x.toFixed(d));
function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
}

export function formatMainJob(r: MainJobResult): string {
  const L: string[] = [`Main job on ${String(r.machine.cores)} cores: ${r.note}`, ''];
  L.push(`medians over ${r.rounds} round(s); target = A's best val_loss in the same round`);
  L.push(...table(['method', 'configs', 'at max_iters', 'best val_loss', 'val_acc', 'iters', 'iters to target', 'reached', 'wall s', 'cpu s'],
    r.summary.map((s) => [s.label, f(s.configs), f(s.at_max_iters), f(s.best_val_loss, 4), s.best_val_acc === null ? '—' : `${(s.best_val_acc * 100).toFixed(2)}%`,
      f(s.iterations_total), s.iterations_to_target === null ? 'never' : f(s.iterations_to_target), s.reached, f(s.wall_s, 1), f(s.cpu_s, 1)])));
  L.push('', 'paired ratios to A (median over rounds; per round in brackets)');
  const rows = (['B_A', 'C_A'] as const).filter((w) => r.ratios.some((x) => Object.values(x[w]).some((v) => v !== null))).map((w) => [w.replace('_', '/'),
    ...(['wall_s', 'cpu_s', 'iterations_to_target', 'configs'] as const).map((k) => `${f(r.ratio_medians[w][k], 2)} [${r.ratios.map((x) => f(x[w][k], 2)).join(', ')}]`)]);
  L.push(...table(['ratio', 'wall', 'cpu', 'iters to target', 'configs'], rows));
  L.push('', 'runs');
  L.push(...table(['round', 'method', 'rc', 'wall s', 'cpu s', 'configs', 'statuses', 'best', 'target', 'iters', 'to target', 'other load', 'loadavg 1m'],
    r.runs.map((x) => [String(x.round), x.method, String(x.exit_code), f(x.wall_s, 1), f(x.cpu_s, 1), String(x.configs), Object.entries(x.statuses).map(([k, v]) => `${k} ${v}`).join(', '),
      f(x.best_val_loss, 4), f(x.target, 4), String(x.iterations_total), f(x.iterations_to_target), x.others_cpu_pct === null ? '—' : `${x.others_cpu_pct}%`, `${x.loadavg_start[0]}->${x.loadavg_end[0]}`])));
  for (const x of r.runs.filter((u) => u.error)) L.push(`round ${x.round} ${x.method}: ${x.error}`);
  const b = r.summary.find((s) => s.method === 'B'); const a = r.summary.find((s) => s.method === 'A');
  if (a && b && r.comparable) {
    L.push('', `goal: B tries more configs than A: ${b.configs > a.configs ? 'yes' : 'NO'}; B best <= A best: ${b.best_val_loss !== null && a.best_val_loss !== null && b.best_val_loss <= a.best_val_loss ? 'yes' : 'NO'}; ` +
      `wall B/A ${f(r.ratio_medians.B_A.wall_s, 2)}; iters to target <= 1/3 of A's: B ${(r.ratio_medians.B_A.iterations_to_target ?? Infinity) <= 1 / 3 ? 'yes' : 'NO'}, C ${(r.ratio_medians.C_A.iterations_to_target ?? Infinity) <= 1 / 3 ? 'yes' : 'NO'}`);
  }
  L.push(`machine: ${String(r.machine.cpu)}, node ${String(r.machine.node)}; load ${JSON.stringify(r.machine.loadavg_start)} -> ${JSON.stringify(r.machine.loadavg_end)}; ${r.wall_s.toFixed(0)} s; ${r.method.cpu}`);
  return L.join('\n');
}

const seedsArg = process.argv.indexOf('--seeds');
const seeds = seedsArg < 0 ? undefined : Number(process.argv[seedsArg + 1]);
await runStandalone(import.meta.url, RESULTS, (o) => measureMainJob({ ...o, seeds }), formatMainJob);
