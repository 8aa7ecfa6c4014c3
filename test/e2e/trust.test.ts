import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlySession, ROOT, resultsJson, runTune, sleep, startTune, tmpDir, treeHashes, writeSpec } from '../helpers/tune.js';

// A session may come from someone else (DESIGN §5.7): resuming it runs none of its code until this user
// says --trust, the way direnv and git's safe.directory work.

async function pausedCommandSession(): Promise<string> {
  const cwd = tmpDir();
  const spec = {
    name: 'theirs',
    trial: { command: ['node', join(ROOT, 'test', 'fixtures', 'curve-trial.mjs')] },
    search_space: { x: { type: 'uniform', low: 0, high: 1 } },
    num_trials: 3,
    max_iters: 400,
    eval_interval: 10,
    concurrency: 1,
  };
  const run = startTune([writeSpec(cwd, spec)], cwd);
  while (!run.stdoutSoFar().includes('] started')) await sleep(5);
  run.child.kill('SIGINT');
  const r = await run.result;
  assert.equal(r.code, 3, r.stderr);
  return onlySession(cwd, 'theirs');
}

function editSession(dir: string, edit: (s: Record<string, unknown>) => void): void {
  const file = join(dir, 'session.json');
  const s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(s);
  writeFileSync(file, JSON.stringify(s));
}

test('a crafted session from elsewhere runs no command: one line names it and --trust, exit 2, nothing changed', async () => {
  const original = await pausedCommandSession();
  const victim = tmpDir('tune-victim-');
  writeFileSync(join(victim, 'precious.txt'), 'keep me\n');
  const copy = join(tmpDir(), 'session_from_a_bug_report');
  cpSync(original, copy, { recursive: true });
  editSession(copy, (s) => {
    ((s.spec as Record<string, unknown>).trial as Record<string, unknown>).command = ['sh', '-c', `echo pwned > ${join(victim, 'pwned')}; rm -f ${join(victim, 'precious.txt')}`];
  });
  const beforeVictim = treeHashes(victim);
  const beforeSession = treeHashes(copy);
  const r = await runTune(['--resume-session', copy], tmpDir());
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tune: .*session_from_a_bug_report: this session runs "sh -c echo pwned > .*" in .*, and you did not create it here; read what it does, then resume with --trust to allow it$/);
  assert.deepStrictEqual(treeHashes(victim), beforeVictim, 'the victim folder is untouched');
  assert.ok(!existsSync(join(victim, 'pwned')));
  assert.deepStrictEqual(treeHashes(copy), beforeSession, 'the session is untouched');
});

test('a session this user created resumes as always; a copied one runs after --trust, and is then remembered', async () => {
  const original = await pausedCommandSession();
  const mine = await runTune(['--resume-session', original], tmpDir());
  assert.equal(mine.code, 0, mine.stderr);

  const again = await pausedCommandSession();
  const copy = join(tmpDir(), 'session_copied');
  cpSync(again, copy, { recursive: true });
  assert.equal((await runTune(['--resume-session', copy], tmpDir())).code, 2);
  const trusted = await runTune(['--resume-session', copy, '--trust'], tmpDir());
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.equal((await resultsJson(copy, tmpDir())).status, 'completed');
  // The same command in the same place is trusted from now on; the command changed, it is not.
  editSession(copy, (s) => { s.status = 'paused'; });
  editSession(copy, (s) => { ((s.spec as Record<string, unknown>).trial as Record<string, unknown>).command = ['node', '-e', '0']; });
  const changed = await runTune(['--resume-session', copy], tmpDir());
  assert.equal(changed.code, 2, changed.stdout);
  assert.match(changed.stderr, /--trust/);
});

test('a crafted checkpoint path (../ or a symbolic link out of the session) is refused before anything is read or run', async () => {
  const original = await pausedCommandSession();
  const outside = tmpDir('tune-victim-');
  writeFileSync(join(outside, 'secret'), 'not yours\n');
  const before = treeHashes(outside);

  const dotted = join(tmpDir(), 'session_dotted');
  cpSync(original, dotted, { recursive: true });
  editSession(dotted, (s) => {
    const t = (s.trials as Record<string, Record<string, unknown>>[])[0];
    t.checkpoint = { ...t.checkpoint, path: `../../../../../../../../..${join(outside, 'secret')}` };
  });
  const r1 = await runTune(['--resume-session', dotted, '--trust'], tmpDir());
  assert.equal(r1.code, 2, r1.stdout + r1.stderr);
  assert.match(r1.stderr, /trials\.0\.checkpoint\.path: is ".*secret", but must be a path inside the trial's folder/);
  assert.doesNotMatch(r1.stderr, /sha256/, 'no hash of an outside file is printed');

  const linked = join(tmpDir(), 'session_linked');
  cpSync(original, linked, { recursive: true });
  const state = JSON.parse(readFileSync(join(linked, 'session.json'), 'utf8')) as { trials: { id: string; checkpoint: { path: string } | null }[] };
  const t = state.trials.find((x) => x.checkpoint) as { id: string; checkpoint: { path: string } };
  const file = join(linked, 'trials', t.id, t.checkpoint.path);
  rmSync(file);
  symlinkSync(join(outside, 'secret'), file);
  const sessionBefore = treeHashes(linked);
  const r2 = await runTune(['--resume-session', linked, '--trust'], tmpDir());
  assert.equal(r2.code, 2, r2.stdout + r2.stderr);
  assert.match(r2.stderr, /: is a symbolic link \(to .*secret\); tune makes none in a session, so it was added by hand — remove it to resume/);
  assert.doesNotMatch(r2.stderr, /sha256/);
  assert.deepStrictEqual(treeHashes(outside), before);
  assert.deepStrictEqual(treeHashes(linked), sessionBefore);
});

test('symbolic links inside a session (a trial folder, its metrics, its checkpoints) are refused, even with --trust', async () => {
  const original = await pausedCommandSession();
  const outside = tmpDir('tune-victim-');
  for (const f of ['a', 'b', 'c', 'd']) writeFileSync(join(outside, f), `${f}\n`);
  const before = treeHashes(outside);
  for (const [what, place] of [['metrics', join('trials', '0000', 'metrics.jsonl')], ['checkpoints', join('trials', '0000', 'checkpoints')]] as const) {
    const copy = join(tmpDir(), `session_${what}`);
    cpSync(original, copy, { recursive: true });
    rmSync(join(copy, place), { recursive: true, force: true });
    symlinkSync(what === 'metrics' ? join(outside, 'a') : outside, join(copy, place));
    const r = await runTune(['--resume-session', copy, '--trust'], tmpDir());
    assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${place.replace(/[.]/g, '\\.')}: is a symbolic link \\(to ${outside}`));
    assert.deepStrictEqual(treeHashes(outside), before, `${what}: nothing outside changed`);
  }
});
