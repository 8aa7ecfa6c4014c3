/**
 * What recording a session costs at 1,000 trials (LESSONS: Ray Tune spent 232 s of a 352 s run in
 * json.dump of its experiment state). tune appends one journal line per change and snapshots the whole
 * state only every couple of seconds; the baseline, measured side by side in the same process, rewrites
 * the whole state file atomically on every change, as a tool without a journal must to be crash-safe.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SESSION_SCHEMA, type SessionState } from '../src/session/state.js';
import { SessionStore } from '../src/session/store.js';
import { validateSpec } from '../src/spec/validate.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';

export interface SessionStoreResult {
  trials: number;
  reports: number;
  /** Mean cost of one recorded report, journal + periodic snapshots (µs). */
  journalUsPerReport: number;
  /** Mean cost of one recorded report when the whole state is rewritten each time (µs). */
  rewriteUsPerReport: number;
  ratio: number;
  snapshotBytes: number;
  /** One full snapshot (session.json + summary) at this size (ms). */
  snapshotMs: number;
}

function stateWith(trials: number): SessionState {
  const spec = validateSpec({ search_space: { lr: { type: 'loguniform', low: 1e-4, high: 1 }, hidden: { type: 'choice', values: [64, 128] } }, num_trials: trials }, 'bench', new Map(), 'bench');
  return {
    schema: SESSION_SCHEMA, id: 'bench', experiment: 'bench', createdAt: new Date().toISOString(), status: 'running', spec, specRaw: null,
    specFile: null, specHash: '', baseDir: tmpdir(), searcher: { type: 'random', state: { rng: [1, 2, 3, 4], suggested: 0 }, finished: false },
    scheduler: { type: 'fifo', state: {} }, schedules: {}, trials: [], seq: 0,
  };
}

function fill(store: SessionStore, trials: number): void {
  for (let i = 0; i < trials; i++) {
    const id = String(i).padStart(4, '0');
    store.append({ type: 'trial_created', id, index: i, config: { lr: 0.001 * (i + 1), hidden: 64 }, seed: i, searcher: { rng: [1, 2, 3, 4], suggested: i + 1 } });
    for (let it = 1; it <= 20; it++) store.append({ type: 'report', id, iteration: it * 10, metrics: { val_loss: 1 / it + i * 1e-6, val_acc: 0.5 + it / 100 }, decision: 'continue' });
  }
}

export function measureSessionStore(trials = 1000, reports = 2000): SessionStoreResult {
  const root = mkdtempSync(join(tmpdir(), 'tune-bench-store-'));
  try {
    const dir = join(root, 'journal');
    mkdirSync(dir);
    const store = SessionStore.create(dir, stateWith(trials));
    fill(store, trials);
    const ids = store.state.trials.map((t) => t.id);
    let t0 = performance.now();
    for (let k = 0; k < reports; k++) {
      store.append({ type: 'report', id: ids[k % ids.length], iteration: 300 + k, metrics: { val_loss: 0.1 + k * 1e-9, val_acc: 0.9 }, decision: 'continue' });
    }
    const journalUs = ((performance.now() - t0) * 1000) / reports;

    t0 = performance.now();
    store.snapshot();
    const snapshotMs = performance.now() - t0;
    const text = JSON.stringify(store.state, null, 1);

    // The baseline: the same reports, each followed by an atomic rewrite of the whole state.
    const baseline = join(root, 'rewrite.json');
    const n = Math.min(reports, 200); // each costs a full rewrite: fewer suffice for a stable mean
    t0 = performance.now();
    for (let k = 0; k < n; k++) {
      const t = store.state.trials[k % ids.length];
      t.iteration += 1;
      writeFileAtomic(baseline, JSON.stringify(store.state, null, 1) + '\n');
    }
    const rewriteUs = ((performance.now() - t0) * 1000) / n;
    store.close();
    return { trials, reports, journalUsPerReport: journalUs, rewriteUsPerReport: rewriteUs, ratio: rewriteUs / journalUs, snapshotBytes: Buffer.byteLength(text), snapshotMs };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('session-store.ts')) {
  console.log(measureSessionStore());
}
