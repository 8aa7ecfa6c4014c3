/**
 * `tune export`: a built-in trial's trained model (its final checkpoint) as a forward-only ONNX model that
 * ONNX Runtime loads and that gives the trainer's own validation logits; and every bad input refused with
 * one line, exit 2, nothing written, the session untouched.
 */
import '../helpers/private-tmp.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadMnist } from '../../src/train/data/mnist.js';
import { loadNames } from '../../src/train/data/names.js';
import { Trainer } from '../../src/train/index.js';
import { onlySession, resultsJson, ROOT, runTune, tmpDir, treeHashes, writeSpec, type TuneResult } from '../helpers/tune.js';

interface Made {
  cwd: string;
  dir: string;
}

type Ckpt = { iteration: number; path: string; sha256: string };
/** The checkpoint export reads: that of the trial's best report when tune kept it, else its newest. */
const modelOf = (t: SessionJson['trials'][number]): Ckpt => (t.bestCheckpoint ?? t.checkpoint)!;
type SessionJson = {
  spec: { max_iters: number };
  trials: { id: string; status: string; iteration: number; checkpoint: Ckpt | null; previous?: unknown; bestCheckpoint?: Ckpt | null }[];
};

const readState = (dir: string) => JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8')) as SessionJson;

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= make());
}

/** `tune train` of a small MLP; checkpoint_every 2 with 3 boundaries, so the last one is not a periodic checkpoint. */
const digits = once(async (): Promise<Made> => {
  const cwd = tmpDir('tune-export-');
  writeSpec(cwd, { name: 'digits', trial: { builtin: 'mnist-mlp', params: { batch_size: 16 }, checkpoint_every: 2 }, max_iters: 30, eval_interval: 10 });
  const r = await runTune(['train', 'spec.yaml', '--set', 'hidden=16'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { cwd, dir: onlySession(cwd, 'digits') };
});

/** A two-trial search over a tiny character GPT. */
const names = once(async (): Promise<Made> => {
  const cwd = tmpDir('tune-export-');
  writeSpec(cwd, {
    name: 'names',
    trial: { builtin: 'names-gpt', params: { embd: 16, heads: 2, layers: 1, batch_size: 8 } },
    search_space: { lr: { type: 'choice', values: [0.003, 0.01] } },
    searcher: 'grid',
    num_trials: 2,
    max_iters: 20,
    eval_interval: 10,
    concurrency: 1,
    seed: 5,
  });
  const r = await runTune(['spec.yaml'], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { cwd, dir: onlySession(cwd, 'names') };
});

/** The journal says the final checkpoint, then the end: the trained model is recorded before the trial is over. */
function assertFinalCheckpointJournalled(dir: string, id: string, maxIters: number): string {
  const t = readState(dir).trials.find((x) => x.id === id)!;
  assert.equal(t.status, 'completed');
  assert.equal(t.checkpoint?.iteration, maxIters, `trial ${id}: the recorded checkpoint is the final one`);
  const file = join(dir, 'trials', id, t.checkpoint.path);
  assert.ok(existsSync(file), 'the final checkpoint is kept on disk');
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string; checkpoint?: { iteration: number } });
  const saved = events.findIndex((e) => e.type === 'checkpoint' && e.id === id && e.checkpoint!.iteration === maxIters);
  const ended = events.findIndex((e) => e.type === 'trial_completed' && e.id === id);
  assert.ok(saved >= 0 && saved < ended, `trial ${id}: checkpoint ${maxIters} journalled (event ${saved}) before trial_completed (event ${ended})`);
  return file;
}

/** The validation set as the exported model's input, and the batch size the trainer evaluates it with (tasks/*.ts). */
function validationInput(kind: 'mlp' | 'gpt'): { input: ort.Tensor; evalBatch: number } {
  if (kind === 'mlp') {
    const { val } = loadMnist();
    return { input: new ort.Tensor('float32', val.x, [val.n, 784]), evalBatch: 500 };
  }
  const { val } = loadNames(16);
  return { input: new ort.Tensor('int64', val.x, [val.n, 16]), evalBatch: 256 };
}

/** Runs the model file on `input` in batches of `batch` rows (the last one shorter); the logits, concatenated. */
async function runOnnx(file: string, name: string, input: ort.Tensor, batch: number, options: ort.InferenceSession.SessionOptions): Promise<{ dims: readonly number[]; type: string; data: Float32Array }> {
  const session = await ort.InferenceSession.create(file, options);
  try {
    const rows = input.dims[0];
    const per = input.size / rows;
    const parts: ort.Tensor[] = [];
    for (let start = 0; start < rows; start += batch) {
      const n = Math.min(batch, rows - start);
      const data = (input.data as Float32Array | BigInt64Array).subarray(start * per, (start + n) * per);
      parts.push((await session.run({ [name]: new ort.Tensor(input.type, data, [n, ...input.dims.slice(1)]) })).logits);
    }
    const data = new Float32Array(parts.reduce((k, p) => k + p.size, 0));
    let off = 0;
    for (const p of parts) {
      data.set(p.data as Float32Array, off);
      off += p.size;
    }
    return { dims: [rows, ...parts[0].dims.slice(1)], type: parts[0].type, data };
  } finally {
    await session.release();
  }
}

/**
 * The exported model against the trainer restored from the same checkpoint: bit for bit when ONNX Runtime
 * computes it the way the trainer evaluates (its batch size; constant Gemm weights not prepacked, which
 * sums in another order), within float rounding and with the same predictions as users load it.
 */
async function assertSamePredictions(checkpoint: string, onnxFile: string, kind: 'mlp' | 'gpt', lastReported: Record<string, number>, shape: number[]): Promise<void> {
  const { trainer } = Trainer.restore(checkpoint);
  const expected = await trainer.validationLogits();
  // The final checkpoint is the state after the last iteration: it evaluates to what the trial last reported.
  const evaluation = await trainer.evaluate();
  await trainer.release();
  for (const [k, v] of Object.entries(evaluation)) assert.equal(v, lastReported[k], `${k} of the final checkpoint`);

  const { input, evalBatch } = validationInput(kind);
  const inputName = kind === 'mlp' ? 'image' : 'tokens';
  const exact = await runOnnx(onnxFile, inputName, input, evalBatch, { extra: { session: { disable_prepacking: '1' } } });
  assert.deepEqual(exact.dims, shape);
  assert.equal(exact.type, 'float32');
  assert.ok(Buffer.from(exact.data.buffer).equals(Buffer.from(expected.buffer)), 'bit for bit the trainer\'s logits');

  // As users load it: default options, the whole validation set as one batch.
  const usual = (await runOnnx(onnxFile, inputName, input, input.dims[0], {})).data;
  const classes = shape[shape.length - 1];
  let worst = 0;
  for (let i = 0; i < usual.length; i++) worst = Math.max(worst, Math.abs(usual[i] - expected[i]));
  assert.ok(worst < 1e-4, `default session options: logits within float rounding (max difference ${worst})`);
  for (let row = 0; row < usual.length / classes; row++) {
    assert.equal(argmax(usual, row, classes), argmax(expected, row, classes), `row ${row}: the same prediction`);
  }
}

function argmax(a: Float32Array, row: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[row * n + j] > a[row * n + best]) best = j;
  return best;
}

