/**
 * A trial that ends keeps its trained model: at max_iters, or when a scheduler stops it, it saves a final
 * checkpoint (the state after its last iteration) and announces it before `done`, so tune journals it and
 * pruning keeps it. The built-in workers are driven here through the protocol itself, as tune drives them,
 * to show what they send and that a restart from a final checkpoint ends where the trial ended.
 */
import '../helpers/private-tmp.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { onlySession, ROOT, runTune, tmpDir, writeSpec } from '../helpers/tune.js';

type Message = { type: string; iteration: number; metrics?: Record<string, number | null>; path?: string };

const WORKERS = {
  'names-gpt': { argv: [join(ROOT, 'dist', 'src', 'trial', 'trainer-worker.js'), 'names-gpt'], config: { embd: 16, heads: 2, layers: 1, batch_size: 8 } },
  'spirals-mlp': { argv: [join(ROOT, 'dist', 'src', 'trial', 'spirals-worker.js')], config: { hidden: 8 } },
};

/**
 * Runs a worker as tune would (fd 3 out, decisions on stdin), answering each report with `decide`; returns
 * every message it sent and its exit code.
 */
function drive(argv: string[], env: Record<string, string>, decide: (iteration: number) => string): Promise<{ messages: Message[]; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
  const messages: Message[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const m = JSON.parse(buffered.slice(0, nl)) as Message;
      buffered = buffered.slice(nl + 1);
      messages.push(m);
      if (m.type === 'report') child.stdin!.write(JSON.stringify({ decision: decide(m.iteration) }) + '\n');
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ messages, code, stderr })));
}

/** A trial folder and the environment tune gives a trial (DESIGN §4). */
function trialEnv(config: object, checkpointEvery: number): { dir: string; env: (checkpoint: string) => Record<string, string> } {
  const root = tmpDir('tune-final-');
  const dir = join(root, 'trial');
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  return {
    dir,
    env: (checkpoint) => ({
      TUNE_TRIAL_DIR: dir, TUNE_CONFIG: join(root, 'config.json'), TUNE_PAUSE_FILE: join(root, 'pause.signal'), TUNE_CHECKPOINT: checkpoint,
      TUNE_SEED: '3', TUNE_TRIAL_ID: '0000', TUNE_MAX_ITERS: '40', TUNE_EVAL_INTERVAL: '10', TUNE_CHECKPOINT_EVERY: String(checkpointEvery), TMPDIR: root,
    }),
  };
}

const steps = (messages: Message[]) => messages.map((m) => `${m.type} ${m.iteration}`);
/** Checkpoint paths are relative to the trial folder, or absolute. */
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

for (const [name, worker] of Object.entries(WORKERS)) {
  test(`${name} worker: a stop saves and announces the final checkpoint before done; restarted from it, the trial ends there again`, async () => {
    const t = trialEnv(worker.config, 1);
    const first = await drive(worker.argv, t.env(''), (it) => (it >= 20 ? 'stop' : 'continue'));
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(steps(first.messages), ['report 10', 'checkpoint 10', 'report 20', 'checkpoint 20', 'done 20']);
    const final = first.messages[3].path!;
    const bytes = sha(resolve(t.dir, final));

    // tune died after journalling the final checkpoint, before the done: the restarted trial says its last
    // report again, exactly, gets the stop it already had, and ends at the same place with the same bytes.
    const again = await drive(worker.argv, t.env(final), () => 'stop');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(steps(again.messages), ['report 20', 'checkpoint 20', 'done 20']);
    assert.deepEqual(again.messages[0].metrics, first.messages[2].metrics);
    assert.equal(sha(resolve(t.dir, again.messages[1].path!)), bytes);
  });

  test(`${name} worker: at max_iters the final checkpoint is saved even when checkpoint_every skips that boundary`, async () => {
    const t = trialEnv(worker.config, 3);
    const run = await drive(worker.argv, t.env(''), () => 'continue');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(steps(run.messages), ['report 10', 'report 20', 'report 30', 'checkpoint 30', 'report 40', 'checkpoint 40', 'done 40']);
    // Restarted from it (tune died before the done), the trial says its last report again and ends.
    const again = await drive(worker.argv, t.env(run.messages[5].path!), () => 'continue');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(steps(again.messages), ['report 40', 'checkpoint 40', 'done 40']);
    assert.deepEqual(again.messages[0].metrics, run.messages[4].metrics);
  });
}

test('a command trial using the TypeScript boundary helper: completed and stopped trials both keep their final checkpoints, journalled before they end', async () => {
  const cwd = tmpDir('tune-final-');
  writeSpec(cwd, {
    name: 'helper',
    trial: { command: [process.execPath, join(ROOT, 'test', 'fixtures', 'boundary-trial.mjs')], checkpoint_every: 3 },
    // The first trial is best at every rung; the second is stopped at the first rung, the third at the second.
    search_space: { x: { type: 'choice', values: [0.1, 0.9, 0.5] } },
    searcher: 'grid',
    scheduler: { type: 'asha', variant: 'stopping', grace_period: 10, reduction_factor: 2, max_t: 40 },
    num_trials: 3,
    max_iters: 40,
    eval_interval: 10,
    concurrency: 1,
  });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'helper');
  const state = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as { trials: { id: string; status: string; iteration: number; checkpoint: { iteration: number; path: string } | null }[] };
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string; checkpoint?: { iteration: number } });
  assert.deepEqual(state.trials.map((t) => [t.id, t.status, t.iteration]), [['0000', 'completed', 40], ['0001', 'stopped', 10], ['0002', 'stopped', 20]]);
  for (const t of state.trials) {
    assert.equal(t.checkpoint?.iteration, t.iteration, `trial ${t.id}: its recorded checkpoint is where it ended`);
    const file = join(dir, 'trials', t.id, t.checkpoint.path);
    assert.ok(existsSync(file), `trial ${t.id}: the final checkpoint is kept`);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { iteration: number }).iteration, t.iteration);
    const saved = events.findIndex((e) => e.type === 'checkpoint' && e.id === t.id && e.checkpoint!.iteration === t.iteration);
    const ended = events.findIndex((e) => (e.type === 'trial_completed' || e.type === 'trial_stopped') && e.id === t.id);
    assert.ok(saved >= 0 && saved < ended, `trial ${t.id}: checkpoint journalled before the trial ended`);
  }
});
