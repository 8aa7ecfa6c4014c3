import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runTune, tmpDir, treeHashes, writeSpec } from '../helpers/tune.js';

// Choosing Slurm where Slurm's commands are missing is bad input, said before anything is created or changed.

/** A PATH that has node (bin/tune starts through it) and nothing else, so srun is nowhere on it. */
function pathWithoutSlurm(): string {
  const bin = tmpDir();
  symlinkSync(process.execPath, join(bin, 'node'));
  return bin;
}

const SPEC = { name: 'nocluster', trial: { builtin: 'spirals-mlp' }, search_space: {}, max_iters: 20, eval_interval: 10, sessions_root: 'sessions' };

test('--launcher slurm, or launcher: slurm in the spec, without srun: exit 2, one line, no session made', async () => {
  const PATH = pathWithoutSlurm();
  const cwd = tmpDir();
  writeSpec(cwd, SPEC, 'spec.json');
  const flag = await runTune(['spec.json', '--launcher', 'slurm'], cwd, { PATH });
  assert.equal(flag.code, 2, flag.stdout + flag.stderr);
  assert.equal(flag.stderr, "tune: --launcher slurm: srun cannot be run here (is Slurm's client on the PATH?); start tune on a login node of the cluster, or give --launcher local\n");
  writeSpec(cwd, { ...SPEC, launcher: 'slurm' }, 'spec.json');
  const spec = await runTune(['spec.json'], cwd, { PATH });
  assert.equal(spec.code, 2);
  assert.match(spec.stderr, /^tune: the spec says launcher: slurm, but srun cannot be run here/);
  assert.ok(!existsSync(join(cwd, 'sessions')), 'nothing was created');
  // The flag overrides the spec: the same spec runs locally.
  const local = await runTune(['spec.json', '--launcher', 'local'], cwd, { PATH });
  assert.equal(local.code, 0, local.stdout + local.stderr);
});

test('resume keeps the launcher the session last ran with; --launcher slurm without srun is refused with nothing changed', async () => {
  const PATH = pathWithoutSlurm();
  const cwd = tmpDir();
  writeSpec(cwd, { ...SPEC, launcher: 'slurm', num_trials: 1 }, 'spec.json');
  const made = await runTune(['spec.json', '--launcher', 'local'], cwd, { PATH });
  assert.equal(made.code, 0, made.stderr);
  const root = join(cwd, 'sessions', 'nocluster');
  const dir = join(root, readdirSync(root)[0]);
  const before = treeHashes(dir);
  const slurm = await runTune(['--resume-session', dir, '--num-trials', '2', '--launcher', 'slurm'], cwd, { PATH });
  assert.equal(slurm.code, 2, slurm.stdout + slurm.stderr);
  assert.match(slurm.stderr, /^tune: --launcher slurm: srun cannot be run here/);
  assert.deepStrictEqual(treeHashes(dir), before, 'nothing changed');
  // No flag: local, as it last ran, although its spec says slurm.
  const kept = await runTune(['--resume-session', dir, '--num-trials', '2'], cwd, { PATH });
  assert.equal(kept.code, 0, kept.stdout + kept.stderr);
});