test('mnist-mlp: tune train keeps and journals the final checkpoint, and tune export writes it as an ONNX model with the trainer\'s predictions', async () => {
  const { cwd, dir } = await digits();
  const checkpoint = assertFinalCheckpointJournalled(dir, '0000', 30);
  const before = treeHashes(dir);
  const r = await runTune(['export', dir, '--onnx', 'digits.onnx'], cwd); // neither flag: the best trial
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trial 0000 \(the best by val_loss: [\d.]+ at iteration \d+\) of session_\S+, mnist-mlp, iteration 30 \(its final checkpoint\)/);
  assert.match(r.stdout, /input +image float32 \[N,784\] +a 28x28 digit/);
  assert.match(r.stdout, /output +logits float32 \[N,10\] /);
  assert.deepEqual(treeHashes(dir), before, 'export never writes into the session');
  const doc = await resultsJson(dir, cwd);
  await assertSamePredictions(checkpoint, join(cwd, 'digits.onnx'), 'mlp', doc.trials[0].last!, [1500, 10]);
});

test('names-gpt: every trial of a search keeps its final checkpoint; --trial exports one, tokens in, logits per position out', async () => {
  const { cwd, dir } = await names();
  assertFinalCheckpointJournalled(dir, '0000', 20);
  const checkpoint = assertFinalCheckpointJournalled(dir, '0001', 20);
  const before = treeHashes(dir);
  const r = await runTune(['export', dir, '--trial', '1', '--onnx', 'names.onnx'], cwd);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trial 0001 of session_\S+, names-gpt, iteration 20 \(its final checkpoint\)/);
  assert.match(r.stdout, /input +tokens int64 \[N,16\] +character ids, id = position in the vocabulary "\.-abcdefghijklmnopqrstuvwxyz"/);
  assert.match(r.stdout, /output +logits float32 \[N,16,28\] /);
  assert.deepEqual(treeHashes(dir), before, 'export never writes into the session');
  const doc = await resultsJson(dir, cwd);
  await assertSamePredictions(checkpoint, join(cwd, 'names.onnx'), 'gpt', doc.trials[1].last!, [loadNames(16).val.n, 16, 28]);
});

