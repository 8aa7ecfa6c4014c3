import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PROTOCOL_LINE_BYTES, ProtocolLineReader } from '../../src/orchestrator/launcher.js';
import { onlySession, resultsJson, runTune, sleep, startTune, tmpDir, writeSpec } from '../helpers/tune.js';

// The protocol pipe (fd 3) as a hostile or clumsy trial uses it: a flood without newlines must cost tune
// a bounded amount of memory and fail that trial with an error naming the limit; a message written byte by
// byte, or thousands of them written at once, must read exactly as sent.

/** A trial written against the raw protocol, as in any language; what it does is its config's `mode`. */
const TRIAL = String.raw`
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const { mode } = JSON.parse(readFileSync(process.env.TUNE_CONFIG, 'utf8'));
writeFileSync(process.env.TUNE_TRIAL_DIR + '/pid', String(process.pid));
const write = (bytes) => {
  let off = 0;
  while (off < bytes.length) off += writeSync(3, bytes, off);
};
// Decisions arrive one line per report; at the end of stdin tune is gone, and a trial exits at once.
const decisions = [];
const waiting = [];
const rl = createInterface({ input: process.stdin });
rl.on('line', (l) => (waiting.length ? waiting.shift()(l) : decisions.push(l)));
rl.on('close', () => process.exit(75));
const decision = () => (decisions.length ? Promise.resolve(decisions.shift()) : new Promise((r) => waiting.push(r)));
/** Writes every byte on its own, a pause between them, so tune gets them in as many reads. */
const byteByByte = async (text) => {
  for (const b of Buffer.from(text, 'utf8')) {
    write(Buffer.of(b));
    await new Promise((r) => setTimeout(r, 1));
  }
};

if (mode === 'flood') {
  // 64 MB and no newline, then silence: only the protocol's limit can end this trial.
  const block = Buffer.alloc(1 << 20, 'x');
  for (let i = 0; i < 64; i++) write(block);
  setInterval(() => {}, 1 << 30);
} else if (mode === 'bytes') {
  // "\r\n" line ends, a blank line, and characters of two and four bytes in a metric name.
  await byteByByte('{"type":"report","iteration":1,"metrics":{"val_loss":0.25,"größe📉":1.5}}\r\n');
  const d = await decision();
  writeFileSync(process.env.TUNE_TRIAL_DIR + '/decision', d);
  await byteByByte('\r\n{"type":"done","iteration":1}\r\n');
  process.exit(0);
} else if (mode === 'many') {
  const n = Number(process.env.TUNE_MAX_ITERS);
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(JSON.stringify({ type: 'report', iteration: i, metrics: { val_loss: 1 / i } }));
  lines.push(JSON.stringify({ type: 'done', iteration: n }));
  // All at once: lines cross the boundaries of the pipe's chunks wherever they fall.
  write(Buffer.from(lines.join('\n') + '\n'));
  process.exit(0);
}
`;

function setUp(mode: string, maxIters: number): string {
  const cwd = tmpDir();
  writeFileSync(join(cwd, 'trial.mjs'), TRIAL);
  writeSpec(cwd, {
    name: mode,
    trial: { command: [process.execPath, join(cwd, 'trial.mjs')], params: { mode } },
    search_space: {},
    searcher: 'grid',
    max_iters: maxIters,
    eval_interval: 1,
    concurrency: 1,
    max_failures: 0,
    sessions_root: 'sessions',
  });
  return cwd;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of trial 0000 of the one session named `name`, as the trial wrote it, or null before it did. */
function trialPid(cwd: string, name: string): number | null {
  if (!existsSync(join(cwd, 'sessions', name))) return null;
  const file = join(onlySession(cwd, name), 'trials', '0000', 'pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8')) : null;
}

/** The peak resident memory of a running process, in kB (its VmHWM), or null once it is gone. */
function peakKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

