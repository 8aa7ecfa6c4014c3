import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, writeFileSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/util/package-root.js';

/** The repository: where package.json is, whether this file runs compiled (dist/test/…) or as TypeScript. */
export const ROOT = packageRoot(import.meta.url);
/** The real bin, started the way a user starts it (never through npx: npm's warnings would mix in). */
export const TUNE_BIN = join(ROOT, 'bin', 'tune');

export interface TuneResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const made = new Set<string>();
// Every test file runs in its own process: what it made in /tmp goes when that process ends, pass or fail.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder in the system's temporary directory, removed when the test process exits. */
export function tmpDir(prefix = 'tune-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.add(d);
  return d;
}

/** Starts `tune` with args in cwd; the handle lets a test signal it mid-run. */
let trustStore: string | null = null;
/** The trust store of this test process's tune runs (tune remembers trusted sessions per user). */
export function testTrustDir(): string {
  trustStore ??= tmpDir('tune-trust-');
  return trustStore;
}

let dataCache: string | null = null;
/** The data cache of this test process's trials (the built-in trainer keeps converted datasets there). */
export function testCacheDir(): string {
  dataCache ??= tmpDir('tune-cache-');
  return dataCache;
}

export function startTune(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; result: Promise<TuneResult>; stdoutSoFar: () => string } {
  // Tests never write into the user's own ~/.config/tune or ~/.cache/tune.
  const child = spawn(TUNE_BIN, args, { cwd, env: { ...process.env, TUNE_TRUST_DIR: testTrustDir(), TUNE_CACHE_DIR: testCacheDir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const result = new Promise<TuneResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, result, stdoutSoFar: () => stdout };
}

export function runTune(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<TuneResult> {
  return startTune(args, cwd, env).result;
}

/** The resume command is the last line a pause prints (DESIGN §7). */
export function resumeLine(stdout: string): string {
  const lines = stdout.trimEnd().split('\n');
  return lines[lines.length - 1];
}

/** The session directory named by a resume line. */
export function sessionDirFrom(stdout: string, cwd: string): string {
  const m = /--resume-session (\S+)$/.exec(resumeLine(stdout));
  if (!m) throw new Error(`no resume command in:\n${stdout}`);
  return resolve(cwd, m[1].replace(/^'|'$/g, ''));
}

/** The one session a spec named `name` created under `cwd`/sessions (a test makes one per folder). */
export function onlySession(cwd: string, name: string): string {
  const root = join(cwd, 'sessions', name);
  const dirs = readdirSync(root);
  if (dirs.length !== 1) throw new Error(`expected one session in ${root}, found ${dirs.length}`);
  return join(root, dirs[0]);
}

export function writeSpec(dir: string, spec: unknown, name = 'spec.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return file;
}

/**
 * A trial program written for one test: `body` runs after `const rt = new TrialRuntime()` (tune's compiled
 * client) with `join` and the named node:fs functions imported. Returns the file's path.
 */
export function writeClientTrial(dir: string, name: string, fsNames: string[], body: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, [
    `import { ${fsNames.join(', ')} } from 'node:fs';`,
    "import { join } from 'node:path';",
    `import { TrialRuntime } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', 'trial', 'runtime.js')).href)};`,
    'const rt = new TrialRuntime();',
    ...body,
  ].join('\n'));
  return file;
}

/** Path → sha256 of every file under dir: compare before and after to prove nothing changed. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/**
 * `tune results DIR --json`, run in this process: the same command and code as the bin, without starting a
 * Node process (tests read results about a hundred times). The bin's own `results --json` is tested
 * through the real binary in results.test.ts.
 */
export async function resultsJson(sessionDir: string, cwd: string): Promise<ResultsDoc> {
  const { resultsCommand } = await import('../../src/cli/commands/results.js');
  const out: string[] = [];
  const err: string[] = [];
  const code = resultsCommand({ dir: sessionDir, json: true }, {
    cwd, out: (l) => out.push(l), err: (l) => err.push(l), scriptPath: TUNE_BIN, env: process.env, handleSignals: false, stdoutIsTTY: false, stdinIsTTY: false,
  });
  if (code !== 0) throw new Error(`tune results failed: ${err.join('\n')}`);
  return JSON.parse(out.join('\n')) as ResultsDoc;
}

export interface ResultsDoc {
  session: string;
  status: string;
  metric: string;
  mode: string;
  best: { trial: string; value: number; iteration: number; config: Record<string, unknown> } | null;
  trials: { id: string; status: string; config: Record<string, unknown>; iteration: number; last: Record<string, number> | null; best: number | null; failures: number; rung?: string }[];
}

/** A seeded random source for tests, so a failing run can be repeated from the seed it prints. */
export function testRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until it holds; a deadline, not a measure: past it the test fails, saying what it waited for. */
export async function waitFor(pred: () => boolean, what: string, ms = 20000, pollMs = 20): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * Counts the reports a session's journal holds, reading only what was appended since the last call:
 * the interruption tests poll it every few milliseconds, and reading the whole journal each time cost
 * them more CPU than tune itself. A journal that shrank (cut back to its last whole line) is read again.
 */
export function reportCounter(): (journal: string | null) => number {
  const MARK = '"type":"report"';
  let file: string | null = null;
  let offset = 0;
  let count = 0;
  let tail = '';
  return (journal) => {
    if (journal !== file) [file, offset, count, tail] = [journal, 0, 0, ''];
    if (!journal) return 0;
    let size: number;
    try {
      size = statSync(journal).size;
    } catch {
      return count;
    }
    if (size < offset) [offset, count, tail] = [0, 0, ''];
    if (size === offset) return count;
    const fd = openSync(journal, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const got = readSync(fd, buf, 0, buf.length, offset);
      offset += got;
      // A mark split across two reads is found once: the unmatched end of the last read leads this one.
      const text = tail + buf.subarray(0, got).toString('latin1');
      count += text.split(MARK).length - 1;
      const last = text.lastIndexOf(MARK);
      tail = text.slice(Math.max(last < 0 ? 0 : last + MARK.length, text.length - MARK.length + 1));
    } finally {
      closeSync(fd);
    }
    return count;
  };
}

/**
 * A search of acc-trial (val_loss, val_acc and train_loss; a hidden size that widen_mlp grows at
 * `growWait` iterations) over x, hidden and weight_decay, written as spec.yaml with its grow.yaml in cwd.
 */
export function writeAccSearch(cwd: string, o: { name: string; delayMs: number; growWait: number; numTrials: number; maxIters: number; concurrency: number; desc?: string }): void {
  writeFileSync(join(cwd, 'grow.yaml'), `- name: widen_mlp\n  value: 16\n  max_wait_iters: ${o.growWait}\n${o.desc ? `  desc: ${o.desc}\n` : ''}`);
  writeSpec(cwd, {
    name: o.name,
    trial: { command: ['node', join(ROOT, 'test', 'fixtures', 'acc-trial.mjs')], params: { delay_ms: o.delayMs }, schedule: 'grow.yaml' },
    search_space: { x: { type: 'uniform', low: 0, high: 1 }, hidden: { type: 'choice', values: [16, 32] }, weight_decay: { type: 'loguniform', low: 0.001, high: 0.1 } },
    num_trials: o.numTrials,
    max_iters: o.maxIters,
    eval_interval: 100,
    concurrency: o.concurrency,
  });
}
