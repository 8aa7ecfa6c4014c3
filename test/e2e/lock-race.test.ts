import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SessionLockedError } from '../../src/errors.js';
import { acquireLock, processStartTime } from '../../src/session/lock.js';
import { ROOT, sleep as sleepMs, tmpDir } from '../helpers/tune.js';

// The contenders are separate processes running the compiled lock (npm test builds dist/ first).
const LOCK_URL = pathToFileURL(join(ROOT, 'dist', 'src', 'session', 'lock.js')).href;

/**
 * One contender for every round (a process start costs more than the race): prints `ready`, then for each
 * line naming a round's lock, session and wins file tries the lock once; a winner records itself and holds
 * on until told to release, and every contender says when its round is over for it.
 */
const CONTENDER = `
import { acquireLock } from ${JSON.stringify(LOCK_URL)};
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\\n');
for (;;) {
  const next = await lines.next();
  if (next.done) break;
  const [lockPath, sessionDir, winsFile] = JSON.parse(next.value);
  let lock;
  try {
    lock = acquireLock(lockPath, sessionDir);
  } catch (e) {
    if (e?.name !== 'SessionLockedError') throw e;
    process.stdout.write(JSON.stringify({ refused: e.message }) + '\\n');
    continue;
  }
  const token = JSON.parse(readFileSync(lockPath, 'utf8')).token;
  appendFileSync(winsFile, JSON.stringify({ pid: process.pid, token, tookOver: lock.tookOver }) + '\\n');
  process.stdout.write(JSON.stringify({ won: true }) + '\\n');
  await lines.next();
  lock.release();
  process.stdout.write('released\\n');
}
`;

/** Takes and releases the lock over and over until the stop file appears. */
const CHURNER = `
import { acquireLock } from ${JSON.stringify(LOCK_URL)};
import { existsSync } from 'node:fs';
const [lockPath, sessionDir, stopFile] = process.argv.slice(1);
let won = 0;
for (let i = 0; i < 1e6 && !existsSync(stopFile); i++) {
  try {
    acquireLock(lockPath, sessionDir).release();
    won++;
  } catch (e) {
    if (e?.name !== 'SessionLockedError') throw e;
  }
}
process.stdout.write(JSON.stringify({ won }) + '\\n');
`;

/** Reads the lock as fast as it can until it has found it there `wanted` times, and tells what it found. */
const READER = `
import { readFileSync, writeFileSync } from 'node:fs';
const [lockPath, stopFile, wanted] = process.argv.slice(1);
let found = 0;
let complete = 0;
const bad = [];
for (let i = 0; i < 5e7 && found < Number(wanted); i++) {
  let raw;
  try { raw = readFileSync(lockPath, 'utf8'); } catch { continue; }
  found++;
  let r = null;
  try { r = JSON.parse(raw); } catch { /* counted below */ }
  const ok = r && typeof r.pid === 'number' && typeof r.host === 'string' && 'started' in r &&
    typeof r.since === 'string' && typeof r.token === 'string' && raw.endsWith('\\n');
  if (ok) complete++;
  else if (bad.length < 20) bad.push(raw);
}
writeFileSync(stopFile, '');
process.stdout.write(JSON.stringify({ complete, bad }) + '\\n');
`;

interface Child {
  proc: ChildProcess;
  /** The next line it prints. */
  line(): Promise<string>;
  exited: Promise<void>;
}

const running = new Set<ChildProcess>();
// A failed assertion must not leave a winner waiting for its release (nor keep this test process alive).
afterEach(() => {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
});

function startScript(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  let buf = '';
  let stderr = '';
  const queued: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(l);
      else queued.push(l);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((res, rej) =>
    proc.on('close', (code, signal) => (code === 0 ? res() : rej(new Error(`child exited ${code ?? signal}:\n${stderr}`)))),
  );
  exited.catch(() => { /* reported where awaited */ });
  return {
    proc,
    exited,
    line: () => {
      const q = queued.shift();
      if (q !== undefined) return Promise.resolve(q);
      // A child that dies before printing fails the wait with its stderr.
      return Promise.race([new Promise<string>((res) => waiting.push(res)), exited.then(() => { throw new Error(`child exited early:\n${stderr}`); })]);
    },
  };
}

let gonePid: number | undefined;
/** The pid of a process that has already exited (one for the whole file: a process start is the cost here). */
function deadPid(): number {
  gonePid ??= Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  return gonePid;
}

/** The name lock.ts gives the claim on a stale lock file's contents (its protocol step 2). */
function claimPathFor(file: string): string {
  const st = statSync(file);
  const id = createHash('sha256').update(`${st.dev}:${st.ino}:${readFileSync(file, 'utf8')}`).digest('hex').slice(0, 16);
  return `${file}.takeover-${id}`;
}

function deadRecord(token: boolean): string {
  const rec: Record<string, unknown> = { pid: deadPid(), host: hostname(), started: '1', since: 'then' };
  if (token) rec.token = 'dead0000';
  return JSON.stringify(rec) + '\n';
}