test('a trial that writes 64 MB to fd 3 without a newline fails at once on the line limit, and tune stays small', async () => {
  const cwd = setUp('flood', 10);
  const run = startTune([join(cwd, 'spec.yaml')], cwd);
  const pid = run.child.pid!;
  let peak = 0;
  let ended = false;
  const result = run.result.finally(() => (ended = true));
  // Without a limit tune took minutes over this (and grew by the size of the flood): a deadline, not a
  // measure, so the test fails instead of hanging.
  const deadline = Date.now() + 15_000;
  while (!ended && Date.now() < deadline) {
    const kb = peakKb(pid);
    if (kb !== null) peak = Math.max(peak, kb);
    await sleep(10);
  }
  if (!ended) {
    run.child.kill('SIGKILL');
    const trial = trialPid(cwd, 'flood');
    if (trial !== null && alive(trial)) process.kill(trial, 'SIGKILL');
    await result;
    assert.fail(`tune was still reading the flood after 15 s (peak ${Math.round(peak / 1024)} MB)`);
  }
  const r = await result;
  assert.ok(peak > 0, 'read tune\'s VmHWM at least once');
  assert.ok(peak < 300 * 1024, `tune's peak memory was ${Math.round(peak / 1024)} MB`);
  // Its only trial used up its failures (max_failures 0) before any trial reported: the program is taken as
  // unable to run, said once; the session halts (exit 1) resumable, the trial not blamed.
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^tune: trial 0000 failed once before any trial of the session reported \(protocol error: .*line longer than the protocol's limit of 1 MiB \(1048576 bytes\)/);
  const dir = onlySession(cwd, 'flood');
  const doc = await resultsJson(dir, cwd);
  assert.equal(doc.status, 'paused');
  assert.equal(doc.trials[0].status, 'paused');
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.equal(events.filter((e) => e.type === 'trial_failed').length, 0);
  // The trial was killed, not left sleeping.
  const trial = trialPid(cwd, 'flood');
  assert.ok(trial !== null && !alive(trial), 'the trial is gone');
});

test('a message written one byte at a time, with "\\r\\n" line ends and multi-byte characters, reads as sent', async () => {
  const cwd = setUp('bytes', 1);
  const r = await runTune([join(cwd, 'spec.yaml')], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'bytes');
  assert.equal(readFileSync(join(dir, 'trials', '0000', 'decision'), 'utf8'), '{"decision":"continue"}');
  assert.equal(readFileSync(join(dir, 'trials', '0000', 'metrics.jsonl'), 'utf8'), '{"iteration":1,"val_loss":0.25,"größe📉":1.5}\n');
  const doc = await resultsJson(dir, cwd);
  assert.equal(doc.trials[0].status, 'completed');
  assert.deepStrictEqual(doc.trials[0].last, { val_loss: 0.25, 'größe📉': 1.5 });
});

test('20,000 reports written at once are each read, in order, and the trial completes', async () => {
  const n = 20_000;
  const cwd = setUp('many', n);
  const r = await runTune([join(cwd, 'spec.yaml')], cwd);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const dir = onlySession(cwd, 'many');
  const lines = readFileSync(join(dir, 'trials', '0000', 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, n);
  lines.forEach((l, k) => assert.equal(l, JSON.stringify({ iteration: k + 1, val_loss: 1 / (k + 1) })));
  const doc = await resultsJson(dir, cwd);
  assert.equal(doc.trials[0].status, 'completed');
  assert.equal(doc.trials[0].iteration, n);
});

test('the line reader: the limit to the byte, a line end after an over-long line, and nothing of it kept', () => {
  const lines: string[] = [];
  let tooLong = 0;
  const reader = new ProtocolLineReader((l) => lines.push(l), () => tooLong++, 8);
  reader.push(Buffer.from('12345678\n12345678\r\n123456789'));
  assert.deepStrictEqual([lines, tooLong], [['12345678', '12345678'], 1]);
  reader.push(Buffer.from('more\n\n{"ok":1}\n'));
  assert.deepStrictEqual([lines, tooLong], [['12345678', '12345678', '{"ok":1}'], 1]);
  // Every way of cutting a line of multi-byte characters and a "\r\n" in two reads the same.
  const text = Buffer.from('{"größe📉":1}\r\n');
  for (let cut = 0; cut <= text.length; cut++) {
    const got: string[] = [];
    const r = new ProtocolLineReader((l) => got.push(l), () => assert.fail('not too long'));
    r.push(text.subarray(0, cut));
    r.push(text.subarray(cut));
    assert.deepStrictEqual(got, ['{"größe📉":1}'], `cut at byte ${cut}`);
  }
  // A trial that goes on writing past the limit: 256 MB in 1 MiB chunks, none of it kept (the reader holds
  // references only to the unfinished line, so what it holds is what it keeps).
  const flood = new ProtocolLineReader(() => assert.fail('no line'), () => tooLong++);
  let most = 0;
  for (let i = 0; i < 256; i++) {
    flood.push(Buffer.alloc(MAX_PROTOCOL_LINE_BYTES / 2, 'x'));
    most = Math.max(most, flood.held);
  }
  assert.ok(most <= MAX_PROTOCOL_LINE_BYTES, `held ${most} bytes, above the limit`);
  assert.equal(flood.held, 0, 'past the limit nothing is kept');
  assert.equal(tooLong, 2);
});