test('an existing --onnx file is replaced (atomically), as export tools do', async () => {
  const { dir } = await digits();
  const cwd = tmpDir('tune-export-');
  writeFileSync(join(cwd, 'model.onnx'), 'an older model');
  const r = await runTune(['export', dir, '--best', '--onnx', 'model.onnx'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const session = await ort.InferenceSession.create(join(cwd, 'model.onnx'));
  assert.deepEqual([session.inputNames, session.outputNames], [['image'], ['logits']]);
  await session.release();
});

/** The contract of a refusal: exit 2, one `tune: ` line, no output file, the session unchanged. */
function assertRefused(r: TuneResult, pattern: RegExp, out: string, session: string | null, before: Record<string, string> | null): void {
  assert.equal(r.code, 2, `exit 2 expected, got ${r.code}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], /^tune: /);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
  assert.ok(!existsSync(out), 'nothing written');
  if (session) assert.deepEqual(treeHashes(session), before, 'the session is untouched');
}

/** A copy of the digits session, changed by `edit`, for one refusal. */
async function editedCopy(edit: (dir: string, state: SessionJson) => void): Promise<string> {
  const { dir } = await digits();
  const copy = join(tmpDir('tune-export-bad-'), 'session');
  cpSync(dir, copy, { recursive: true });
  const state = readState(copy);
  edit(copy, state);
  writeFileSync(join(copy, 'session.json'), JSON.stringify(state));
  return copy;
}

test('bad input: one line each, exit 2, nothing written, the session untouched', async () => {
  const { dir } = await digits();
  const cwd = tmpDir('tune-export-out-');
  const out = join(cwd, 'model.onnx');
  const refuse = async (args: string[], pattern: RegExp, session: string | null) => {
    const before = session ? treeHashes(session) : null;
    assertRefused(await runTune(['export', ...args], cwd), pattern, out, session, before);
  };

  await refuse([cwd, '--onnx', out], /not a tune session \(session\.json is missing\)/, null);
  await refuse([dir, '--trial', '7', '--onnx', out], /--trial 7: session \S+ has no trial 0007; its trials are 0000$/, dir);
  await refuse([dir, '--trial', 'best', '--onnx', out], /--trial is "best", but must be a trial id like 0003/, dir);
  await refuse([dir, '--trial', '0', '--best', '--onnx', out], /--trial and --best both choose the trial/, dir);
  await refuse([dir], /tune export needs --onnx FILE/, dir);
  await refuse([dir, '--onnx', join(cwd, 'no-such-folder', 'model.onnx')], /the folder \S+no-such-folder does not exist/, dir);
  await refuse([dir, '--onnx', cwd], /is a folder; give a file name/, dir);
  // Export never writes into a session, not even into a trial's folder.
  await refuse([dir, '--onnx', join(dir, 'trials', '0000', 'model.onnx')], /is inside the session .*; export never writes into a session/, dir);
  assert.ok(!existsSync(join(dir, 'trials', '0000', 'model.onnx')));

  const noCheckpoint = await editedCopy((_, s) => {
    s.trials[0].checkpoint = null;
    s.trials[0].previous = null;
    s.trials[0].bestCheckpoint = null;
  });
  await refuse([noCheckpoint, '--onnx', out], /trial 0000 has no checkpoint \(it is completed at iteration 30\)/, noCheckpoint);

  const corrupt = await editedCopy((d, s) => {
    const file = join(d, 'trials', '0000', modelOf(s.trials[0]).path);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(file, bytes);
  });
  await refuse([corrupt, '--onnx', out], /checkpoint of trial 0000 \(iteration 30\) is corrupt .*; nothing was exported/, corrupt);

  // A session from someone else must not make export read outside it: the checkpoint a link out of it.
  const outside = tmpDir('tune-export-outside-');
  const linked = await editedCopy((d, s) => {
    const file = join(d, 'trials', '0000', modelOf(s.trials[0]).path);
    cpSync(file, join(outside, 'ckpt'));
    rmSync(file);
    symlinkSync(join(outside, 'ckpt'), file);
  });
  await refuse([linked, '--onnx', out], /leads out of the session through a symbolic link/, linked);

  const command = await editedCopy((_, s) => {
    (s.spec as unknown as { trial: Record<string, unknown> }).trial = { ...(s.spec as unknown as { trial: Record<string, unknown> }).trial, builtin: undefined, command: ['python3', 'train.py'] };
  });
  await refuse([command, '--onnx', out], /trial 0000 is a command trial \(python3 train\.py\): tune export writes the built-in models/, command);

  const spirals = await editedCopy((_, s) => {
    (s.spec as unknown as { trial: { builtin: string } }).trial.builtin = 'spirals-mlp';
  });
  await refuse([spirals, '--onnx', out], /trial 0000 is a spirals-mlp trial, whose hand-written MLP has no ONNX graph yet/, spirals);
});

test('the help names the export command and its flags', async () => {
  const r = await runTune(['--help'], ROOT);
  assert.match(r.stdout, /tune export DIR \[--trial ID \| --best\] --onnx FILE/);
});