test('8 processes race for a stale lock: exactly one takes it in each of 20 rounds, and its release removes it', { timeout: 120_000 }, async () => {
  const ROUNDS = 20;
  const N = 8;
  const kids = Array.from({ length: N }, () => startScript(CONTENDER, []));
  for (const k of kids) assert.equal(await k.line(), 'ready');
  for (let round = 0; round < ROUNDS; round++) {
    const dir = tmpDir('tune-lock-race-');
    const lockPath = join(dir, 'lock');
    const winsFile = join(dir, 'wins.jsonl');
    // A crashed driver's lock, old-style (no token) or new-style; every fourth round also a takeover
    // whose claimant crashed before finishing it.
    writeFileSync(lockPath, deadRecord(round % 2 === 1));
    if (round % 4 === 3) writeFileSync(claimPathFor(lockPath), deadRecord(true));

    // The same order every round would favour the first contender told: rotate it.
    const order = kids.map((_, i) => kids[(i + round) % N]);
    for (const k of order) k.proc.stdin!.write(JSON.stringify([lockPath, dir, winsFile]) + '\n');
    const outcomes = await Promise.all(kids.map(async (k) => JSON.parse(await k.line()) as { won?: true; refused?: string }));

    const winners = kids.filter((_, i) => outcomes[i].won);
    const wins = readFileSync(winsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; token: string; tookOver: string | null });
    assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners: ${JSON.stringify(outcomes)}`);
    assert.equal(wins.length, 1, `round ${round}: ${JSON.stringify(wins)}`);
    assert.equal(wins[0].pid, winners[0].proc.pid);
    assert.match(wins[0].tookOver ?? '', /^a stale lock \(process \d+ is gone\)$/);
    // Every loser was refused in the usual words, naming the winner when it named anyone.
    for (const o of outcomes.filter((o) => o.refused !== undefined)) {
      assert.match(o.refused!, new RegExp(`being driven by tune process ${wins[0].pid} on |another tune process took the session's lock at the same moment`));
    }
    // The losers left the winner's lock alone.
    assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).token, wins[0].token);

    winners[0].proc.stdin!.write('release\n');
    assert.equal(await winners[0].line(), 'released');
    assert.equal(existsSync(lockPath), false, `round ${round}: the lock outlived its release`);
    // No temporary records or takeover claims are left behind either.
    assert.deepEqual(readdirSync(dir), ['wins.jsonl']);
  }
  for (const k of kids) k.proc.stdin!.end();
  await Promise.all(kids.map((k) => k.exited));
});

test('a reader never sees a lock file without a complete owner record', { timeout: 120_000 }, async () => {
  const dir = tmpDir('tune-lock-read-');
  const lockPath = join(dir, 'lock');
  const stopFile = join(dir, 'stop');
  const reader = startScript(READER, [lockPath, stopFile, '3000']);
  const churners = Array.from({ length: 3 }, () => startScript(CHURNER, [lockPath, dir, stopFile]));
  const seen = JSON.parse(await reader.line()) as { complete: number; bad: string[] };
  await Promise.all([reader.exited, ...churners.map((c) => c.exited)]);
  assert.deepEqual(seen.bad, []);
  assert.equal(seen.complete, 3000);
  assert.equal(existsSync(lockPath), false);
});

test('release by a process that no longer owns the lock leaves the new owner\'s lock alone', () => {
  const dir = tmpDir('tune-lock-owner-');
  const path = join(dir, 'lock');
  const first = acquireLock(path, dir);
  // Another owner's record replaces ours (as a takeover would, had we been judged gone).
  const other = JSON.stringify({ pid: process.pid, host: hostname(), started: processStartTime(process.pid), since: 'now', token: 'someone-else' }) + '\n';
  writeFileSync(join(dir, 'other'), other);
  renameSync(join(dir, 'other'), path);
  first.release();
  assert.equal(readFileSync(path, 'utf8'), other);
  // A refused contender removes nothing either: the live owner's lock stays as it was.
  assert.throws(() => acquireLock(path, dir), (e: unknown) => e instanceof SessionLockedError && /being driven by tune process \d+/.test((e as Error).message));
  assert.equal(readFileSync(path, 'utf8'), other);
  assert.deepEqual(readdirSync(dir), ['lock']);
});

test('a takeover whose claimant crashed midway is taken over in turn', () => {
  const dir = tmpDir('tune-lock-claim-');
  const path = join(dir, 'lock');
  writeFileSync(path, deadRecord(true));
  const claim = claimPathFor(path);
  writeFileSync(claim, deadRecord(true)); // the claimant died before replacing the lock
  writeFileSync(claimPathFor(claim), deadRecord(true)); // and so did the one that took its claim over
  const lock = acquireLock(path, dir);
  assert.match(lock.tookOver ?? '', /^a stale lock \(process \d+ is gone\)$/);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
  assert.deepEqual(readdirSync(dir), ['lock']);
  lock.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a lock whose owner is a zombie (killed, not yet reaped by its parent) is stale and taken over', async () => {
  const dir = tmpDir('tune-lock-zombie-');
  const path = join(dir, 'lock');
  // sh starts the owner in the background and becomes `sleep`, which never waits for it: once the owner
  // exits it stays a zombie, still answering signal 0, until sleep ends.
  const parent = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e 'process.stdout.write(String(process.pid))' & exec sleep 30`], { stdio: ['ignore', 'pipe', 'ignore'] });
  running.add(parent);
  const pid = await new Promise<number>((res) => parent.stdout!.once('data', (c: Buffer) => res(Number(c.toString()))));
  let state = '';
  for (let i = 0; i < 200 && state !== 'Z'; i++, await sleepMs(10)) state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
  assert.equal(state, 'Z', 'the owner became a zombie');
  process.kill(pid, 0); // signal 0 still reaches it: that alone would call the owner alive
  writeFileSync(path, JSON.stringify({ pid, host: hostname(), started: processStartTime(pid), since: 'then', token: 'zombie' }) + '\n');
  const lock = acquireLock(path, dir);
  assert.equal(lock.tookOver, `a stale lock (process ${pid} is gone)`);
  lock.release();
  parent.kill('SIGKILL');
});
