import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROTOCOL_LINE_PREFIX } from '../../src/trial/protocol.js';
import { ROOT, tmpDir } from '../helpers/tune.js';

// Both trial clients, run as a launcher runs them (not through tune): with TUNE_PROTOCOL_CARRIER=stdout, or
// with nothing said and no fd 3, their protocol lines go to stdout behind the prefix, in order with the
// trial's own prints; with fd3 they go to fd 3 and stdout holds the prints alone.

const P = PROTOCOL_LINE_PREFIX;
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const noPython = spawnSync(PYTHON, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)']).status === 0 ? false : 'python3 (3.9+) is not available for the Python client';

const TS_TRIAL = `
import { TrialRuntime } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', 'trial', 'runtime.js')).href)};
const rt = new TrialRuntime();
process.stdout.write('before');
const d = await rt.report(1, { val_loss: 0.5 });
process.stdout.write(' after ' + d + '\\n');
rt.done(1);
`;

const PY_TRIAL = `
import tune_trial
t = tune_trial.Trial()
print("before", end="")
d = t.report(1, {"val_loss": 0.5})
print(" after", d)
t.done(1)
`;

/** Runs a client trial, answering its report with `continue`; returns what it wrote to stdout and to fd 3. */
function runClient(argv: string[], carrier: string | null, withFd3: boolean): Promise<{ code: number | null; stdout: string; fd3: string; stderr: string }> {
  const dir = tmpDir();
  writeFileSync(join(dir, 'config.json'), '{}');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: join(ROOT, 'src', 'trial', 'python'),
    TUNE_TRIAL_DIR: dir, TUNE_CONFIG: join(dir, 'config.json'), TUNE_PAUSE_FILE: join(dir, 'pause.signal'),
    TUNE_CHECKPOINT: '', TUNE_SEED: '1', TUNE_MAX_ITERS: '1', TUNE_EVAL_INTERVAL: '1',
  };
  delete env.TUNE_PROTOCOL_CARRIER;
  if (carrier !== null) env.TUNE_PROTOCOL_CARRIER = carrier;
  const child = spawn(argv[0], argv.slice(1), { cwd: dir, env, stdio: withFd3 ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let fd3 = '';
  let stderr = '';
  let answered = false;
  const answer = (all: string) => {
    if (!answered && /"type": ?"report"/.test(all)) {
      answered = true;
      child.stdin!.write('{"decision":"continue"}\n');
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => answer((stdout += c)));
  if (withFd3) (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (c: string) => answer((fd3 += c)));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, fd3, stderr })));
}

function tsArgv(): string[] {
  const file = join(tmpDir(), 'trial.mjs');
  writeFileSync(file, TS_TRIAL);
  return [process.execPath, file];
}

function pyArgv(): string[] {
  const file = join(tmpDir(), 'trial.py');
  writeFileSync(file, PY_TRIAL);
  return [PYTHON, file];
}

const TS_EXPECTED = `before${P}{"type":"report","iteration":1,"metrics":{"val_loss":0.5}}\n after continue\n${P}{"type":"done","iteration":1}\n`;
// Python's json.dumps puts a space after ":" and ","; tune reads either.
const PY_EXPECTED = `before${P}{"type": "report", "iteration": 1, "metrics": {"val_loss": 0.5}}\n after continue\n${P}{"type": "done", "iteration": 1}\n`;

test('TypeScript client: TUNE_PROTOCOL_CARRIER=stdout puts prefixed protocol lines on stdout, in order with the trial\'s prints', async () => {
  const r = await runClient(tsArgv(), 'stdout', true);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, TS_EXPECTED);
  assert.equal(r.fd3, '', 'nothing on fd 3, though it is open');
});

test('TypeScript client: nothing said and no fd 3 means stdout; fd3 means fd 3, stdout left to the trial', async () => {
  const unset = await runClient(tsArgv(), null, false);
  assert.equal(unset.code, 0, unset.stderr);
  assert.equal(unset.stdout, TS_EXPECTED);
  const fd3 = await runClient(tsArgv(), 'fd3', true);
  assert.equal(fd3.code, 0, fd3.stderr);
  assert.equal(fd3.stdout, 'before after continue\n');
  assert.equal(fd3.fd3, '{"type":"report","iteration":1,"metrics":{"val_loss":0.5}}\n{"type":"done","iteration":1}\n');
  const wrong = await runClient(tsArgv(), 'fd4', true);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /TUNE_PROTOCOL_CARRIER is "fd4", but must be fd3 or stdout/);
});

test('Python client: the same carriers, its buffered prints flushed before each protocol line', { skip: noPython }, async () => {
  const out = await runClient(pyArgv(), 'stdout', true);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, PY_EXPECTED);
  assert.equal(out.fd3, '');
  const unset = await runClient(pyArgv(), null, false);
  assert.equal(unset.code, 0, unset.stderr);
  assert.equal(unset.stdout, PY_EXPECTED);
  const fd3 = await runClient(pyArgv(), 'fd3', true);
  assert.equal(fd3.code, 0, fd3.stderr);
  assert.equal(fd3.stdout, 'before after continue\n');
  assert.equal(fd3.fd3, '{"type": "report", "iteration": 1, "metrics": {"val_loss": 0.5}}\n{"type": "done", "iteration": 1}\n');
});
